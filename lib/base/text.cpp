#include "base/text.hpp"

namespace ikekit {

std::string trim_trailing_space(std::string text) {
  while (!text.empty() &&
         (text.back() == '\n' || text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
    text.pop_back();
  return text;
}

} // namespace ikekit

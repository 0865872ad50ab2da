// The one payload rule checker (see rules.hpp for the tables).
#include "wire/rules.hpp"

#include <array>
#include <string>

namespace ikekit::wire {
namespace {

std::string field_name(PayloadType t) {
  std::string_view name = payload_type_name(t);
  if (name.empty()) return "payload_type_" + std::to_string(unsigned(t));
  std::string s(name);
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return s;
}

std::string display(PayloadType t) {
  std::string_view name = payload_type_name(t);
  return name.empty() ? std::to_string(unsigned(t)) : std::string(name);
}

std::string role(const ExchangeRules& r) {
  return std::string(exchange_type_name(r.exchange)) + (r.response ? " response" : " request");
}

const PayloadRule* rule_for(const PayloadShape& shape, PayloadType t) {
  for (const auto& rule : shape.rules)
    if (rule.type == t) return &rule;
  return nullptr;
}

bool in_any_shape(const ExchangeRules& r, PayloadType t) {
  for (const auto& shape : r.shapes)
    if (rule_for(shape, t)) return true;
  return false;
}

bool counts(PayloadType t) {
  return is_known_payload_type(uint8_t(t)) && t != PayloadType::sk && t != PayloadType::skf;
}

Result<void> check_shape(const ExchangeRules& r, const PayloadShape& shape,
                         std::span<const PayloadType> types) {
  std::array<size_t, 256> count{}; // a reassembled message can hold more than 65535
  for (PayloadType t : types) {
    if (!counts(t)) continue; // RFC 7296 2.5: unknown non-critical payloads are ignored
    if (!rule_for(shape, t))
      return make_error(Errc::bad_value, field_name(t),
                        display(t) + " is not allowed in " + role(r));
    ++count[uint8_t(t)];
  }
  for (const auto& rule : shape.rules) {
    size_t n = count[uint8_t(rule.type)];
    if (n < rule.min)
      return make_error(Errc::bad_value, field_name(rule.type),
                        role(r) + " needs " + std::to_string(rule.min) + " " + display(rule.type) +
                            " payload" + (rule.min > 1 ? "s" : "") + ", has " + std::to_string(n));
    if (rule.max != kAny && n > rule.max)
      return make_error(Errc::bad_value, field_name(rule.type),
                        role(r) + " allows at most " + std::to_string(rule.max) + " " +
                            display(rule.type) + " payload" + (rule.max > 1 ? "s" : "") + ", has " +
                            std::to_string(n));
  }
  return {};
}

} // namespace

const ExchangeRules* find_exchange_rules(ExchangeType exchange, bool response) {
  for (const auto& r : kExchangeRules)
    if (r.exchange == exchange && r.response == response) return &r;
  return nullptr;
}

Result<void> check_payload_rules(ExchangeType exchange, bool response,
                                 std::span<const PayloadType> outer,
                                 std::span<const PayloadType> inner) {
  const ExchangeRules* r = find_exchange_rules(exchange, response);
  if (!r)
    return make_error(Errc::unsupported, "exchange_type",
                      "no payload rules for exchange type " + std::to_string(unsigned(exchange)));
  std::span<const PayloadType> checked = outer;
  if (r->encrypted) {
    // RFC 7296 3.14: the SK payload carries everything; nothing else goes in clear.
    size_t sk_count = 0;
    for (PayloadType t : outer) {
      if (t == PayloadType::sk || t == PayloadType::skf) {
        ++sk_count;
        continue;
      }
      if (!counts(t)) continue;
      if (in_any_shape(*r, t))
        return make_error(Errc::bad_value, field_name(t),
                          display(t) + " must be inside SK in " + role(*r));
      return make_error(Errc::bad_value, field_name(t),
                        display(t) + " is not allowed in " + role(*r));
    }
    if (sk_count != 1)
      return make_error(Errc::bad_value, "sk",
                        role(*r) + " needs exactly 1 SK or SKF payload, has " +
                            std::to_string(sk_count));
    checked = inner;
  } else {
    for (PayloadType t : outer)
      if (t == PayloadType::sk || t == PayloadType::skf)
        return make_error(Errc::bad_value, field_name(t),
                          display(t) + " is not allowed in " + role(*r) + " (not encrypted)");
    if (!inner.empty())
      return make_error(Errc::bad_value, "sk",
                        role(*r) + " is not encrypted but inner payloads were given");
  }
  Result<void> first;
  for (size_t i = 0; i < r->shapes.size(); ++i) {
    auto ok = check_shape(*r, r->shapes[i], checked);
    if (ok) return ok;
    if (i == 0) first = ok;
  }
  return first;
}

} // namespace ikekit::wire

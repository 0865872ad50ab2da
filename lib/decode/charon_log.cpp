// Reading keys out of strongSwan's charon debug log (ike 4, chd 4).
//
// Line formats (src/libcharon/bus/listeners/file_logger.c, sys_logger.c and
// charon-systemd's journal logger):
//   filelog   [TIME ]NN[GRP][ <conn|id>] text          (GRP may carry the level: IKE4)
//   syslog    Mon DD HH:MM:SS host charon: NN[GRP] ...  (one syslog line per text line)
//   journal   ... charon-systemd[PID]: text             (no thread; continuation lines
//                                                         indented, as journalctl prints)
// A multi-line message (a hex dump) is written under a lock, so its lines are consecutive
// per thread; threads interleave. Dumps (chunk_t %B) look like
//   Sk_ei secret => 36 bytes @ 0x7f0fe000bb50
//      0: 1D 19 F4 F0 AD 3F 37 43 3C EF 0F 5C F1 4F CE 01  .....?7C<..\.O..
//     32: AD DF 32 58                                      ..2X
// Keys come from keymat_v2.c (SKEYSEED, Sk_*, "seed" and the Child SA keys), SPIs from
// ike_natd.c (natd_chunk = SPIi | SPIr | address | port) and child_sa.c ("adding inbound
// ESP SA" + "  SPI 0x..., src A dst B").
#include "base/hex.hpp"
#include "decode/key_store.hpp"
#include "decode/log_keys.hpp"

#include <cctype>
#include <map>

namespace ikekit::decode {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }

struct Split {
  std::string thread; // "" when the format has none (journal)
  std::string_view text;
};

// Finds "NN[GRP] " (NN at least two digits at a word start, GRP three capitals and an
// optional level digit) and skips an optional "<conn|id> " after it.
std::optional<Split> split_thread(std::string_view line) {
  for (size_t open = line.find('['); open != std::string_view::npos;
       open = line.find('[', open + 1)) {
    size_t d = open;
    while (d > 0 && is_digit(line[d - 1]))
      --d;
    if (open - d < 2 || (d > 0 && line[d - 1] != ' ')) continue;
    size_t g = open + 1;
    if (g + 4 > line.size() || !is_upper(line[g]) || !is_upper(line[g + 1]) ||
        !is_upper(line[g + 2]))
      continue;
    size_t close = g + 3;
    if (close < line.size() && is_digit(line[close])) ++close;
    if (close >= line.size() || line[close] != ']') continue;
    std::string_view text = line.substr(close + 1);
    if (!text.empty() && text[0] == ' ') text.remove_prefix(1);
    if (!text.empty() && text[0] == '<') {
      size_t end = text.find("> ");
      if (end != std::string_view::npos) text.remove_prefix(end + 2);
    }
    return Split{std::string(line.substr(d, open - d)), text};
  }
  return std::nullopt;
}

std::string_view trim_left(std::string_view s);

// A line without a thread token: journal text after "charon...: ", else the line (an
// indented dump line, whose ASCII column may hold anything, stays whole).
std::string_view journal_text(std::string_view line) {
  std::string_view t = trim_left(line);
  if (!t.empty() && is_digit(t[0])) return line;
  size_t c = line.find("charon");
  if (c != std::string_view::npos) {
    size_t colon = line.find(": ", c);
    if (colon != std::string_view::npos) return line.substr(colon + 2);
  }
  return line;
}

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && (s[0] == ' ' || s[0] == '\t'))
    s.remove_prefix(1);
  return s;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// "NAME => N bytes @ PTR": the name and N.
std::optional<std::pair<std::string_view, size_t>> dump_header(std::string_view text) {
  size_t arrow = text.find(" => ");
  if (arrow == std::string_view::npos) return std::nullopt;
  std::string_view rest = text.substr(arrow + 4);
  size_t n = 0, i = 0;
  while (i < rest.size() && is_digit(rest[i]) && i < 7)
    n = n * 10 + size_t(rest[i++] - '0');
  if (i == 0 || !starts_with(rest.substr(i), " bytes @ ")) return std::nullopt;
  return std::make_pair(text.substr(0, arrow), n);
}

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// "OFFSET: XX XX ..." with OFFSET == `at`: appends up to `count` bytes; false when the
// line is not the dump line expected there.
bool dump_line(std::string_view text, size_t at, size_t count, Bytes& out) {
  text = trim_left(text);
  size_t i = 0, off = 0;
  while (i < text.size() && is_digit(text[i]))
    off = off * 10 + size_t(text[i++] - '0');
  if (i == 0 || off != at || !starts_with(text.substr(i), ": ")) return false;
  i += 2;
  const size_t before = out.size();
  for (size_t n = 0; n < count; ++n, i += 3) {
    int hi = i + 1 < text.size() ? hex_value(text[i]) : -1;
    int lo = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
    if (hi < 0 || lo < 0 || (i + 2 < text.size() && text[i + 2] != ' ')) {
      out.resize(before);
      return false;
    }
    out.push_back(uint8_t(hi << 4 | lo));
  }
  return true;
}

// strongSwan's proposal token for a Child SA transform (proposal_keywords, the
// "selected proposal: ESP:AES_GCM_16_256/NO_EXT_SEQ" line) to the table row.
const crypto::TransformInfo* esp_token(std::string_view tok) {
  using crypto::TransformKind;
  auto bits_after = [&](std::string_view prefix) -> uint16_t {
    std::string_view b = tok.substr(prefix.size());
    return b == "128" ? 128 : b == "192" ? 192 : b == "256" ? 256 : 0;
  };
  if (starts_with(tok, "AES_CBC_"))
    return crypto::find_transform(TransformKind::encr, 12, bits_after("AES_CBC_"));
  if (starts_with(tok, "AES_CTR_"))
    return crypto::find_transform(TransformKind::encr, 13, bits_after("AES_CTR_"));
  for (uint16_t icv : {8, 12, 16}) {
    std::string gcm = "AES_GCM_" + std::to_string(icv) + "_";
    std::string ccm = "AES_CCM_" + std::to_string(icv) + "_";
    if (starts_with(tok, gcm))
      return crypto::find_transform(TransformKind::encr, uint16_t(18 + icv / 4 - 2),
                                    bits_after(gcm));
    if (starts_with(tok, ccm))
      return crypto::find_transform(TransformKind::encr, uint16_t(14 + icv / 4 - 2),
                                    bits_after(ccm));
  }
  struct Fixed {
    std::string_view token;
    TransformKind kind;
    uint16_t id;
  };
  static constexpr Fixed kFixed[] = {
      {"3DES_CBC", TransformKind::encr, 3},
      {"CHACHA20_POLY1305", TransformKind::encr, 28},
      {"HMAC_SHA1_96", TransformKind::integ, 2},
      {"AES_XCBC_96", TransformKind::integ, 5},
      {"AES_CMAC_96", TransformKind::integ, 8},
      {"HMAC_SHA2_256_128", TransformKind::integ, 12},
      {"HMAC_SHA2_384_192", TransformKind::integ, 13},
      {"HMAC_SHA2_512_256", TransformKind::integ, 14},
  };
  for (const auto& f : kFixed)
    if (tok == f.token || (f.id == 28 && starts_with(tok, f.token)))
      return crypto::find_transform(f.kind, f.id);
  return nullptr;
}

struct EspProposal {
  const crypto::TransformInfo* encr = nullptr;
  const crypto::TransformInfo* integ = nullptr;
};

EspProposal esp_proposal(std::string_view algs) {
  EspProposal p;
  while (!algs.empty()) {
    size_t slash = algs.find('/');
    std::string_view tok = algs.substr(0, slash);
    algs = slash == std::string_view::npos ? std::string_view() : algs.substr(slash + 1);
    if (const auto* t = esp_token(tok))
      (t->kind == crypto::TransformKind::encr ? p.encr : p.integ) = t;
  }
  return p;
}

// "  SPI 0x58fdbec5, src 10.241.0.2 dst 10.241.0.1"
std::optional<LoggedChildKeys::Installed> installed_line(std::string_view text) {
  text = trim_left(text);
  if (!starts_with(text, "SPI 0x")) return std::nullopt;
  size_t comma = text.find(", src ");
  size_t dst = text.find(" dst ");
  if (comma == std::string_view::npos || dst == std::string_view::npos || dst < comma)
    return std::nullopt;
  auto spi = from_hex(text.substr(6, comma - 6), "spi");
  auto s = IpAddress::parse(std::string(text.substr(comma + 6, dst - comma - 6)));
  auto d = IpAddress::parse(std::string(text.substr(dst + 5)));
  if (!spi || spi->size() != 4 || !s || !d) return std::nullopt;
  return LoggedChildKeys::Installed{load_be32(spi->data()), *s, *d};
}

// What one thread of the log is in the middle of.
struct ThreadState {
  struct Dump {
    std::string name;
    size_t want = 0, line = 0;
    Bytes data;
  };
  std::optional<Dump> dump;
  std::optional<bool> initiator; // of the exchange whose message is being processed
  std::optional<std::pair<uint64_t, uint64_t>> natd;
  std::optional<size_t> ike, child; // the blocks this thread is filling
  bool ike_fresh = false;           // the IKE block began in the current message
  Bytes dh;                         // a DH secret waiting for its SKEYSEED
  std::optional<bool> installing;   // true inbound, false outbound: an SPI line follows
  EspProposal esp;
  ~ThreadState() { secure_zero(dh.data(), dh.size()); }
};

class CharonReader {
public:
  CharonReader(std::string_view name) : keys_(std::string(name)), name_(name) {}

  void line(size_t no, std::string_view raw) {
    while (!raw.empty() && (raw.back() == '\r' || raw.back() == '\n'))
      raw.remove_suffix(1);
    auto split = split_thread(raw);
    std::string thread = split ? split->thread : std::string();
    std::string_view text = split ? split->text : journal_text(raw);
    ThreadState& t = threads_[thread];
    if (t.dump) {
      auto& d = *t.dump;
      if (dump_line(text, d.data.size(), std::min<size_t>(16, d.want - d.data.size()), d.data)) {
        if (d.data.size() == d.want) finish_dump(t);
        return;
      }
      cut(t);
    }
    if (auto h = dump_header(text)) {
      t.dump = ThreadState::Dump{std::string(h->first), h->second, no, {}};
      if (h->second == 0) finish_dump(t);
      return;
    }
    message(t, text);
  }

  LogKeys finish() {
    for (auto& [thread, t] : threads_)
      if (t.dump) cut(t);
    return std::move(keys_);
  }

private:
  void problem(size_t line, const std::string& field, std::string message) {
    keys_.problems().push_back(
        make_error(Errc::truncated, std::string(name_) + ":" + std::to_string(line) + "." + field,
                   std::move(message)));
  }

  // A dump that ended before its byte count: reported, its bytes not used.
  void cut(ThreadState& t) {
    auto& d = *t.dump;
    if (wanted(d.name))
      problem(d.line, field_of(d.name),
              "\"" + d.name + "\": dump cut after " + std::to_string(d.data.size()) + " of " +
                  std::to_string(d.want) + " bytes; not used");
    secure_zero(d.data.data(), d.data.size());
    t.dump.reset();
  }

  static bool wanted(std::string_view n) { return !field_of(n).empty(); }
  static std::string field_of(std::string_view n) {
    struct Name {
      std::string_view log, field;
    };
    static constexpr Name kNames[] = {
        {"natd_chunk", "natd_chunk"},
        {"shared Diffie Hellman secret", "dh_secret"},
        {"SKEYSEED", "skeyseed"},
        {"Sk_d secret", "sk_d"},
        {"Sk_ai secret", "sk_ai"},
        {"Sk_ar secret", "sk_ar"},
        {"Sk_ei secret", "sk_ei"},
        {"Sk_er secret", "sk_er"},
        {"seed", "seed"},
        {"encryption initiator key", "encr_i"},
        {"encryption responder key", "encr_r"},
        {"integrity initiator key", "integ_i"},
        {"integrity responder key", "integ_r"},
    };
    for (const auto& k : kNames)
      if (k.log == n) return std::string(k.field);
    return {};
  }

  LoggedIkeKeys& ike_block(ThreadState& t, size_t line) {
    if (!t.ike) {
      keys_.ike().push_back(LoggedIkeKeys{});
      keys_.ike().back().line = line;
      t.ike = keys_.ike().size() - 1;
    }
    return keys_.ike()[*t.ike];
  }

  LoggedChildKeys& child_block(ThreadState& t, size_t line) {
    if (!t.child) {
      keys_.child().push_back(LoggedChildKeys{});
      keys_.child().back().line = line;
      t.child = keys_.child().size() - 1;
    }
    return keys_.child()[*t.child];
  }

  void finish_dump(ThreadState& t) {
    ThreadState::Dump d = std::move(*t.dump);
    t.dump.reset();
    const std::string field = field_of(d.name);
    SecretBytes value{ByteView(d.data)};
    secure_zero(d.data.data(), d.data.size());
    if (field == "natd_chunk") {
      if (value.size() < 16) return;
      auto spis =
          std::make_pair(load_be64(value.reveal().data()), load_be64(value.reveal().data() + 8));
      if (spis.second == 0) return; // the IKE_SA_INIT request's, before the responder's SPI
      t.natd = spis;
      if (t.ike && t.ike_fresh && !keys_.ike()[*t.ike].spis) keys_.ike()[*t.ike].spis = spis;
    } else if (field == "dh_secret") {
      t.dh.assign(value.reveal().begin(), value.reveal().end());
    } else if (field == "skeyseed") {
      t.ike.reset();
      LoggedIkeKeys& b = ike_block(t, d.line);
      b.skeyseed = std::move(value);
      b.dh_secret = SecretBytes(ByteView(t.dh));
      secure_zero(t.dh.data(), t.dh.size());
      t.dh.clear();
      b.spis = t.natd;
      t.ike_fresh = true;
    } else if (starts_with(field, "sk_")) {
      LoggedIkeKeys& b = ike_block(t, d.line);
      SecretBytes* slot = field == "sk_d"    ? &b.sk_d
                          : field == "sk_ai" ? &b.sk_ai
                          : field == "sk_ar" ? &b.sk_ar
                          : field == "sk_ei" ? &b.sk_ei
                                             : &b.sk_er;
      *slot = std::move(value);
    } else if (field == "seed") {
      t.child.reset();
      LoggedChildKeys& c = child_block(t, d.line);
      c.seed = std::move(value);
      c.initiator = t.initiator;
      c.encr = t.esp.encr;
      c.integ = t.esp.integ;
      t.dh.clear();
    } else if (!field.empty()) {
      LoggedChildKeys& c = child_block(t, d.line);
      SecretBytes* slot = field == "encr_i"    ? &c.encr_i
                          : field == "encr_r"  ? &c.encr_r
                          : field == "integ_i" ? &c.integ_i
                                               : &c.integ_r;
      *slot = std::move(value);
    }
  }

  void message(ThreadState& t, std::string_view text) {
    if (t.installing) {
      if (auto inst = installed_line(text); inst && t.child) {
        LoggedChildKeys& c = keys_.child()[*t.child];
        (*t.installing ? c.inbound : c.outbound) = *inst;
      }
      t.installing.reset();
      if (starts_with(trim_left(text), "SPI 0x")) return;
    }
    if (starts_with(text, "parsed ") || starts_with(text, "generating ")) {
      const bool parsed = starts_with(text, "parsed ");
      const bool response = text.find(" response ") != std::string_view::npos;
      const bool request = text.find(" request ") != std::string_view::npos;
      if (response || request) t.initiator = parsed ? response : request;
      t.natd.reset();
      t.ike_fresh = false;
    } else if (starts_with(text, "adding inbound ESP SA")) {
      t.installing = true;
    } else if (starts_with(text, "adding outbound ESP SA") ||
               starts_with(text, "registering outbound ESP SA")) {
      t.installing = false;
    } else if (starts_with(text, "selected proposal: ESP:")) {
      t.esp = esp_proposal(text.substr(23));
    }
  }

  LogKeys keys_;
  std::string_view name_;
  std::map<std::string, ThreadState> threads_;
};

} // namespace

LogKeys parse_charon_log(std::string_view text, std::string_view name) {
  CharonReader reader(name);
  size_t no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    reader.line(++no, text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  }
  return reader.finish();
}

bool looks_like_charon_log(std::string_view text) {
  // Key dumps by name (any line format), or charon's "NN[GRP] " prefix on an early line.
  if (text.find("SKEYSEED => ") != std::string_view::npos ||
      text.find("Sk_d secret => ") != std::string_view::npos ||
      text.find("encryption initiator key => ") != std::string_view::npos)
    return true;
  for (int n = 0; n < 20 && !text.empty(); ++n) {
    size_t nl = text.find('\n');
    if (split_thread(text.substr(0, nl))) return true;
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  }
  return false;
}

} // namespace ikekit::decode

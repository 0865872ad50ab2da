#include "io/dns_apply.hpp"

#include "base/hex.hpp"
#include "base/secret_file.hpp"
#include "base/text.hpp"
#include "io/fd.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <spawn.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace ikekit::io {

namespace {

constexpr size_t kMaxResolvConf = 64 * 1024;
constexpr size_t kMaxServersInFile = 3; // glibc's MAXNS

Error dns_error(Errc code, std::string message) {
  return Error{code, "--dns-apply", std::move(message)};
}

Result<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return dns_error(Errc::io, path + ": " + std::strerror(errno));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() > kMaxResolvConf)
    return dns_error(Errc::io, path + ": larger than 64 KiB, not a resolv.conf");
  return text;
}

// In place: the same inode keeps the new bytes (a bind mount stays a bind mount). The
// new content is written over the old and the rest cut off, so a reader never sees an
// empty file.
Result<void> write_in_place(const std::string& path, const std::string& data) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return dns_error(Errc::io, path + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(fd.get(), data.data() + done, data.size() - done, off_t(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += size_t(n);
  }
  bool ok = done == data.size() && ::ftruncate(fd.get(), off_t(data.size())) == 0 &&
            ::fsync(fd.get()) == 0;
  int err = errno;
  fd.reset();
  if (!ok) return dns_error(Errc::io, path + ": cannot rewrite: " + std::strerror(err));
  return {};
}

std::string comm_of(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/comm");
  std::string name;
  std::getline(in, name);
  return name;
}

// A state file's owner still runs: the process exists and is the same program as us
// (not a recycled pid).
bool owner_alive(long pid) {
  if (pid <= 0) return false;
  if (::kill(pid_t(pid), 0) != 0 && errno != EPERM) return false;
  return comm_of(std::to_string(pid)) == comm_of("self");
}

// Runs `argv` (PATH search) with `input` on stdin; the error carries its stderr.
Result<void> run_program(const std::vector<std::string>& argv, const std::string& input) {
  auto in = cloexec_pipe("--dns-apply");
  if (!in) return in.error();
  auto err = cloexec_pipe("--dns-apply");
  if (!err) return err.error();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in->read.get(), 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, err->write.get(), 2);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  in->read.reset(); // the child's ends: the error pipe reaches EOF when the child exits
  err->write.reset();
  if (rc == 0) (void)!::write(in->write.get(), input.data(), input.size()); // fits the pipe
  in->write.reset(); // EOF on the child's stdin
  std::string why;
  char buf[512];
  for (ssize_t n; rc == 0 && (n = ::read(err->read.get(), buf, sizeof buf)) != 0;)
    if (n > 0)
      why.append(buf, size_t(n));
    else if (errno != EINTR)
      break;
  if (rc != 0) return dns_error(Errc::environment, argv[0] + ": " + std::strerror(rc));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  std::string cmd;
  for (const auto& a : argv)
    cmd += (cmd.empty() ? "" : " ") + a;
  return dns_error(Errc::environment, cmd + " failed: " + trim_trailing_space(std::move(why)));
}

bool program_exists(const std::string& name) {
  std::string path = getenv("PATH") ? getenv("PATH") : "";
  std::istringstream dirs(path);
  for (std::string d; std::getline(dirs, d, ':');)
    if (!d.empty() && ::access((d + "/" + name).c_str(), X_OK) == 0) return true;
  return false;
}

// `ip netns exec` bind-mounts /etc/netns/NS/resolv.conf over /etc/resolv.conf: the
// mount point (5th field of mountinfo) is the file itself.
bool is_mount_point(const DnsPaths& p) {
  std::ifstream in(p.mountinfo);
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string id, parent, devno, root, mount_point;
    if (f >> id >> parent >> devno >> root >> mount_point && mount_point == p.resolv_conf)
      return true;
  }
  return false;
}

// systemd-resolved runs (its runtime directory exists) and resolv.conf sends queries to
// it: a link into that directory, or its stub listener 127.0.0.53.
bool resolved_manages(const DnsPaths& p) {
  struct stat st {};
  if (::stat(p.resolved_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return false;
  char target[4096];
  ssize_t n = ::readlink(p.resolv_conf.c_str(), target, sizeof target - 1);
  if (n > 0 && std::string(target, size_t(n)).find(p.resolved_dir) != std::string::npos)
    return true;
  auto text = read_text(p.resolv_conf);
  return text && text->find("nameserver 127.0.0.53") != std::string::npos;
}

// Our nameservers first and only (no leak to the old ones when ours are slow); the
// original's other lines (search, options) stay.
std::string file_content(const std::string& original, const std::vector<IpAddress>& servers) {
  std::string out = "# ike-up (pid " + std::to_string(::getpid()) +
                    "): DNS servers of the tunnel (RFC 7296 2.19); the original comes back "
                    "when the tunnel goes down\n";
  for (size_t i = 0; i < servers.size() && i < kMaxServersInFile; ++i)
    out += "nameserver " + servers[i].to_string() + "\n";
  std::istringstream in(original);
  for (std::string line; std::getline(in, line);) {
    size_t start = line.find_first_not_of(" \t");
    if (start != std::string::npos && line.compare(start, 10, "nameserver") == 0) continue;
    out += line + "\n";
  }
  return out;
}

json::Json servers_json(const std::vector<IpAddress>& servers) {
  json::Json a = json::Json::array();
  for (const auto& s : servers)
    a.push_back(s.to_string());
  return a;
}

std::vector<IpAddress> servers_of(const json::Json& a) {
  std::vector<IpAddress> v;
  if (!a.is_array()) return v;
  for (const auto& s : a)
    if (auto ip = s.is_string() ? IpAddress::parse(s.get<std::string>()) : std::nullopt)
      v.push_back(*ip);
  return v;
}

std::string resolvconf_record(const std::string& link) {
  // Debian's interface-order ranks tun* before the LAN's eth*/en*.
  return "tun." + (link.empty() ? std::string("ikekit") : link);
}

Result<void> apply_command(DnsMethod m, const std::string& link,
                           const std::vector<IpAddress>& servers) {
  if (m == DnsMethod::resolvconf) {
    std::string text;
    for (const auto& s : servers)
      text += "nameserver " + s.to_string() + "\n";
    return run_program({"resolvconf", "-a", link}, text);
  }
  std::vector<std::string> dns = {"resolvectl", "dns", link};
  for (const auto& s : servers)
    dns.push_back(s.to_string());
  if (auto r = run_program(dns, ""); !r) return r;
  // "~." routes every name to this link; default-route makes it the default too.
  if (auto r = run_program({"resolvectl", "domain", link, "~."}, ""); !r) return r;
  return run_program({"resolvectl", "default-route", link, "yes"}, "");
}

Result<void> undo_command(DnsMethod m, const std::string& link) {
  if (m == DnsMethod::resolvconf) return run_program({"resolvconf", "-d", link}, "");
  return run_program({"resolvectl", "revert", link}, "");
}

struct FileId {
  std::string key; // <dev>-<inode>: one per resolv.conf, whichever namespace's it is
};

Result<FileId> file_id(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return dns_error(Errc::environment, path + ": " + std::strerror(errno));
  return FileId{std::to_string(uint64_t(st.st_dev)) + "-" + std::to_string(uint64_t(st.st_ino))};
}

Result<json::Json> read_state(const std::string& path) {
  auto bytes = read_secret_file(path, "dns state", 1 << 20);
  if (!bytes) return bytes.error();
  const auto& b = bytes->reveal();
  auto j = json::Json::parse(b.begin(), b.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return dns_error(Errc::bad_value, path + ": not a DNS state file");
  return j;
}

Result<void> write_state(const std::string& dir, const std::string& path, const json::Json& j) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    return dns_error(Errc::environment, dir + ": " + std::strerror(errno));
  return replace_secret_file(path, j.dump() + "\n", "dns state");
}

// Puts back the file a state describes: only if it still holds what we wrote; anyone
// who changed it since (a DHCP client, the user) wins.
Result<DnsChange> restore_file(const json::Json& st, const std::string& path) {
  DnsChange c;
  c.method = DnsMethod::file;
  c.file = path;
  c.servers = servers_of(st.value("servers", json::Json()));
  auto original = from_hex(st.value("original", ""), "original");
  auto applied = from_hex(st.value("applied", ""), "applied");
  if (!original || !applied) return dns_error(Errc::bad_value, "DNS state file: bad hex");
  auto now = read_text(path);
  if (!now) return now.error();
  std::string was(original->begin(), original->end()), ours(applied->begin(), applied->end());
  if (*now != ours) {
    c.file_changed = true;
    return c;
  }
  if (auto w = write_in_place(path, was); !w) return w.error();
  return c;
}

} // namespace

std::string_view dns_method_name(DnsMethod m) {
  switch (m) {
  case DnsMethod::file:
    return "file";
  case DnsMethod::resolved:
    return "resolved";
  case DnsMethod::resolvconf:
    return "resolvconf";
  }
  return "file";
}

std::optional<DnsMethod> dns_method_from_name(std::string_view name) {
  for (DnsMethod m : {DnsMethod::file, DnsMethod::resolved, DnsMethod::resolvconf})
    if (dns_method_name(m) == name) return m;
  return std::nullopt;
}

json::Json dns_change_json(const DnsChange& c, bool applied, const std::string& time) {
  json::Json j = {{"type", applied ? "dns_applied" : "dns_restored"},
                  {"time", time},
                  {"method", std::string(dns_method_name(c.method))},
                  {"servers", servers_json(c.servers)},
                  {"file", c.file.empty() ? json::Json() : json::Json(c.file)},
                  {"link", c.link.empty() ? json::Json() : json::Json(c.link)}};
  if (applied) return j;
  j["reason"] = c.reason;
  j["stale_pid"] = c.stale_pid > 0 ? json::Json(c.stale_pid) : json::Json();
  j["file_changed"] = c.file_changed;
  return j;
}

std::vector<IpAddress> dns_outside_tunnel(const std::vector<IpAddress>& servers,
                                          const std::vector<ike::TsSpec>& remote_ts) {
  constexpr uint8_t kUdp = 17;
  constexpr uint16_t kDnsPort = 53;
  std::vector<IpAddress> outside;
  for (const auto& s : servers) {
    bool covered = false;
    for (const auto& ts : remote_ts)
      covered = covered || (ts.start.family() == s.family() && !(s < ts.start) && !(ts.end < s) &&
                            (ts.ip_protocol == 0 || ts.ip_protocol == kUdp) &&
                            ts.start_port <= kDnsPort && kDnsPort <= ts.end_port);
    if (!covered) outside.push_back(s);
  }
  return outside;
}

Result<DnsMethod> choose_dns_method(const DnsRequest& requested, const DnsPaths& p) {
  if (requested.method == DnsMethod::file) return DnsMethod::file;
  if (requested.method == DnsMethod::resolved) {
    if (!resolved_manages(p))
      return dns_error(Errc::environment, "\"resolved\": systemd-resolved does not run or " +
                                              p.resolv_conf + " does not point at it (no " +
                                              p.resolved_dir + "/ or no stub 127.0.0.53)");
    if (!program_exists("resolvectl"))
      return dns_error(Errc::environment, "\"resolved\": resolvectl is not installed");
    return DnsMethod::resolved;
  }
  if (requested.method == DnsMethod::resolvconf) {
    if (!program_exists("resolvconf"))
      return dns_error(Errc::environment, "\"resolvconf\": resolvconf is not installed");
    return DnsMethod::resolvconf;
  }
  if (is_mount_point(p)) return DnsMethod::file; // ip netns exec: the namespace's own file
  if (resolved_manages(p) && program_exists("resolvectl")) return DnsMethod::resolved;
  if (program_exists("resolvconf")) return DnsMethod::resolvconf;
  return DnsMethod::file;
}

DnsApplier::DnsApplier(DnsMethod method, DnsPaths paths)
    : method_(method), paths_(std::move(paths)) {}

DnsApplier::~DnsApplier() { (void)restore("exit"); }

std::string DnsApplier::state_path(const std::string& key) const {
  return paths_.state_dir + "/dns-" + std::string(dns_method_name(method_)) + "-" + key + ".state";
}

Result<std::vector<DnsChange>> DnsApplier::repair_stale() {
  std::vector<std::string> states;
  if (method_ == DnsMethod::file) {
    auto id = file_id(paths_.resolv_conf);
    if (!id) return id.error();
    if (::access(state_path(id->key).c_str(), F_OK) == 0) states.push_back(state_path(id->key));
  } else if (DIR* d = ::opendir(paths_.state_dir.c_str())) {
    std::string prefix = "dns-" + std::string(dns_method_name(method_)) + "-";
    while (dirent* e = ::readdir(d))
      if (std::string n = e->d_name;
          n.rfind(prefix, 0) == 0 && n.size() > 6 && n.compare(n.size() - 6, 6, ".state") == 0)
        states.push_back(paths_.state_dir + "/" + n);
    ::closedir(d);
  }
  std::vector<DnsChange> repaired;
  for (const auto& path : states) {
    auto st = read_state(path);
    if (!st) return st.error();
    long pid = st->value("pid", 0L);
    if (owner_alive(pid)) continue; // a running ike-up's change, not ours to undo
    DnsChange c;
    if (method_ == DnsMethod::file) {
      auto r = restore_file(*st, paths_.resolv_conf);
      if (!r) return r.error();
      c = *r;
    } else {
      c.method = method_;
      c.link = st->value("link", "");
      c.servers = servers_of(st->value("servers", json::Json()));
      (void)undo_command(method_, c.link); // fails when the link went with the crash: fine
    }
    c.reason = "stale_state";
    c.stale_pid = pid;
    ::unlink(path.c_str());
    repaired.push_back(std::move(c));
  }
  return repaired;
}

Result<DnsChange> DnsApplier::apply(const std::vector<IpAddress>& servers,
                                    const std::string& link) {
  if (applied_) return *applied_;
  if (servers.empty()) return dns_error(Errc::bad_value, "no DNS servers to apply");
  DnsChange c;
  c.method = method_;
  c.servers = servers;
  json::Json st = {{"method", std::string(dns_method_name(method_))},
                   {"pid", long(::getpid())},
                   {"servers", servers_json(servers)}};
  std::string key, applied_text;
  if (method_ == DnsMethod::file) {
    auto id = file_id(paths_.resolv_conf);
    if (!id) return id.error();
    auto original = read_text(paths_.resolv_conf);
    if (!original) return original.error();
    key = id->key;
    c.file = paths_.resolv_conf;
    applied_text = file_content(*original, servers);
    st["file"] = c.file;
    st["original"] =
        to_hex(ByteView(reinterpret_cast<const uint8_t*>(original->data()), original->size()));
    st["applied"] = to_hex(
        ByteView(reinterpret_cast<const uint8_t*>(applied_text.data()), applied_text.size()));
  } else {
    if (method_ == DnsMethod::resolved && link.empty())
      return dns_error(Errc::environment,
                       "resolved: no tunnel device to attach the DNS servers to (use the TUN "
                       "data plane, or --dns-apply file)");
    c.link = method_ == DnsMethod::resolvconf ? resolvconf_record(link) : link;
    key = c.link;
    st["link"] = c.link;
  }
  std::string path = state_path(key);
  if (auto old = read_state(path); old && owner_alive(old->value("pid", 0L)))
    return dns_error(Errc::environment, "another ike-up (pid " +
                                            std::to_string(old->value("pid", 0L)) +
                                            ") has applied DNS servers to " + key);
  if (auto w = write_state(paths_.state_dir, path, st); !w) return w.error();
  auto done = method_ == DnsMethod::file ? write_in_place(paths_.resolv_conf, applied_text)
                                         : apply_command(method_, c.link, servers);
  if (!done) {
    if (method_ != DnsMethod::file) (void)undo_command(method_, c.link);
    ::unlink(path.c_str());
    return done.error();
  }
  state_file_ = path;
  applied_ = c;
  return c;
}

Result<std::optional<DnsChange>> DnsApplier::restore(const std::string& reason) {
  if (!applied_) return std::optional<DnsChange>();
  DnsChange c = *applied_;
  if (method_ == DnsMethod::file) {
    auto st = read_state(state_file_);
    if (!st) return st.error();
    auto r = restore_file(*st, paths_.resolv_conf);
    if (!r) return r.error();
    c.file_changed = r->file_changed;
  } else if (auto r = undo_command(method_, c.link); !r) {
    return r.error();
  }
  ::unlink(state_file_.c_str());
  applied_.reset();
  c.reason = reason;
  return std::optional<DnsChange>(c);
}

} // namespace ikekit::io

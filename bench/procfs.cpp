#include "bench/procfs.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

namespace ikekit::bench {

Result<double> process_cpu_seconds(pid_t pid) {
  // Nanoseconds on the CPU per thread (/proc/<pid>/task/<tid>/schedstat, first field),
  // summed over the threads; /proc/<pid>/stat's utime+stime count only whole clock
  // ticks (10 ms), too coarse for a short run.
  std::string base = "/proc/" + std::to_string(pid);
  std::error_code ec;
  double ns = 0;
  bool any = false;
  for (const auto& task : std::filesystem::directory_iterator(base + "/task", ec)) {
    std::ifstream in(task.path() / "schedstat");
    unsigned long long run_ns = 0;
    if (in >> run_ns) {
      ns += double(run_ns);
      any = true;
    }
  }
  if (any) return ns * 1e-9;
  std::ifstream in(base + "/stat");
  std::string line;
  if (!std::getline(in, line))
    return make_error(Errc::io, "responder", "cannot read " + base + "/stat");
  // proc(5): field 2 (comm) is in parentheses and may hold spaces; utime and stime
  // are fields 14 and 15.
  auto close = line.rfind(')');
  if (close == std::string::npos)
    return make_error(Errc::io, "responder", "unexpected " + base + "/stat format");
  std::istringstream fields(line.substr(close + 2));
  std::string f;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && (fields >> f); ++i) {
    if (i == 14) utime = std::stoull(f);
    if (i == 15) stime = std::stoull(f);
  }
  return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

std::optional<ProcessMemory> process_memory(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  ProcessMemory m;
  bool rss = false, hwm = false;
  // proc(5): "VmRSS:    12345 kB"
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string key;
    uint64_t kib = 0;
    if (!(fields >> key >> kib)) continue;
    if (key == "VmRSS:") m.rss_bytes = kib * 1024, rss = true;
    if (key == "VmHWM:") m.peak_rss_bytes = kib * 1024, hwm = true;
  }
  if (!rss || !hwm) return std::nullopt;
  return m;
}

std::optional<UdpCounters> udp_counters(pid_t pid) {
  // Two lines per protocol: "Udp: InDatagrams NoPorts ..." then "Udp: 123 4 ...".
  std::ifstream in("/proc/" + std::to_string(pid) + "/net/snmp");
  std::string names, values;
  while (std::getline(in, names))
    if (names.rfind("Udp: ", 0) == 0 && std::getline(in, values)) break;
  if (values.rfind("Udp: ", 0) != 0) return std::nullopt;
  std::istringstream n(names), v(values);
  std::string name, value;
  UdpCounters c;
  while (n >> name && v >> value) {
    if (name == "InDatagrams") c.in_datagrams = std::stoull(value);
    if (name == "InErrors") c.in_errors = std::stoull(value);
    if (name == "RcvbufErrors") c.rcvbuf_errors = std::stoull(value);
  }
  return c;
}

bool udp_ports_bound(pid_t pid, const std::vector<uint16_t>& ports) {
  std::vector<bool> seen(ports.size(), false);
  for (const char* file : {"udp", "udp6"}) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/net/" + file);
    std::string line;
    std::getline(in, line); // header
    while (std::getline(in, line)) {
      // "  sl  local_address rem_address ...": local_address is HEXADDR:HEXPORT
      std::istringstream fields(line);
      std::string sl, local;
      if (!(fields >> sl >> local)) continue;
      auto colon = local.rfind(':');
      if (colon == std::string::npos) continue;
      unsigned long port = std::strtoul(local.c_str() + colon + 1, nullptr, 16);
      for (size_t i = 0; i < ports.size(); ++i)
        if (port == ports[i]) seen[i] = true;
    }
  }
  for (bool b : seen)
    if (!b) return false;
  return true;
}

} // namespace ikekit::bench

// What /proc tells about a child process ike-bench started: its CPU time, its memory and
// the UDP ports bound in its network namespace.
#pragma once

#include "base/result.hpp"

#include <cstdint>
#include <optional>
#include <sys/types.h>
#include <vector>

namespace ikekit::bench {

// CPU time of all threads of `pid` in seconds: /proc/<pid>/task/*/schedstat (ns
// resolution), else utime+stime of /proc/<pid>/stat (clock ticks, 10 ms).
Result<double> process_cpu_seconds(pid_t pid);

struct ProcessMemory {
  uint64_t rss_bytes = 0;      // VmRSS: resident now
  uint64_t peak_rss_bytes = 0; // VmHWM: the kernel's high-water mark since the start
};
// From /proc/<pid>/status; nullopt when the process is gone.
std::optional<ProcessMemory> process_memory(pid_t pid);

// The UDP counters of the network namespace of `pid` (/proc/<pid>/net/snmp, "Udp:"):
// datagrams delivered to sockets, and those dropped because a socket's receive buffer
// was full (RcvbufErrors, also counted in InErrors).
struct UdpCounters {
  uint64_t in_datagrams = 0;
  uint64_t in_errors = 0;
  uint64_t rcvbuf_errors = 0;
};
std::optional<UdpCounters> udp_counters(pid_t pid);

// Whether the network namespace of `pid` has UDP sockets bound to every one of `ports`
// (from /proc/<pid>/net/udp and udp6, which show the namespace of that process).
bool udp_ports_bound(pid_t pid, const std::vector<uint16_t>& ports);

} // namespace ikekit::bench

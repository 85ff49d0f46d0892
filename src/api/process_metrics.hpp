// ProcessMetrics: the standard Prometheus process_* series (CPU time, memory, file descriptors,
// start time) read from /proc/self, so dashboards built for other exporters work unchanged.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hookgate::api {

struct ProcessSample {
  double cpu_seconds = 0;
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double start_time_seconds = 0;  // unix time
  double open_fds = 0;
  double max_fds = 0;
};

// Parses the text of /proc/self/stat plus the boot time (seconds since the epoch, from
// /proc/stat's btime); nullopt when the text is not in the kernel's format.
std::optional<ProcessSample> parse_proc_stat(std::string_view stat, double boot_time_seconds,
                                             long ticks_per_second, long page_size);

// The current process; nullopt where /proc is not mounted (nothing is rendered then).
std::optional<ProcessSample> sample_process();

// The process_* families in the text exposition format, HELP and TYPE included.
std::string render_process_metrics(const ProcessSample& sample);

}  // namespace hookgate::api

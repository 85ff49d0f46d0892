// Reading /proc/self for the process_* metrics.
#include "api/process_metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace hookgate::api {

namespace {

std::optional<std::string> read_small_file(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string text(4096, '\0');  // /proc/self/stat is one short line; /proc/stat's btime is early
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

std::optional<double> boot_time() {
  std::ifstream in("/proc/stat");
  std::string line;
  for (int i = 0; i < 4096 && std::getline(in, line); ++i) {
    if (line.starts_with("btime ")) {
      double v = 0;
      const auto* first = line.data() + 6;
      const auto r = std::from_chars(first, line.data() + line.size(), v);
      if (r.ec == std::errc()) return v;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<ProcessSample> parse_proc_stat(std::string_view stat, double boot_time_seconds,
                                             long ticks_per_second, long page_size) {
  // The command name (field 2) is in parentheses and may itself hold spaces and parentheses:
  // the fields we want are counted from the last ')'.
  const auto close = stat.rfind(')');
  if (close == std::string_view::npos || ticks_per_second <= 0 || page_size <= 0) {
    return std::nullopt;
  }
  std::vector<std::string_view> fields;  // fields[0] is field 3 (state)
  std::string_view rest = stat.substr(close + 1);
  while (!rest.empty() && fields.size() < 24) {
    const auto start = rest.find_first_not_of(" \n");
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    const auto end = std::min(rest.find_first_of(" \n"), rest.size());
    fields.push_back(rest.substr(0, end));
    rest.remove_prefix(end);
  }
  if (fields.size() < 22) return std::nullopt;
  const auto number = [&](std::size_t field) -> std::optional<double> {
    const auto text = fields[field - 3];
    long long v = 0;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return std::nullopt;
    return static_cast<double>(v);
  };
  const auto utime = number(14), stime = number(15), start = number(22), vsize = number(23),
             rss = number(24);
  if (!utime || !stime || !start || !vsize || !rss) return std::nullopt;
  ProcessSample s;
  const auto ticks = static_cast<double>(ticks_per_second);
  s.cpu_seconds = (*utime + *stime) / ticks;
  s.start_time_seconds = boot_time_seconds + *start / ticks;
  s.virtual_bytes = *vsize;
  s.resident_bytes = *rss * static_cast<double>(page_size);
  return s;
}

std::optional<ProcessSample> sample_process() {
  const auto stat = read_small_file("/proc/self/stat");
  const auto boot = boot_time();
  if (!stat || !boot) return std::nullopt;
  auto s = parse_proc_stat(*stat, *boot, ::sysconf(_SC_CLK_TCK), ::sysconf(_SC_PAGESIZE));
  if (!s) return std::nullopt;
  std::error_code ec;
  double fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++fds;
  }
  s->open_fds = fds;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    s->max_fds = static_cast<double>(limit.rlim_cur);
  }
  return s;
}

std::string render_process_metrics(const ProcessSample& s) {
  std::ostringstream out;
  out.precision(15);
  const auto family = [&](const char* name, const char* type, const char* help, double value) {
    out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n'
        << name << ' ' << value << '\n';
  };
  family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
         s.cpu_seconds);
  family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
         s.resident_bytes);
  family("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", s.virtual_bytes);
  family("process_start_time_seconds", "gauge",
         "Start time of the process since unix epoch in seconds.", s.start_time_seconds);
  family("process_open_fds", "gauge", "Number of open file descriptors.", s.open_fds);
  family("process_max_fds", "gauge", "Maximum number of open file descriptors.", s.max_fds);
  return out.str();
}

}  // namespace hookgate::api

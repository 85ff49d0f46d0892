// Option checks, output and per-source threads shared by `hookgate listen` and `tail`.
#include "stream_common.hpp"

#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include "hookgate/config/secret_source.hpp"
#include "hookgate/net/http_url.hpp"

namespace hookgate::cli {

namespace {

std::mutex& output_mutex() {
  static std::mutex m;
  return m;
}

std::optional<std::int64_t> canonical_seq(const std::string& text) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  if (text.size() > 1 && text.front() == '0') return std::nullopt;
  return std::stoll(text);
}

}  // namespace

Result<ResolvedStream> resolve_stream(const StreamOptions& options) {
  ResolvedStream out;
  auto url = net::parse_http_url(options.url);
  if (!url) return Error{"--url: " + url.error()};
  if (options.url.find('?') != std::string::npos) {
    return Error{"--url: give the gateway's base URL, without a query"};
  }
  out.url = options.url;
  auto token = config::resolve_secret(options.token, ".");
  if (!token) return Error{"--token: " + token.error()};
  if (token->empty()) return Error{"--token: the token is empty"};
  for (const char c : *token) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return Error{"--token: the token holds a control character"};
  }
  out.token = std::move(*token);
  std::set<std::string> seen;
  for (const auto& s : options.sources) {
    if (s.empty() || s.size() > 128) return Error{"--source: a name of 1 to 128 characters"};
    if (!seen.insert(s).second) return Error{"--source " + s + " is given twice"};
  }
  if (!options.from.empty()) {
    out.from_given = true;
    if (options.from != "now") {
      const auto seq = canonical_seq(options.from);
      if (!seq) return Error{"--from expects a seq (digits) or 'now'"};
      out.from_after = *seq > 0 ? *seq - 1 : 0;
    }
  }
  return out;
}

relay::ReaderOptions reader_options(const ResolvedStream& stream, const StreamOptions& options,
                                    const std::string& source) {
  relay::ReaderOptions r;
  r.gateway_url = stream.url;
  r.source = source;
  r.token = stream.token;
  r.sse.ca_file = options.ca_file;
  // Base64 and the JSON form of the body make an envelope up to about 2.4 times the body.
  r.sse.max_message_bytes = options.max_event_bytes * 5 / 2 + (64U << 10);
  r.max_body_bytes = options.max_event_bytes;
  return r;
}

bool wanted_event(const StreamOptions& options, const std::string& event_type) {
  if (options.events.empty()) return true;
  for (const auto& e : options.events) {
    if (e == event_type) return true;
  }
  return false;
}

void print_out(const std::string& line) {
  const std::lock_guard lock(output_mutex());
  std::cout << line << '\n' << std::flush;
}

void print_err(const std::string& line) {
  const std::lock_guard lock(output_mutex());
  std::cerr << line << '\n' << std::flush;
}

int run_per_source(std::size_t count, const std::function<relay::ReaderStop(std::size_t)>& job) {
  const auto finish = [](const relay::ReaderStop& stop) {
    print_err("hookgate: " + stop.message);
    return static_cast<int>(stop.reason);
  };
  if (count == 1) return finish(job(0));
  std::mutex m;
  std::condition_variable cv;
  std::optional<relay::ReaderStop> first;
  for (std::size_t i = 0; i < count; ++i) {
    std::thread([&, i] {
      relay::ReaderStop stop{relay::StopReason::protocol, "unexpected error"};
      try {
        stop = job(i);
      } catch (const std::exception& e) {
        stop.message = e.what();
      }
      const std::lock_guard lock(m);
      if (!first) first = stop;
      cv.notify_all();
    }).detach();
  }
  std::unique_lock lock(m);
  cv.wait(lock, [&] { return first.has_value(); });
  const int code = finish(*first);
  std::cout.flush();
  std::cerr.flush();
  std::_Exit(code);
}

}  // namespace hookgate::cli

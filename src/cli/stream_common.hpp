// What `hookgate listen` and `hookgate tail` share: checking the stream options (URL, token,
// sources, --from), the reader options of one source, output lines that several source threads
// write without interleaving, and running one reader per source until the first fatal stop.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "cli.hpp"
#include "hookgate/relay/stream_reader.hpp"

namespace hookgate::cli {

struct ResolvedStream {
  std::string url;    // the base URL, checked
  std::string token;  // resolved; never printed
  bool from_given = false;
  std::optional<std::int64_t> from_after;  // --from SEQ: resume after SEQ-1; --from now: nullopt
};

// Usage errors name the flag, never the token.
Result<ResolvedStream> resolve_stream(const StreamOptions& options);

relay::ReaderOptions reader_options(const ResolvedStream& stream, const StreamOptions& options,
                                    const std::string& source);

bool wanted_event(const StreamOptions& options, const std::string& event_type);

// One whole line to stdout or stderr, flushed, never interleaved with another thread's line.
void print_out(const std::string& line);
void print_err(const std::string& line);

// Runs job(i) for every source: inline for one, on a thread each for several. Returns the exit
// code of the first stop (the message printed). With several sources the others are still
// blocked on their sockets then: the process ends at once (std::_Exit after flushing), since
// every cursor write is already durable.
int run_per_source(std::size_t count, const std::function<relay::ReaderStop(std::size_t)>& job);

}  // namespace hookgate::cli

// StreamEvent: one gateway event as `hookgate listen` and `tail` rebuild it from what the gateway
// sends: a stream message's envelope (docs/gateway.md "Streams") or a pull API page. The body is
// the provider's exact bytes (from body_base64, never the re-encoded "body"), the headers the
// provider's kept headers, less those a forwarder must set itself or must not pass on
// (hop-by-hop, Host, Content-Length, Proxy-*) and any that is not a well-formed header (a name
// that is not a token, a value with a control byte).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hookgate/result.hpp"
#include "hookgate/schemes/header_list.hpp"

namespace hookgate::relay {

struct StreamEvent {
  std::int64_t seq = 0;
  std::string source;
  std::string event_type;
  std::string verdict;
  std::int64_t received_ms = 0;
  schemes::HeaderList headers;
  std::string body;
};

// The envelope JSON of one stream message. Errors: not JSON, no x-hookgate group, no seq, a
// body_base64 that is not base64, a body larger than max_body_bytes.
Result<StreamEvent> decode_stream_event(std::string_view envelope, std::size_t max_body_bytes);

// The events of a pull API page ({"events":[{seq, event_type, received_ms, headers,
// body_base64}], "next": N}), for source.
Result<std::vector<StreamEvent>> decode_pull_page(std::string_view page, const std::string& source,
                                                  std::size_t max_body_bytes);

// Whether a header may be forwarded to the local server (see above).
bool forwardable_header(std::string_view name, std::string_view value);

}  // namespace hookgate::relay

// The text/event-stream form of a stored event: one SSE message whose data is the envelope
// smee-client forwards (the kept request headers as lower-case top-level keys, "body" parsed
// from JSON, "query", "timestamp" in milliseconds) plus Hookgate's own fields, all under the one
// key "x-hookgate": seq, source, event type, verdict and the raw body in base64.
//
// smee-client posts JSON.stringify(body) to its target, removes "query", and sends every other
// top-level key as a request header; an object value becomes the header text "[object Object]",
// so the x-hookgate group (and the base64 body inside it) never becomes a large header. Headers
// a forwarder must not set (hop-by-hop, Host, Content-Length) are left out.
#pragma once

#include <cstdint>
#include <string>

#include "hookgate/store/store.hpp"

namespace hookgate::api {

inline constexpr const char* kEnvelopeGroup = "x-hookgate";

// "id: <seq>\ndata: <envelope JSON on one line>\n\n". The JSON holds no CR or LF, so it is one
// data line whatever the event's bytes. A body that is not JSON is a string when it is valid
// UTF-8, null otherwise (the bytes are in x-hookgate.body_base64 either way).
std::string sse_event(const store::Event& event);

// The envelope alone (the data of sse_event).
std::string stream_envelope(const store::Event& event);

// The stream's first message: "retry: <ms>\nevent: ready\ndata: {...}\n\n", naming the source
// and the seq the stream resumes after (the head's seq when the client named no cursor). It is
// a named event, so smee-client (which forwards "message" events only) does not forward it.
std::string sse_ready(const std::string& source, std::int64_t after, std::int64_t retry_ms);

}  // namespace hookgate::api

// Inspector: what the console shows of the requests to each source that are not stored events
// (refused, duplicate, handshake): a bounded ring per source in memory, newest kept, with the
// request's head and the first bytes of its body, secrets redacted. Accepted events are not
// copied here (the store has them); they are only counted. Bounded by construction: a flood of
// forged requests replaces ring entries and never grows memory, and never touches the store's
// accepted history. Thread-safe; capture costs one mutex per source and copies at most the
// per-entry bounds.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/stats_series.hpp"
#include "hookgate/config/config.hpp"
#include "hookgate/net/ip_address.hpp"
#include "hookgate/schemes/header_list.hpp"

namespace hookgate::engine {

struct InspectorLimits {
  std::size_t max_entries = 100;           // per source and node
  std::size_t max_bytes = 256 << 10;       // per source and node (CapturedRequest::bytes())
  std::size_t max_body_bytes = 8 << 10;    // kept of each body; the rest is cut (truncated)
  std::size_t max_header_bytes = 8 << 10;  // names and values kept per entry; later ones dropped
};

// The value shown in place of a secret-bearing header's.
inline constexpr std::string_view kRedacted = "[redacted]";

struct CapturedRequest {
  std::int64_t n = 0;  // this node's capture counter: increasing, never reused by a node
  std::int64_t received_ms = 0;
  std::string verdict;  // "duplicate", "handshake" or "refused"
  std::string reason;   // the reason code ("no_match", ...), or the verdict itself
  int status = 0;
  std::string peer;
  std::string method;
  std::string path;                                          // never the query
  std::int64_t seq = 0;                                      // a duplicate's first event; 0: none
  std::vector<std::pair<std::string, std::string>> headers;  // redacted
  std::vector<std::string> redacted;                         // names whose value was redacted
  bool headers_truncated = false;
  std::string body;  // at most max_body_bytes
  std::size_t body_size = 0;
  // What the entry counts against a ring's byte bound.
  std::size_t bytes() const;
};

// One node's ring of one source, oldest entry first.
struct Ring {
  std::string node;
  std::int64_t updated_ms = 0;
  std::vector<CapturedRequest> entries;
};

// The ring as kept in a store record (the cross-node mirror), and back. decode refuses anything
// malformed or beyond limits (a record is read back from a shared store).
std::string encode_ring(const Ring& ring);
std::optional<Ring> decode_ring(std::string_view text, const InspectorLimits& limits);

// A short stable tag of a node name, usable in ids and record keys ([0-9a-f]{12}).
std::string node_tag(std::string_view node);

// Whether a header of a request to source must not be shown: credentials (Authorization,
// Cookie, Proxy-Authorization...), the scheme's signature headers, names that say secret, token,
// signature, password or key, and any header whose value contains one of the source's secrets.
class Redactor {
 public:
  Redactor(const config::Source& source, const std::vector<std::string>& signature_headers);
  bool secret(std::string_view name, std::string_view value) const;

 private:
  std::vector<std::string> names_;    // lower case
  std::vector<std::string> secrets_;  // configured secret values, never empty strings
};

class Inspector {
 public:
  // A ring for each source of config; node names this process in ids and the mirror. series,
  // when given (it must outlive this), counts every outcome per second.
  Inspector(const config::Config& config, std::string node, StatsSeries* series = nullptr,
            InspectorLimits limits = {});

  const std::string& node() const { return node_; }
  const std::string& tag() const { return tag_; }
  const InspectorLimits& limits() const { return limits_; }
  bool has_source(std::string_view source) const { return find(source) != nullptr; }
  // The configured path of source (empty: no such source).
  std::string_view path_of(std::string_view source) const;

  // An accepted event of source: counted only (the store keeps it).
  void accepted(std::string_view source, std::int64_t now_ms);
  // A request to source that is not a new stored event. Cheap enough for the refusal path; must
  // not throw (it swallows what copying may throw: a capture is best effort).
  struct Request {
    std::string_view method;
    std::string_view target;  // the query is cut off here
    const schemes::HeaderList& headers;
    std::string_view body;  // possibly only its first bytes
    std::size_t body_size;  // of the whole body
    const std::optional<net::IpAddress>& peer;
  };
  void capture(std::string_view source, std::int64_t now_ms, const Request& request,
               std::string_view verdict, std::string_view reason, int status,
               std::int64_t seq) noexcept;

  struct SourceCounts {
    std::uint64_t accepted = 0;
    std::uint64_t duplicate = 0;
    std::uint64_t refused = 0;
    std::size_t entries = 0;
    std::size_t bytes = 0;
  };
  std::optional<SourceCounts> counts(std::string_view source) const;
  // This node's ring of source (nullopt: no such source), and its change counter (moves with
  // every capture; for the mirror).
  std::optional<Ring> ring(std::string_view source) const;
  std::uint64_t changes(std::string_view source) const;
  // Whether the header must be redacted in what is shown of source's requests (also of the
  // headers an accepted event keeps).
  bool secret_header(std::string_view source, std::string_view name, std::string_view value) const;
  std::vector<std::string> sources() const;

 private:
  struct Slot {
    Slot(const config::Source& source, const std::vector<std::string>& signatures)
        : name(source.name), path(source.path), redactor(source, signatures) {}
    std::string name;
    std::string path;
    Redactor redactor;
    mutable std::mutex m;
    std::deque<CapturedRequest> entries;
    std::size_t bytes = 0;
    std::int64_t updated_ms = 0;
    std::uint64_t changes = 0;
    std::atomic<std::uint64_t> accepted{0};
    std::uint64_t duplicate = 0;
    std::uint64_t refused = 0;
  };
  Slot* find(std::string_view source) const;

  std::string node_;
  std::string tag_;
  StatsSeries* series_;
  InspectorLimits limits_;
  std::atomic<std::int64_t> next_n_{0};
  std::vector<std::unique_ptr<Slot>> slots_;  // fixed after construction
};

}  // namespace hookgate::engine

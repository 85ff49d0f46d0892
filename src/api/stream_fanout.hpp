// StreamFanout: the event streams of one node (inbound sources' and applications' alike) and the
// store reads behind them.
//
// The streams of one store source (an inbound source, or an application's messages) that are
// caught up share a feed: one read of the store per wake-up, each event formatted once and
// written to every such stream's bounded outbox, so an accept costs one read whether no stream or
// a hundred watch its source. Wake-ups coalesce: while a feed reads, further wake-ups make one
// more read after it, not one each, and a feed reads at most once per few milliseconds, so under
// load each read takes a batch and each stream gets one write per batch. A stream behind its feed
// (resuming from a cursor, or held back by a slow consumer) reads on its own, a page at a time as
// its consumer drains, until it has reached the feed's position and joins it. A live stream whose
// consumer lets more than its bound pile up is cut off by its outbox and resumes later with its
// cursor.
//
// No stream holds a thread: a stream is a connection on the server's event loops plus a small
// state here; store reads run on this object's few workers, at most one job per feed and per
// stream at a time.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "hookgate/config/config.hpp"
#include "hookgate/net/http_server.hpp"
#include "hookgate/store/store.hpp"

namespace hookgate::api {

class WorkerPool;

// The stream message of one event; the same function for every stream of a topic.
using StreamFormat = std::function<std::string(const store::Event&)>;
// Whether a stream wants an event (its cursor moves past the others unsent).
using StreamFilter = std::function<bool(const store::Event&)>;

struct Subscription {
  std::string topic;       // the store source the stream reads
  std::string peer;        // IpAddress::client_key of the client, for the per-address bound
  std::int64_t after = 0;  // the seq the stream resumes after
  std::string ready;       // written first
  StreamFormat format;
  StreamFilter filter;  // empty: every event
  // Past this the stream sends nothing more: it ends cleanly instead, and the client, which
  // reconnects with its cursor, must authenticate again (a revoked or expired key stops reading).
  std::chrono::steady_clock::time_point expires = std::chrono::steady_clock::time_point::max();
};

class StreamFanout {
 public:
  StreamFanout(store::Store& store, const config::Streams& limits);
  ~StreamFanout();  // stop(), then waits for the store reads in progress
  StreamFanout(const StreamFanout&) = delete;
  StreamFanout& operator=(const StreamFanout&) = delete;

  // The seq a stream without a cursor starts after: this node's durable head, or the highest
  // seq another node announced. Other nodes' appends do not move this node's durable seq.
  std::int64_t head() const;
  // A new stream, or nullptr when refused (this node or this address has its bound of streams,
  // or the node is stopping). Never blocks on the store.
  std::shared_ptr<net::StreamSink> subscribe(Subscription subscription);
  // A new durable event of topic (empty: of any topic) with that seq (0: unknown).
  void notify(const std::string& topic, std::int64_t seq = 0);
  // Ends every stream cleanly (the last chunk) and refuses new ones. Idempotent.
  void stop();
  std::size_t open_count() const;
  // Store reads made for streams so far (feeds and streams catching up alike).
  std::uint64_t store_reads() const;

  // The head of a text/event-stream response carrying sink, with the [streams] bounds.
  static net::HttpResponse response(const config::Streams& limits,
                                    std::shared_ptr<net::StreamSink> sink);

 private:
  struct Shared;
  struct Feed;
  class Stream;
  std::shared_ptr<Shared> shared_;  // also held by every stream, which may outlive this object
  std::unique_ptr<WorkerPool> pool_;
  std::thread pacer_;  // starts the reads of feeds woken again within their linger
};

}  // namespace hookgate::api

// LogSink: one JSON object per line to a stream, whole lines only, from any thread. The request
// log and the delivery log share it so their lines never interleave mid-line.
//
// Lines are buffered and written by a flusher thread at most flush_every after they were logged
// (at once when the buffer passes a size), not with one write per line: request threads and the
// store's commit thread log, and must not each pay a system call. A line can therefore trail
// its request by up to flush_every, and a process killed by SIGKILL loses the lines of that last
// moment (never an event: those are in the store before their answer). When the stream cannot
// keep up, write() waits for room instead of buffering without bound.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>

namespace hookgate::api {

class LogSink {
 public:
  // node: the name written on every line; empty writes lines as given.
  explicit LogSink(std::ostream& out,
                   std::chrono::milliseconds flush_every = std::chrono::milliseconds(50),
                   std::string_view node = {});
  // The node name of this process: the configured [delivery] node_id, else host/pid (the
  // prefix of the lease owner the dispatcher writes into the store).
  static std::string node_name(std::string_view configured);
  ~LogSink();  // writes what is buffered, then joins the flusher
  LogSink(const LogSink&) = delete;
  LogSink& operator=(const LogSink&) = delete;

  void write(const boost::json::object& line);
  // A line already serialized as one JSON object, without the newline.
  void write_line(std::string line);

 private:
  void run();

  std::ostream& out_;
  const std::string node_member_;  // `"node":"...",` inserted after each line's opening brace
  const std::chrono::milliseconds flush_every_;
  std::mutex m_;
  std::condition_variable wake_;  // the flusher: buffer large, or stopping
  std::condition_variable room_;  // writers waiting for the buffer to drain
  std::string pending_;           // guarded by m_
  bool stopping_ = false;         // guarded by m_
  std::thread flusher_;           // last: starts once everything above exists
};

}  // namespace hookgate::api

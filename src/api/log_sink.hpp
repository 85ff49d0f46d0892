// LogSink: one JSON object per line to a stream, whole lines only, from any thread. The request
// log and the delivery log share it so their lines never interleave mid-line.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <mutex>
#include <ostream>

namespace hookgate::api {

class LogSink {
 public:
  explicit LogSink(std::ostream& out) : out_(out) {}
  void write(const boost::json::object& line) {
    const auto text = boost::json::serialize(line);
    const std::lock_guard lock(m_);
    out_ << text << '\n' << std::flush;
  }

 private:
  std::mutex m_;
  std::ostream& out_;
};

}  // namespace hookgate::api

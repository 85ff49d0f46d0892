// The log sink's buffer and its flusher thread.
#include "api/log_sink.hpp"

#include <unistd.h>

#include <boost/json/serialize.hpp>

namespace hookgate::api {
namespace {

// Flush early past this much; make writers wait past the larger bound.
constexpr std::size_t kFlushBytes = 64 << 10;
constexpr std::size_t kMaxBufferedBytes = 4 << 20;

}  // namespace

LogSink::LogSink(std::ostream& out, std::chrono::milliseconds flush_every, std::string_view node)
    : out_(out),
      node_member_(node.empty() ? std::string()
                                : R"("node":)" + boost::json::serialize(node) + ","),
      flush_every_(flush_every),
      flusher_([this] { run(); }) {}

std::string LogSink::node_name(std::string_view configured) {
  if (!configured.empty()) return std::string(configured);
  char host[256] = {};
  const std::string name = ::gethostname(host, sizeof host - 1) == 0 ? host : "hookgate";
  return name + "/" + std::to_string(::getpid());
}

LogSink::~LogSink() {
  {
    const std::lock_guard lock(m_);
    stopping_ = true;
  }
  wake_.notify_all();
  flusher_.join();
}

void LogSink::write(const boost::json::object& line) {
  write_line(boost::json::serialize(line));
}

void LogSink::write_line(std::string text) {
  if (!node_member_.empty() && text.starts_with('{')) {
    // "{}" takes the member without its trailing comma.
    if (text.size() > 1 && text[1] == '}') {
      text.insert(1, node_member_.data(), node_member_.size() - 1);
    } else {
      text.insert(1, node_member_);
    }
  }
  text.push_back('\n');
  bool large = false;
  {
    std::unique_lock lock(m_);
    room_.wait(lock, [&] { return stopping_ || pending_.size() < kMaxBufferedBytes; });
    pending_ += text;
    large = pending_.size() >= kFlushBytes;
  }
  if (large) wake_.notify_one();
}

void LogSink::run() {
  std::string batch;
  for (;;) {
    bool stop = false;
    {
      std::unique_lock lock(m_);
      wake_.wait_for(lock, flush_every_,
                     [&] { return stopping_ || pending_.size() >= kFlushBytes; });
      batch.swap(pending_);
      stop = stopping_;
    }
    room_.notify_all();
    if (!batch.empty()) {
      out_.write(batch.data(), static_cast<std::streamsize>(batch.size()));
      out_.flush();
      batch.clear();
    }
    if (stop) {
      // Lines logged while the last batch was written still go out.
      const std::lock_guard lock(m_);
      if (pending_.empty()) return;
    }
  }
}

}  // namespace hookgate::api

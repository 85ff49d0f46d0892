// JSON-lines file destination.
#include "file_sender.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>

#include "hookgate/crypto/encoding.hpp"

namespace hookgate::engine {

std::string event_json(const store::Event& event) {
  boost::system::error_code ec;
  auto headers = boost::json::parse(event.headers, ec);
  boost::json::object o{{"seq", event.seq},
                        {"source", event.source},
                        {"event_type", event.event_type},
                        {"received_ms", event.received_ms},
                        {"headers", ec ? boost::json::value(boost::json::object()) : headers},
                        // base64: the body is raw bytes and need not be UTF-8
                        {"body_base64", crypto::base64_encode(event.body)}};
  return boost::json::serialize(o);
}

SendResult FileSender::send(const store::Delivery& delivery, const config::Destination& destination,
                            int /*attempt*/) {
  SendResult result;
  const std::string line = event_json(delivery.event) + "\n";
  const std::lock_guard lock(m_);
  const int fd = ::open(destination.file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) {
    result.outcome.error = "open " + destination.file + ": " + std::strerror(errno);
    return result;
  }
  std::size_t written = 0;
  while (written < line.size()) {
    const auto n = ::write(fd, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  const bool synced = written == line.size() && ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) result.outcome.error = "write " + destination.file + ": " + std::strerror(errno);
  return result;
}

}  // namespace hookgate::engine

// The listening thread of a PostgresStore (listener.hpp).
#include "store/postgres/listener.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <utility>

namespace hookgate::store::postgres {
namespace {

// How long one poll() waits: the bound on how long destruction waits for the thread.
constexpr int kPollMs = 200;
constexpr auto kFirstBackoff = std::chrono::milliseconds(100);
constexpr auto kMaxBackoff = std::chrono::milliseconds(5000);

}  // namespace

NotificationListener::NotificationListener(Conn conn, NotifyChannel channel)
    : channel_(std::move(channel)), conn_(std::move(conn)), thread_([this] { loop(); }) {}

NotificationListener::~NotificationListener() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_ready_.notify_all();
  thread_.join();
}

void NotificationListener::listen(RemoteListener listener) {
  std::lock_guard lock(mutex_);
  listener_ = std::move(listener);
}

void NotificationListener::tell(const RemoteAppend& append) {
  std::lock_guard lock(mutex_);
  if (!listener_) return;
  try {
    listener_(append);
  } catch (...) {
    // The listener's failure is its own: the thread goes on listening.
  }
}

void NotificationListener::pause(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  stop_ready_.wait_for(lock, delay, [&] { return stopping_; });
}

bool NotificationListener::ensure_listening() {
  if (listening_) return true;
  // A session that stopped listening for any reason is not trusted: a new one replaces it.
  if (!fresh_) {
    if (auto back = conn_.reconnect(); !back) return false;
  }
  fresh_ = false;
  // The channel is a plain identifier (notify.hpp), safe to write into the statement.
  if (auto listened = conn_.run("LISTEN " + channel_.channel); !listened) return false;
  listening_ = true;
  return true;
}

void NotificationListener::loop() {
  auto backoff = kFirstBackoff;
  bool was_down = false;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    try {
      if (!ensure_listening()) {
        was_down = true;
        pause(backoff);
        backoff = std::min(backoff * 2, kMaxBackoff);
        continue;
      }
      backoff = kFirstBackoff;
      if (was_down) {
        was_down = false;
        tell(RemoteAppend{0, "", true});
      }
      pollfd fd{conn_.socket(), POLLIN, 0};
      const int ready = ::poll(&fd, 1, kPollMs);
      auto notes = ready < 0 && errno != EINTR ? Result<std::vector<Notification>>(Error{"poll"})
                                               : conn_.notifications();
      if (!notes) {
        // The next round opens a new session; what was sent meanwhile is lost.
        listening_ = false;
        was_down = true;
        continue;
      }
      for (const auto& note : *notes) {
        if (note.channel != channel_.channel) continue;
        if (auto append = parse_payload(note.payload, channel_.nonce)) tell(*append);
      }
    } catch (...) {
      // Out of memory at worst: wait a little rather than spin or end the thread.
      pause(kFirstBackoff);
    }
  }
}

}  // namespace hookgate::store::postgres

// InFlight: counts work that will call back into an object later (answers owed by another
// thread), so the object's destructor can wait for the last one instead of being called back
// after it is gone.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>

namespace hookgate::api {

class InFlight {
 public:
  // One unit of owed work: counted while any copy of it lives.
  class Hold {
   public:
    explicit Hold(InFlight& owner) : ticket_(std::make_shared<Ticket>(owner)) {}

   private:
    struct Ticket {
      explicit Ticket(InFlight& o) : owner(o) { owner.enter(); }
      ~Ticket() { owner.leave(); }
      Ticket(const Ticket&) = delete;
      Ticket& operator=(const Ticket&) = delete;
      InFlight& owner;
    };
    std::shared_ptr<Ticket> ticket_;
  };

  InFlight() = default;
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

  Hold hold() { return Hold(*this); }

  void wait_idle() {
    std::unique_lock lock(m_);
    idle_.wait(lock, [&] { return count_ == 0; });
  }

 private:
  void enter() {
    const std::lock_guard lock(m_);
    ++count_;
  }
  void leave() {
    // Notified under the lock: the waiter may destroy this object as soon as it sees zero.
    const std::lock_guard lock(m_);
    if (--count_ == 0) idle_.notify_all();
  }

  std::mutex m_;
  std::condition_variable idle_;
  std::size_t count_ = 0;
};

}  // namespace hookgate::api

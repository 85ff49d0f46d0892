// The pool's bookkeeping: lazy connections, loans, and ending transactions.
#include "store/postgres/pool.hpp"

namespace hookgate::store::postgres {

Pool::Pool(std::string url, Conn first, std::size_t size) : url_(std::move(url)), size_(size) {
  idle_.push_back(std::make_unique<Conn>(std::move(first)));
  open_ = 1;
}

Pool::~Pool() = default;

Result<Pool::Loan> Pool::borrow() {
  {
    std::unique_lock lock(mutex_);
    returned_.wait(lock, [&] { return !idle_.empty() || open_ < size_; });
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return Loan(*this, std::move(conn));
    }
    ++open_;  // reserved now, so concurrent callers cannot open more than size_
  }
  auto opened = Conn::open(url_);
  if (!opened) {
    {
      std::lock_guard lock(mutex_);
      --open_;
    }
    returned_.notify_one();
    return Error{opened.error()};
  }
  return Loan(*this, std::make_unique<Conn>(std::move(opened).value()));
}

void Pool::give_back(std::unique_ptr<Conn> conn) {
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(conn));
  }
  returned_.notify_one();
}

Result<bool> Pool::usable(Conn& conn) {
  if (!conn.broken()) return true;
  return conn.reconnect();
}

Result<bool> Pool::commit(Conn& conn) {
  if (auto committed = conn.run("COMMIT"); !committed) {
    if (conn.broken()) {
      return Error{committed.error() + " (the connection broke during COMMIT: outcome unknown)"};
    }
    roll_back(conn);
    return committed;
  }
  return true;
}

void Pool::roll_back(Conn& conn) {
  if (!conn.broken() && conn.in_transaction()) (void)conn.run("ROLLBACK");
}

}  // namespace hookgate::store::postgres

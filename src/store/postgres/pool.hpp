// A small pool of connections for everything but appends (which have their own writer): each
// call borrows a connection, so reads and the dispatcher's writes run side by side.
//
// transaction() runs work between BEGIN and COMMIT. When the connection breaks before COMMIT
// was sent (a server restart leaves every idle connection dead), nothing was committed, so it
// reconnects and runs work once more; a break during COMMIT leaves the outcome unknown and is
// reported as an error. read() runs a single statement, retried the same way. Thread-safe;
// connections open lazily, up to the pool's size.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "hookgate/result.hpp"
#include "store/postgres/pg_conn.hpp"

namespace hookgate::store::postgres {

class Pool {
 public:
  Pool(std::string url, Conn first, std::size_t size);
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  ~Pool();

  // work: Result<T>(Conn&). An error from work rolls the transaction back.
  template <class T, class Work>
  Result<T> transaction(Work work);
  // work: Result<T>(Conn&), one statement (its own snapshot).
  template <class T, class Work>
  Result<T> read(Work work);

 private:
  // A connection on loan, given back when the loan ends.
  class Loan {
   public:
    Loan(Pool& pool, std::unique_ptr<Conn> conn) : pool_(&pool), conn_(std::move(conn)) {}
    Loan(Loan&& other) noexcept = default;
    Loan& operator=(Loan&&) = delete;
    Loan(const Loan&) = delete;
    Loan& operator=(const Loan&) = delete;
    ~Loan() {
      if (conn_) pool_->give_back(std::move(conn_));
    }
    Conn& operator*() const { return *conn_; }

   private:
    Pool* pool_;
    std::unique_ptr<Conn> conn_;
  };

  Result<Loan> borrow();
  void give_back(std::unique_ptr<Conn> conn);
  // A broken connection is reconnected before it is used.
  static Result<bool> usable(Conn& conn);
  static Result<bool> commit(Conn& conn);
  static void roll_back(Conn& conn);

  template <class T, class Work>
  Result<T> transaction_once(Conn& conn, Work& work, bool& retry);

  const std::string url_;
  const std::size_t size_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Conn>> idle_;  // guarded by mutex_
  std::size_t open_ = 0;                     // guarded by mutex_: idle and on loan
};

template <class T, class Work>
Result<T> Pool::transaction_once(Conn& conn, Work& work, bool& retry) {
  retry = false;
  if (auto ready = usable(conn); !ready) return Error{ready.error()};
  if (auto begun = conn.run("BEGIN"); !begun) {
    retry = conn.broken();
    return Error{begun.error()};
  }
  Result<T> outcome = work(conn);
  if (!outcome) {
    retry = conn.broken();
    roll_back(conn);
    return outcome;
  }
  if (auto committed = commit(conn); !committed) return Error{committed.error()};
  return outcome;
}

template <class T, class Work>
Result<T> Pool::transaction(Work work) {
  auto loan = borrow();
  if (!loan) return Error{loan.error()};
  bool retry = false;
  Result<T> outcome = transaction_once<T>(**loan, work, retry);
  if (retry) outcome = transaction_once<T>(**loan, work, retry);
  return outcome;
}

template <class T, class Work>
Result<T> Pool::read(Work work) {
  auto loan = borrow();
  if (!loan) return Error{loan.error()};
  for (int tries = 0;; ++tries) {
    if (auto ready = usable(**loan); !ready) return Error{ready.error()};
    Result<T> outcome = work(**loan);
    if (outcome || tries > 0 || !(**loan).broken()) return outcome;
  }
}

}  // namespace hookgate::store::postgres

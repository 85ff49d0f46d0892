// The one connection per PostgresStore that LISTENs for other nodes' wake-up notices (see
// notify.hpp) and tells the store's RemoteListener, on a thread of its own.
//
// The thread polls the connection's socket with a bounded timeout, so destruction stops it
// within that timeout (or a connect attempt's, at most connect_timeout, while the server is
// down). A broken connection is opened again with backoff (100 ms doubling to 5 s); notices sent
// while it was down are lost, so once it is back the listener is told once as for a requeue
// (seq 0, no source, routed), and claimers look again. Notices of this store's own nonce are
// skipped. The listener runs on this thread: it must be quick and must not call the store.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "hookgate/store/store.hpp"
#include "store/postgres/notify.hpp"
#include "store/postgres/pg_conn.hpp"

namespace hookgate::store::postgres {

class NotificationListener {
 public:
  // conn: an open connection, LISTENed on by the thread (and reconnected when it breaks).
  NotificationListener(Conn conn, NotifyChannel channel);
  NotificationListener(const NotificationListener&) = delete;
  NotificationListener& operator=(const NotificationListener&) = delete;
  ~NotificationListener();

  void listen(RemoteListener listener);

 private:
  void loop();
  bool ensure_listening();  // false: down; wait and try again
  void tell(const RemoteAppend& append);
  void pause(std::chrono::milliseconds delay);

  const NotifyChannel channel_;
  Conn conn_;               // listener thread only
  bool fresh_ = true;       // listener thread only: conn_ as opened, not listened on yet
  bool listening_ = false;  // listener thread only

  std::mutex mutex_;
  std::condition_variable stop_ready_;
  bool stopping_ = false;    // guarded by mutex_
  RemoteListener listener_;  // guarded by mutex_
  std::thread thread_;       // last: starts once everything above exists
};

}  // namespace hookgate::store::postgres

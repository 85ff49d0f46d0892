// What one claim costs on PostgreSQL with a long queue: the rows it reads from deliveries, as
// the server counts them for the current transaction (pg_stat_xact_user_tables), not in time.
// A destination at its room with a long backlog must cost a claim nothing.
#include <cstdint>
#include <string>

#include "postgres_backend.hpp"
#include "store/claim_window.hpp"
#include "store/postgres/claims.hpp"

namespace hookgate::store::testing {
namespace {

using postgres::Conn;
using postgres::Params;

class PostgresClaimCost : public PostgresSchemaTest {
 protected:
  // count deliveries to destination, due from due_ms on, one ms apart.
  static void queue(Conn& conn, int count, const std::string& destination, std::int64_t due_ms) {
    auto queued = conn.exec(
        "INSERT INTO deliveries (event_seq, destination, state, due_ms) "
        "SELECT (SELECT min(seq) FROM events), $1, 'pending', $2 + g "
        "FROM generate_series(0, $3 - 1) AS g",
        Params().bytes(destination).int64(due_ms).int64(count));
    ASSERT_TRUE(queued) << queued.error();
  }

  // Rows of deliveries read so far in this transaction, by sequential and index scans.
  static std::int64_t rows_read(Conn& conn) {
    auto read = conn.exec(
        "SELECT (coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0))::int8 "
        "FROM pg_stat_xact_user_tables WHERE relid = 'deliveries'::regclass");
    EXPECT_TRUE(read) << read.error();
    return read && read->size() == 1 ? read->int64(0, 0) : -1;
  }
};

TEST_F(PostgresClaimCost, AFullDestinationsBacklogCostsAClaimNothing) {
  ASSERT_NE(node(), nullptr);  // the schema
  Conn conn = admin();
  ASSERT_TRUE(
      conn.run("INSERT INTO events (source, event_type, received_ms, headers, body) "
               "VALUES ('s'::bytea, 't'::bytea, 1, '{}'::bytea, '{}'::bytea)"));
  queue(conn, 100'000, "full", 1000);
  queue(conn, 1, "free", 500'000);  // the newest due row of the queue
  ASSERT_TRUE(conn.run("ANALYZE deliveries"));

  ClaimRequest request;
  request.now_ms = 1'000'000;
  request.limit = 10;
  request.owner = "me";
  request.lease_ms = 30'000;
  request.room["full"] = 0;
  ClaimCursor cursor;
  ASSERT_TRUE(conn.run("BEGIN"));
  const std::int64_t before = rows_read(conn);
  auto claimed = postgres::claim_deliveries(conn, request, cursor);
  const std::int64_t after = rows_read(conn);
  ASSERT_TRUE(conn.run("ROLLBACK"));
  ASSERT_TRUE(claimed) << claimed.error();
  ASSERT_EQ(claimed->deliveries.size(), 1u);
  EXPECT_EQ(claimed->deliveries[0].destination, "free");
  EXPECT_FALSE(claimed->next_due_ms) << "what is left waits for room";
  EXPECT_LT(after - before, 100) << "rows of deliveries read by one claim";
}

}  // namespace
}  // namespace hookgate::store::testing

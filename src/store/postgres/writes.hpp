// The store's write operations as SQL on PostgreSQL. Each runs inside a transaction its caller
// opened (the append writer's batch or a pool transaction); none of them commits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hookgate/result.hpp"
#include "hookgate/store/store.hpp"
#include "store/postgres/pg_conn.hpp"

namespace hookgate::store::postgres {

// Appends a batch of events with a few set-based statements, however many events it holds, for
// the caller to send in one pipeline inside its transaction, after the append lock. The outcome
// is what appending the events one after the other would give: an event whose (source, key) an
// earlier one of the batch claimed is its duplicate while that window is live.
class AppendBatch {
 public:
  // Adds the statements to the end of statements. The events must outlive the batch.
  AppendBatch(std::span<const NewEvent* const> events, std::vector<Statement>& statements);

  // Each event's outcome, in the order given, from the rows of all the statements (those the
  // caller had put first included).
  [[nodiscard]] std::vector<Result<Appended>> outcomes(std::span<const Rows> rows) const;

 private:
  // Events appended by one pair of statements: no two of them share a de-duplication key.
  struct Round {
    std::size_t insert = 0;           // its statement inserting the events
    std::vector<std::size_t> events;  // row n of that statement is events[n - 1]
  };
  void add_round(std::span<const NewEvent* const> events, std::vector<std::size_t> chosen,
                 std::vector<Statement>& statements);

  std::vector<Round> rounds_;
  std::span<const NewEvent* const> events_;
  std::size_t size_ = 0;
};

Result<bool> finish_delivery(Conn& conn, const Finished& result, std::string_view owner);
Result<bool> write_setting(Conn& conn, std::string_view key, std::string_view value);
Result<bool> replace_setting_value(Conn& conn, std::string_view key,
                                   const std::optional<std::string>& expected,
                                   std::string_view value);

}  // namespace hookgate::store::postgres

// The store's write operations as SQL on the write connection. Each runs inside the transaction
// the group commit opened; none of them commits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hookgate/result.hpp"
#include "hookgate/store/store.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace hookgate::store::sqlite {

Result<Appended> append_event(Db& db, const NewEvent& event);
// One claimed delivery with its event, as claim hands it out.
Result<Delivery> read_claimed(Db& db, std::int64_t id);
// Records the attempt and moves the delivery on; false (nothing written) when owner does not
// hold the lease.
Result<bool> finish_delivery(Db& db, const Finished& result, std::string_view owner);
// finish_delivery for each result in order; result[i] answers results[i]. A lost lease is a
// false for its item, not an error, so the rest of the batch is still written.
Result<std::vector<bool>> finish_deliveries(Db& db, const std::vector<Finished>& results,
                                            std::string_view owner);
Result<bool> write_setting(Db& db, std::string_view key, std::string_view value);
Result<bool> replace_setting_value(Db& db, std::string_view key,
                                   const std::optional<std::string>& expected,
                                   std::string_view value);

}  // namespace hookgate::store::sqlite

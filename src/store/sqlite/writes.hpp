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
Result<std::vector<Delivery>> claim_due_deliveries(Db& db, std::int64_t now_ms, std::size_t limit,
                                                   std::string_view owner, std::int64_t lease_ms);
Result<bool> finish_delivery(Db& db, const Finished& result, std::string_view owner);
Result<bool> write_setting(Db& db, std::string_view key, std::string_view value);
Result<bool> replace_setting_value(Db& db, std::string_view key,
                                   const std::optional<std::string>& expected,
                                   std::string_view value);

}  // namespace hookgate::store::sqlite

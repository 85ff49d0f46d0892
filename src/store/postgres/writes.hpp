// The store's write operations as SQL on PostgreSQL. Each runs inside a transaction its caller
// opened (the append writer's batch or a pool transaction); none of them commits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hookgate/result.hpp"
#include "hookgate/store/store.hpp"
#include "store/postgres/pg_conn.hpp"

namespace hookgate::store::postgres {

Result<Appended> append_event(Conn& conn, const NewEvent& event);
Result<std::vector<Delivery>> claim_due_deliveries(Conn& conn, std::int64_t now_ms,
                                                   std::size_t limit, std::string_view owner,
                                                   std::int64_t lease_ms);
Result<bool> finish_delivery(Conn& conn, const Finished& result, std::string_view owner);
Result<bool> write_setting(Conn& conn, std::string_view key, std::string_view value);
Result<bool> replace_setting_value(Conn& conn, std::string_view key,
                                   const std::optional<std::string>& expected,
                                   std::string_view value);

}  // namespace hookgate::store::postgres

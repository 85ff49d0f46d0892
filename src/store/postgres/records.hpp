// SQL of the management records (store.hpp, Record) on PostgreSQL.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "hookgate/result.hpp"
#include "hookgate/store/store.hpp"
#include "store/postgres/pg_conn.hpp"

namespace hookgate::store::postgres {

Result<std::optional<Record>> read_record(Conn& conn, std::string_view kind, std::string_view id);
Result<std::vector<Record>> read_records(Conn& conn, std::string_view kind, std::string_view owner,
                                         std::string_view after_id, std::size_t limit);
Result<bool> write_record(Conn& conn, const Record& record, std::int64_t expected_version);
Result<bool> remove_record(Conn& conn, std::string_view kind, std::string_view id);
// records_generation (store.hpp), kept in the settings table; 0 when never moved.
Result<std::optional<std::int64_t>> read_generation(Conn& conn, std::string_view kind,
                                                    std::string_view owner);

}  // namespace hookgate::store::postgres

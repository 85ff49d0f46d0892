// SQL of the management records (store.hpp, Record): reads on the read connection, the
// compare-and-set writes inside the group commit's transaction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "hookgate/result.hpp"
#include "hookgate/store/store.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace hookgate::store::sqlite {

Result<std::optional<Record>> read_record(Db& db, std::string_view kind, std::string_view id);
Result<std::vector<Record>> read_records(Db& db, std::string_view kind, std::string_view owner,
                                         std::string_view after_id, std::size_t limit);
Result<bool> write_record(Db& db, const Record& record, std::int64_t expected_version);
Result<bool> remove_record(Db& db, std::string_view kind, std::string_view id);
// records_generation (store.hpp), kept in the settings table; 0 when never moved.
Result<std::optional<std::int64_t>> read_generation(Db& db, std::string_view kind,
                                                    std::string_view owner);

}  // namespace hookgate::store::sqlite

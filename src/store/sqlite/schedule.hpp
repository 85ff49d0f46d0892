// Writes that move deliveries in time outside a claim/finish cycle (requeue for a resend,
// postpone without an attempt, bring forward what a circuit held) and the shared rate limiter's
// slots. Each runs inside the transaction the group commit opened.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "hookgate/result.hpp"
#include "hookgate/store/store.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace hookgate::store::sqlite {

Result<std::int64_t> requeue_deliveries(Db& db, const Requeue& which, std::int64_t now_ms);
Result<bool> postpone_delivery(Db& db, std::int64_t delivery_id, std::string_view owner,
                               std::int64_t due_ms);
// postpone_delivery for each item in order; a lease not held is a false for its item.
Result<std::vector<bool>> postpone_deliveries(Db& db, const std::vector<Postponement>& items,
                                              std::string_view owner);
// Store::bring_forward.
Result<std::int64_t> bring_forward_deliveries(Db& db, std::string_view destination,
                                              std::int64_t up_to_ms, std::int64_t now_ms,
                                              std::size_t limit);
Result<std::int64_t> reserve_rate_slot(Db& db, std::string_view key, std::int64_t interval_ms,
                                       std::int64_t burst, std::int64_t now_ms);

}  // namespace hookgate::store::sqlite

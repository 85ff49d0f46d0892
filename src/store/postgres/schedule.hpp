// Writes on PostgreSQL that move deliveries in time outside a claim/finish cycle (requeue for a
// resend, postpone without an attempt, bring forward what a circuit held) and the shared rate
// limiter's slots. Each runs inside a transaction its caller opened.
#pragma once

#include <cstdint>
#include <string_view>

#include "hookgate/result.hpp"
#include "hookgate/store/store.hpp"
#include "store/postgres/pg_conn.hpp"

namespace hookgate::store::postgres {

Result<std::int64_t> requeue_deliveries(Conn& conn, const Requeue& which, std::int64_t now_ms);
Result<bool> postpone_delivery(Conn& conn, std::int64_t delivery_id, std::string_view owner,
                               std::int64_t due_ms);
// Store::bring_forward.
Result<std::int64_t> bring_forward_deliveries(Conn& conn, std::string_view destination,
                                              std::int64_t up_to_ms, std::int64_t now_ms,
                                              std::size_t limit);
Result<std::int64_t> reserve_rate_slot(Conn& conn, std::string_view key, std::int64_t interval_ms,
                                       std::int64_t burst, std::int64_t now_ms);

}  // namespace hookgate::store::postgres

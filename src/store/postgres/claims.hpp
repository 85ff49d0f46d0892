// Store::claim and the batched finish / postpone on PostgreSQL: set-based statements over
// arrays, a few round trips per batch whatever its size. Each runs inside a transaction its
// caller opened (a pool transaction).
#pragma once

#include <string_view>
#include <vector>

#include "hookgate/result.hpp"
#include "hookgate/store/store.hpp"
#include "store/claim_window.hpp"
#include "store/postgres/pg_conn.hpp"

namespace hookgate::store::postgres {

// cursor: where the turn over destinations resumes; moved to the last destination taken from.
Result<Claimed> claim_deliveries(Conn& conn, const ClaimRequest& request, ClaimCursor& cursor);
// result[i] answers results[i]: false when owner does not hold that lease (nothing written for
// it). A delivery named twice is finished once; the later items are false.
Result<std::vector<bool>> finish_deliveries(Conn& conn, const std::vector<Finished>& results,
                                            std::string_view owner);
Result<std::vector<bool>> postpone_deliveries(Conn& conn, const std::vector<Postponement>& items,
                                              std::string_view owner);

}  // namespace hookgate::store::postgres

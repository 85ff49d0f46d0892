// Store::claim on SQLite: due deliveries under a lease, destinations with due work visited in
// turn and each read no further than its room, and the time the claimer should look again.
// Runs inside the transaction the group commit opened.
#pragma once

#include "hookgate/result.hpp"
#include "hookgate/store/store.hpp"
#include "store/claim_window.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace hookgate::store::sqlite {

// Only deliveries of events at or below durable_seq are claimed, or counted for the next due time
// (the append that makes a later one durable wakes the claimer): a claim is answered before its
// own sync, so it must never send an event a power cut could still take back.
// cursor: where the turn over destinations resumes; moved past the destinations this claim visited.
Result<Claimed> claim_deliveries(Db& db, const ClaimRequest& request, std::int64_t durable_seq,
                                 ClaimCursor& cursor);

}  // namespace hookgate::store::sqlite

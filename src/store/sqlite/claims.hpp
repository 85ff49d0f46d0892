// Store::claim on SQLite: due deliveries under a lease, per-destination room applied inside the
// query and over a bounded window of candidates, and the time the claimer should look again.
// Runs inside the transaction the group commit opened.
#pragma once

#include "hookgate/result.hpp"
#include "hookgate/store/store.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace hookgate::store::sqlite {

// Only deliveries of events at or below durable_seq are claimed, or counted for the next due time
// (the append that makes a later one durable wakes the claimer): a claim is answered before its
// own sync, so it must never send an event a power cut could still take back.
Result<Claimed> claim_deliveries(Db& db, const ClaimRequest& request, std::int64_t durable_seq);

}  // namespace hookgate::store::sqlite

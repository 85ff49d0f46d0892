// Store::claim on SQLite: due deliveries under a lease, per-destination room applied inside the
// query and over a bounded window of candidates, and the time the claimer should look again.
// Runs inside the transaction the group commit opened.
#pragma once

#include "hookgate/result.hpp"
#include "hookgate/store/store.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace hookgate::store::sqlite {

Result<Claimed> claim_deliveries(Db& db, const ClaimRequest& request);

}  // namespace hookgate::store::sqlite

// The store's read operations as SQL on the read connection. Each statement is its own snapshot
// and is finalised before returning, so no read holds back the writer's WAL checkpoints.
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

// Events of source with after < seq <= up_to (the durable seq), oldest first.
Result<std::vector<Event>> read_events_after(Db& db, std::string_view source, std::int64_t after,
                                             std::int64_t up_to, std::size_t limit);
Result<std::vector<Attempt>> read_attempts(Db& db, std::int64_t delivery_id);
Result<Counts> read_counts(Db& db);
Result<std::optional<std::string>> read_setting(Db& db, std::string_view key);
Result<std::optional<Event>> read_event(Db& db, std::int64_t seq);
Result<std::vector<DeliveryState>> read_deliveries(Db& db, std::int64_t event_seq);
Result<std::optional<Event>> read_event_by_public_id(Db& db, std::string_view source,
                                                     std::string_view public_id,
                                                     std::int64_t up_to);
Result<std::vector<Event>> read_events_before(Db& db, const EventPage& page, std::int64_t up_to);
Result<std::vector<DestinationDelivery>> read_deliveries_to(Db& db, std::string_view destination,
                                                            std::int64_t before_seq,
                                                            std::int64_t up_to, std::size_t limit);
Result<std::vector<DestinationAttempt>> read_attempts_to(Db& db, std::string_view destination,
                                                         std::int64_t before_seq, int before_number,
                                                         std::size_t limit);
Result<DestinationStats> read_destination_stats(Db& db, std::string_view destination,
                                                std::int64_t since_ms, std::int64_t until_ms,
                                                std::int64_t now_ms);

}  // namespace hookgate::store::sqlite

// The store's read operations as SQL on PostgreSQL: one statement each, so each is its own
// snapshot and needs no transaction around it.
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

Result<std::vector<Event>> read_events_after(Conn& conn, std::string_view source,
                                             std::int64_t after, std::size_t limit);
Result<std::optional<Event>> read_event(Conn& conn, std::int64_t seq);
Result<std::vector<DeliveryState>> read_deliveries(Conn& conn, std::int64_t event_seq);
Result<std::vector<Attempt>> read_attempts(Conn& conn, std::int64_t delivery_id);
Result<std::optional<Event>> read_event_by_public_id(Conn& conn, std::string_view source,
                                                     std::string_view public_id);
Result<std::vector<Event>> read_events_before(Conn& conn, const EventPage& page);
Result<std::vector<DestinationDelivery>> read_deliveries_to(Conn& conn,
                                                            std::string_view destination,
                                                            std::int64_t before_seq,
                                                            std::size_t limit);
Result<std::vector<DestinationAttempt>> read_attempts_to(Conn& conn, std::string_view destination,
                                                         std::int64_t before_seq, int before_number,
                                                         std::size_t limit);
Result<DestinationStats> read_destination_stats(Conn& conn, std::string_view destination,
                                                std::int64_t since_ms, std::int64_t until_ms,
                                                std::int64_t now_ms);
Result<Counts> read_counts(Conn& conn);
Result<std::optional<std::string>> read_setting(Conn& conn, std::string_view key);

}  // namespace hookgate::store::postgres

// The wake-up notices nodes sharing one PostgreSQL store send each other (LISTEN/NOTIFY): the
// channel they share, and the payload of one notice, "NONCE SEQ ROUTED SOURCE_HEX":
// - NONCE: the sending store's random id, so a store skips its own notices;
// - SEQ: the highest seq a committed append batch gave the source (0 for a requeue);
// - ROUTED: 1 when those appends queued deliveries;
// - SOURCE_HEX: the source's bytes in hex (empty for a requeue, or a source too long to carry).
// Every character is [0-9a-z_ ], so a payload can be written into SQL text as it is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hookgate/result.hpp"
#include "hookgate/store/store.hpp"

namespace hookgate::store::postgres {

struct NotifyChannel {
  std::string channel;  // shared by the stores of one schema
  std::string nonce;    // this store's own
};

// The channel of the stores whose tables are in schema (nodes sharing a schema share it; test
// schemas in one database do not hear each other), and a fresh nonce.
Result<NotifyChannel> notify_channel(std::string_view schema);

std::string append_payload(std::string_view nonce, std::int64_t seq, bool routed,
                           std::string_view source);
// nullopt for a notice of own_nonce, or one that does not parse.
std::optional<RemoteAppend> parse_payload(std::string_view payload, std::string_view own_nonce);

}  // namespace hookgate::store::postgres

// What every backend shares: the blocking form of Store::append_async, claim_due on claim, and
// where records generations are kept.
#include "hookgate/store/store.hpp"

#include <future>
#include <memory>
#include <utility>

namespace hookgate::store {

Result<Appended> Store::append(NewEvent event) {
  try {
    // Shared with the callback: this thread may return the moment the value is set, while
    // set_value() is still running on the writer thread.
    auto promise = std::make_shared<std::promise<Result<Appended>>>();
    auto outcome = promise->get_future();
    append_async(std::move(event),
                 [promise](Result<Appended> r) { promise->set_value(std::move(r)); });
    return outcome.get();
  } catch (const std::exception& e) {
    return Error{std::string("store write failed: ") + e.what()};
  }
}

Result<std::vector<Delivery>> Store::claim_due(std::int64_t now_ms, std::size_t limit,
                                               std::string_view owner, std::int64_t lease_ms) {
  ClaimRequest request;
  request.now_ms = now_ms;
  request.limit = limit;
  request.owner = owner;
  request.lease_ms = lease_ms;
  auto claimed = claim(request);
  if (!claimed) return Error{claimed.error()};
  return std::move(claimed->deliveries);
}

Result<std::optional<std::int64_t>> Store::records_generation(std::string_view /*kind*/,
                                                              std::string_view /*owner*/) {
  return std::optional<std::int64_t>();
}

std::string records_generation_key(std::string_view kind, std::string_view owner) {
  // kind is one of the engine's constants (no ':'), and owner comes last: no two pairs share a key.
  std::string key = "records_generation:";
  key.append(kind).append(":").append(owner);
  return key;
}

}  // namespace hookgate::store

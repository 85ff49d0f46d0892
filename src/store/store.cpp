// The blocking form of Store::append_async, shared by every backend.
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

// Interim one-by-one forms, replaced by each backend's batched statements.
Result<Claimed> Store::claim(const ClaimRequest& request) {
  auto due = claim_due(request.now_ms, request.limit, request.owner, request.lease_ms);
  if (!due) return Error{due.error()};
  Claimed out;
  out.deliveries = std::move(due.value());
  return out;
}

Result<std::vector<bool>> Store::finish_many(const std::vector<Finished>& results,
                                             std::string_view owner) {
  std::vector<bool> out;
  for (const auto& r : results) {
    auto done = finish(r, owner);
    out.push_back(done && *done);
  }
  return out;
}

Result<std::vector<bool>> Store::postpone_many(const std::vector<Postponement>& items,
                                               std::string_view owner) {
  std::vector<bool> out;
  for (const auto& p : items) {
    auto done = postpone(p.delivery_id, owner, p.due_ms);
    out.push_back(done && *done);
  }
  return out;
}

void Store::on_remote_append(RemoteListener /*listener*/) {}

}  // namespace hookgate::store

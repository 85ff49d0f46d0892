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

}  // namespace hookgate::store

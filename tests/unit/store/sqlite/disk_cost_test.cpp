// The disk cost of the SQLite store: appends typical events (1.5 KiB body, 200 bytes of kept
// headers, one delivery each), then attempts with a 200-byte response excerpt, prints the file
// sizes and checks them against the bounds docs/gateway.md states (a store that kept a body or
// an excerpt twice would fail). 5 000 events and 1 000 attempts by default; the documented
// figure is measured with 100 000 and 10 000:
//   HOOKGATE_DISK_COST_EVENTS=100000 HOOKGATE_DISK_COST_ATTEMPTS=10000
//   ./build/tests/hookgate_unit_tests --gtest_filter='SqliteDiskCost.*'
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <random>
#include <string>

#include "sqlite_backend.hpp"

namespace hookgate::store::sqlite {
namespace {

int from_env(const char* name, int fallback) {
  const char* text = std::getenv(name);
  return text != nullptr && std::atoi(text) > 0 ? std::atoi(text) : fallback;
}

// A JSON-looking body of about size bytes that does not compress away (SQLite stores it as is).
std::string body_of(std::mt19937_64& random, std::size_t size) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string body = R"({"id":"evt_)";
  while (body.size() + 2 < size)
    body.push_back(kAlphabet[random() % (sizeof(kAlphabet) - 1)]);
  return body + "\"}";
}

std::uintmax_t files_size(const std::string& path) {
  std::uintmax_t total = 0;
  for (const char* suffix : {"", "-wal"}) {
    std::error_code ignored;
    const auto size = std::filesystem::file_size(path + suffix, ignored);
    if (!ignored) total += size;
  }
  return total;
}

TEST(SqliteDiskCost, TypicalEventsAndAttemptsStayWithinTheDocumentedCost) {
  const int kEvents = from_env("HOOKGATE_DISK_COST_EVENTS", 5'000);
  const int kAttempts = std::min(kEvents, from_env("HOOKGATE_DISK_COST_ATTEMPTS", 1'000));
  store::testing::SqliteInstance instance;
  std::uintmax_t events_bytes = 0;
  {
    auto opened = instance.open({});
    ASSERT_TRUE(opened) << opened.error();
    auto& store = **opened;
    std::mt19937_64 random(42);
    const std::string headers =
        R"({"content-type":"application/json","user-agent":"GitHub-Hookshot/abc1234",)"
        R"("x-github-event":"push","x-github-delivery":"72d3162e-cc78-11e3-81ab-4c9367dc0958"})";
    std::mutex m;
    std::condition_variable cv;
    int answered = 0;
    int failed = 0;
    for (int i = 0; i < kEvents; ++i) {
      NewEvent e;
      e.source = "github";
      e.event_type = "push";
      e.received_ms = 1'700'000'000'000 + i;
      e.dedupe_key = "72d3162e-cc78-11e3-" + std::to_string(i);
      e.dedupe_until_ms = e.received_ms + 86'400'000;
      e.headers = headers;
      e.body = body_of(random, 1536);
      e.destinations = {"archive"};
      // At most 2 000 in flight, within the write queue's bound.
      {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return i - answered < 2000; });
      }
      store.append_async(std::move(e), [&](const Result<Appended>& r) {
        const std::lock_guard lock(m);
        ++answered;
        if (!r) ++failed;
        cv.notify_all();
      });
    }
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return answered == kEvents; });
    ASSERT_EQ(failed, 0);
  }
  // Closed: SQLite checkpointed the WAL into the file.
  events_bytes = files_size(instance.path());
  std::uintmax_t attempts_bytes = 0;
  {
    auto opened = instance.open({});
    ASSERT_TRUE(opened) << opened.error();
    auto& store = **opened;
    const std::string response(200, 'r');
    int done = 0;
    while (done < kAttempts) {
      auto claimed = store.claim_due(1'800'000'000'000, 1000, "w", 60'000);
      ASSERT_TRUE(claimed) << claimed.error();
      ASSERT_FALSE(claimed->empty());
      for (const auto& d : *claimed) {
        Finished f;
        f.attempt.delivery_id = d.id;
        f.attempt.started_ms = 1'800'000'000'000;
        f.attempt.duration_ms = 35;
        f.attempt.status = 200;
        f.attempt.response = response;
        f.next = Next::delivered;
        ASSERT_TRUE(store.finish(f, "w"));
        if (++done == kAttempts) break;
      }
    }
  }
  attempts_bytes = files_size(instance.path()) - events_bytes;
  const double per_event = static_cast<double>(events_bytes) / kEvents;
  const double per_attempt = static_cast<double>(attempts_bytes) / kAttempts;
  std::cout << kEvents << " events: " << events_bytes << " bytes (" << per_event << " per event, "
            << per_event * 1e6 / (1 << 30) << " GiB per million)\n"
            << kAttempts << " attempts: " << attempts_bytes << " bytes (" << per_attempt
            << " per attempt, " << per_attempt * 1e6 / (1 << 30) << " GiB per million)\n";
  // docs/gateway.md: about 2.3 KB an event (1.5 KiB body + 200 B headers + row and index
  // overhead) and 270 B an attempt; the bounds leave room for page rounding at small counts.
  EXPECT_LT(per_event, 3'000.0);
  EXPECT_LT(per_attempt, 600.0);
}

}  // namespace
}  // namespace hookgate::store::sqlite

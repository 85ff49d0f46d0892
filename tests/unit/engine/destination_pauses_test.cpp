// The operator pause of configured destinations against a real SQLite store and a clock the test
// sets: who, when and why are kept; another instance on the same store (another node, or this
// one after a restart) sees the pause; resuming tells the listener; names that are not
// configured, oversized reasons and malformed records are refused or ignored.
#include "engine/destination_pauses.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace hookgate::engine {
namespace {

class DestinationPausesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("hookgate-pauses-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    open();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void open() {
    store_.reset();
    auto s = store::open_store("sqlite://" + (dir_ / "h.db").string());
    ASSERT_TRUE(s) << s.error();
    store_ = std::move(s.value());
  }
  std::unique_ptr<DestinationPauses> pauses() {
    return std::make_unique<DestinationPauses>(
        *store_, std::vector<std::string>{"orders", "billing"}, [this] { return now_; });
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  std::int64_t now_ = 1'700'000'000'000;
};

TEST_F(DestinationPausesTest, APauseKeepsWhoWhenWhyAndOtherInstancesSeeIt) {
  auto a = pauses();
  auto b = pauses();  // another node on the same store
  ASSERT_TRUE(b->refresh());
  auto set = a->set("orders", true, "admin key 'ops' (hk_12...)", "receiver migration");
  ASSERT_TRUE(set) << set.error();
  EXPECT_TRUE(a->paused("orders"));
  EXPECT_FALSE(a->paused("billing"));
  EXPECT_FALSE(b->paused("orders"));  // memory only until it refreshes
  ASSERT_TRUE(b->refresh());
  EXPECT_TRUE(b->paused("orders"));
  EXPECT_EQ(b->paused_names(), std::vector<std::string>{"orders"});
  auto read = b->read("orders");
  ASSERT_TRUE(read && read->has_value());
  EXPECT_TRUE((*read)->paused);
  EXPECT_EQ((*read)->by, "admin key 'ops' (hk_12...)");
  EXPECT_EQ((*read)->at_ms, now_);
  EXPECT_EQ((*read)->reason, "receiver migration");

  // A restart: a new store connection and a new instance start paused.
  a.reset();
  b.reset();
  open();
  auto c = pauses();
  ASSERT_TRUE(c->refresh());
  EXPECT_TRUE(c->paused("orders"));
}

TEST_F(DestinationPausesTest, ResumingTellsTheListenerAndKeepsWhoResumed) {
  auto a = pauses();
  auto b = pauses();
  int a_told = 0;
  int b_told = 0;
  a->on_resume([&] { ++a_told; });
  b->on_resume([&] { ++b_told; });
  ASSERT_TRUE(a->set("orders", true, "x", ""));
  ASSERT_TRUE(b->refresh());
  ASSERT_TRUE(b->paused("orders"));
  now_ += 60'000;
  ASSERT_TRUE(a->set("orders", false, "y", "done"));
  EXPECT_FALSE(a->paused("orders"));
  EXPECT_EQ(a_told, 1);
  ASSERT_TRUE(b->refresh());
  EXPECT_FALSE(b->paused("orders"));
  EXPECT_EQ(b_told, 1);
  ASSERT_TRUE(b->refresh());
  EXPECT_EQ(b_told, 1);  // told once per resume, not per refresh
  auto read = a->read("orders");
  ASSERT_TRUE(read && read->has_value());
  EXPECT_FALSE((*read)->paused);
  EXPECT_EQ((*read)->by, "y");
  EXPECT_EQ((*read)->at_ms, now_);
}

TEST_F(DestinationPausesTest, UnconfiguredNamesLongReasonsAndBadRecordsAreRefusedOrIgnored) {
  auto a = pauses();
  auto unknown = a->set("endpoint:ep_1", true, "x", "");
  ASSERT_FALSE(unknown);
  EXPECT_TRUE(unknown.error().starts_with("not_found:")) << unknown.error();
  auto long_reason = a->set("orders", true, "x", std::string(kMaxPauseReason + 1, 'r'));
  ASSERT_FALSE(long_reason);
  EXPECT_TRUE(long_reason.error().starts_with("invalid:")) << long_reason.error();
  EXPECT_FALSE(a->paused("orders"));
  // Records a configured name does not own, or that do not decode, pause nothing.
  ASSERT_TRUE(store_->put_record(
      {std::string(kPauseRecordKind), "unconfigured", "", encode_pause({true, "x", 1, ""}), 0}, 0));
  ASSERT_TRUE(
      store_->put_record({std::string(kPauseRecordKind), "billing", "", "{not json", 0}, 0));
  ASSERT_TRUE(a->refresh());
  EXPECT_TRUE(a->paused_names().empty());
  EXPECT_FALSE(decode_pause(R"({"paused":true,"by":"x","at_ms":"1","reason":""})"));
  EXPECT_FALSE(decode_pause(R"({"paused":true,"by":")" + std::string(kMaxPauseActor + 1, 'b') +
                            R"(","at_ms":1,"reason":""})"));
  const DestinationPause p{true, "who", 42, "why"};
  const auto back = decode_pause(encode_pause(p));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->by, "who");
  EXPECT_EQ(back->at_ms, 42);
  EXPECT_EQ(back->reason, "why");
}

}  // namespace
}  // namespace hookgate::engine

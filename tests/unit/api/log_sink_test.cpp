// The log sink: whole lines from many threads, written within the flush interval without
// waiting for more, and everything buffered written at destruction.
#include "api/log_sink.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

namespace hookgate::api {
namespace {

using namespace std::chrono_literals;

class LogSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "hookgate-log-XXXXXX");
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::vector<std::string> lines() const {
    std::ifstream in(path());
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);)
      out.push_back(line);
    return out;
  }
  std::filesystem::path path() const { return dir_ / "log.jsonl"; }
  std::filesystem::path dir_;
};

TEST_F(LogSinkTest, LinesFromManyThreadsStayWholeAndNoneIsLostAtDestruction) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2000;
  {
    std::ofstream out(path());
    // A long interval: what reaches the file is written by size or at destruction.
    LogSink sink(out, std::chrono::milliseconds(60'000));
    std::vector<std::jthread> threads;
    threads.reserve(kThreads);
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&sink, t] {
        for (int i = 0; i < kPerThread; ++i) {
          if (i % 2 == 0) {
            sink.write(boost::json::object{{"thread", t}, {"n", i}, {"pad", std::string(40, 'p')}});
          } else {
            sink.write_line(R"({"thread":)" + std::to_string(t) + R"(,"n":)" + std::to_string(i) +
                            "}");
          }
        }
      });
    }
  }
  const auto got = lines();
  ASSERT_EQ(got.size(), static_cast<std::size_t>(kThreads) * kPerThread);
  std::set<std::pair<std::int64_t, std::int64_t>> seen;
  for (const auto& line : got) {
    boost::system::error_code ec;
    const auto v = boost::json::parse(line, ec);
    ASSERT_FALSE(ec) << "not one whole JSON object: " << line;
    const auto& o = v.as_object();
    seen.emplace(o.at("thread").as_int64(), o.at("n").as_int64());
  }
  EXPECT_EQ(seen.size(), got.size());
}

TEST_F(LogSinkTest, ALineIsWrittenWithinTheIntervalWithoutMoreTraffic) {
  std::ofstream out(path());
  LogSink sink(out, std::chrono::milliseconds(20));
  sink.write_line(R"({"only":"line"})");
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (lines().empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  ASSERT_EQ(lines().size(), 1U);
  EXPECT_EQ(lines().front(), R"({"only":"line"})");
}

TEST_F(LogSinkTest, EveryLineCarriesTheNodeThatWroteIt) {
  {
    std::ofstream out(path());
    // A name a client could not forge into JSON structure: quotes and a backslash stay text.
    LogSink sink(out, std::chrono::milliseconds(60'000), "node-\"1\\");
    sink.write(boost::json::object{{"event", "claimed"}, {"n", 1}});
    sink.write_line(R"({"method":"POST","status":202})");
    sink.write_line("{}");
  }
  const auto got = lines();
  ASSERT_EQ(got.size(), 3U);
  for (const auto& line : got) {
    boost::system::error_code ec;
    const auto v = boost::json::parse(line, ec);
    ASSERT_FALSE(ec) << "not one whole JSON object: " << line;
    ASSERT_TRUE(v.as_object().contains("node")) << line;
    EXPECT_EQ(v.as_object().at("node").as_string(), "node-\"1\\") << line;
  }
  EXPECT_EQ(boost::json::parse(got[1]).as_object().at("status").as_int64(), 202);
  EXPECT_EQ(boost::json::parse(got[2]).as_object().size(), 1U);
}

TEST_F(LogSinkTest, TheNodeNameIsTheConfiguredIdElseHostAndPid) {
  EXPECT_EQ(LogSink::node_name("eu-1"), "eu-1");
  const auto fallback = LogSink::node_name("");
  EXPECT_TRUE(fallback.ends_with("/" + std::to_string(::getpid()))) << fallback;
  EXPECT_GT(fallback.size(), std::to_string(::getpid()).size() + 1);
}

}  // namespace
}  // namespace hookgate::api

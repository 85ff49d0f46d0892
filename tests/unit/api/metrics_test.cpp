// The metrics registry: label values come from the config only (a flood of unknown names adds no
// series), every value is escaped, every family has HELP and TYPE, the process_* series are
// there, and promtool (when installed) accepts the whole exposition.
#include "api/metrics.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "api/process_metrics.hpp"

namespace hookgate::api {
namespace {

MetricNames names() {
  MetricNames n;
  n.sources = {"github", "stripe"};
  n.destinations = {"archive"};
  return n;
}

std::string random_name(std::mt19937& rng) {
  std::string s;
  for (int i = 0; i < 16; ++i)
    s += static_cast<char>('a' + rng() % 26);
  return s;
}

// Names of the families a sample line belongs to (histogram suffixes stripped).
std::set<std::string> sample_families(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line.front() == '#') continue;
    std::string name = line.substr(0, line.find_first_of("{ "));
    for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
      if (name.ends_with(suffix) &&
          text.find("# TYPE " + name.substr(0, name.size() - suffix.size()) + " histogram") !=
              std::string::npos) {
        name.resize(name.size() - suffix.size());
      }
    }
    out.insert(name);
  }
  return out;
}

TEST(Metrics, UnknownSourcesAndDestinationsShareOneSeries) {
  Metrics m(names());
  std::mt19937 rng(7);
  m.request("github", "accepted", 200, 0.01);
  m.request(random_name(rng), "unknown_path", 404, 0.001);
  m.attempt(random_name(rng), "delivered", 0.01);
  m.attempt("endpoint:" + random_name(rng), "delivered", 0.01);
  const auto before = m.series();
  for (int i = 0; i < 500; ++i) {
    m.request(random_name(rng), "unknown_path", 404, 0.001);
    m.attempt(random_name(rng), "delivered", 0.01);
    m.attempt("endpoint:" + random_name(rng), "delivered", 0.01);
  }
  EXPECT_EQ(m.series(), before);
  const auto text = m.render();
  EXPECT_NE(
      text.find(
          R"(hookgate_inbound_requests_total{source="unmatched",verdict="unknown_path"} 501)"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find(
          R"(hookgate_delivery_attempts_total{destination="endpoint",outcome="delivered"} 501)"),
      std::string::npos)
      << text;
}

TEST(Metrics, ReasonCodesThatAreNotCodesAndOverflowCountAsOther) {
  Metrics m(names());
  m.request("github", "x\"}_1_fake{a=\"", 400, 0.001);
  m.request("github", std::string(100, 'a'), 400, 0.001);
  const auto text = m.render();
  EXPECT_EQ(text.find("fake"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(hookgate_inbound_requests_total{source="github",verdict="other"} 2)"),
            std::string::npos)
      << text;
  // Even codes that look right cannot add series without bound.
  for (std::size_t i = 0; i < Metrics::kMaxSeriesPerFamily + 100; ++i) {
    m.request("github", "code_" + std::to_string(i), 400, 0.001);
  }
  EXPECT_LE(m.series(), Metrics::kMaxSeriesPerFamily + 32);
}

TEST(Metrics, LabelValuesAreEscaped) {
  EXPECT_EQ(escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  MetricNames hostile;
  hostile.sources = {"x\"}_1_fake{a=\"\\\n"};
  Metrics m(hostile);
  m.request(hostile.sources.front(), "accepted", 200, 0.001);
  const auto text = m.render();
  EXPECT_NE(text.find(R"({source="x\"}_1_fake{a=\"\\\n",verdict="accepted"} 1)"), std::string::npos)
      << text;
}

TEST(Metrics, EveryFamilyHasHelpAndTypeAndTheProcessSeriesAreThere) {
  Metrics m(names());
  m.request("github", "accepted", 200, 0.01);
  m.attempt("archive", "retry", 0.2);
  m.set_gauge("hookgate_events_stored", "Events in the store.", 3);
  const auto text = m.render();
  const auto families = sample_families(text);
  for (const auto& f : families) {
    EXPECT_NE(text.find("# HELP " + f + " "), std::string::npos) << f;
    EXPECT_NE(text.find("# TYPE " + f + " "), std::string::npos) << f;
  }
  for (const char* f : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                        "process_virtual_memory_bytes", "process_start_time_seconds",
                        "process_open_fds", "process_max_fds", "hookgate_events_stored"}) {
    EXPECT_TRUE(families.contains(f)) << f << "\n" << text;
  }
}

TEST(Metrics, PromtoolAcceptsTheExposition) {
  if (!std::filesystem::exists("/usr/bin/promtool")) GTEST_SKIP() << "promtool not installed";
  MetricNames hostile = names();
  hostile.sources.push_back("we\"ird\\name\nx");
  Metrics m(hostile);
  m.request("github", "accepted", 200, 0.01);
  m.request(hostile.sources.back(), "accepted", 200, 0.01);
  m.request("nope", "unknown_path", 404, 0.01);
  m.attempt("archive", "delivered", 0.02);
  m.set_gauge("hookgate_events_stored", "Events in the store.", 3);
  const auto file = std::filesystem::temp_directory_path() /
                    ("hookgate-metrics-" + std::to_string(::getpid()) + ".txt");
  std::ofstream(file) << m.render();
  const auto command =
      "/usr/bin/promtool check metrics < " + file.string() + " >" + file.string() + ".out 2>&1";
  const int status = std::system(command.c_str());
  std::ifstream out(file.string() + ".out");
  const std::string said((std::istreambuf_iterator<char>(out)), std::istreambuf_iterator<char>());
  EXPECT_EQ(status, 0) << said << "\n" << m.render();
  std::filesystem::remove(file);
  std::filesystem::remove(file.string() + ".out");
}

TEST(ProcessMetrics, ParsesStatWhoseCommandHoldsSpacesAndParentheses) {
  // Fields 3..24 after a command name made to confuse a naive split.
  const std::string stat =
      "1234 (a) b (c) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 3 0 5000 "
      "104857600 2560 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  const auto s = parse_proc_stat(stat, 1'700'000'000, 100, 4096);
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s->cpu_seconds, 4.0);  // (250 + 150) ticks at 100 Hz
  EXPECT_DOUBLE_EQ(s->start_time_seconds, 1'700'000'050.0);
  EXPECT_DOUBLE_EQ(s->virtual_bytes, 104857600.0);
  EXPECT_DOUBLE_EQ(s->resident_bytes, 2560.0 * 4096);
  EXPECT_FALSE(parse_proc_stat("1234 (a) S 1 2", 0, 100, 4096));
  EXPECT_FALSE(parse_proc_stat("no parenthesis", 0, 100, 4096));
  const auto live = sample_process();
  ASSERT_TRUE(live);
  EXPECT_GT(live->resident_bytes, 0);
  EXPECT_GT(live->open_fds, 0);
  EXPECT_GT(live->max_fds, 0);
}

}  // namespace
}  // namespace hookgate::api

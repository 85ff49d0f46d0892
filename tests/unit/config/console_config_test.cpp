// [console]: off by default, needs [api], a bounded session lifetime, no unknown keys.
#include <gtest/gtest.h>

#include "hookgate/config/config.hpp"

namespace hookgate::config {
namespace {

constexpr const char* kApi = "[api]\nenabled = true\nadmin_keys = [\"0123456789abcdef01234567\"]\n";

TEST(ConsoleConfig, OffUnlessEnabledAndTheSessionLifetimeIsBounded) {
  auto off = parse_config(kApi, "t.toml");
  ASSERT_TRUE(off) << off.error();
  EXPECT_FALSE(off->console.enabled);
  auto on = parse_config(std::string(kApi) + "[console]\nsession_ttl_seconds = 3600\n", "t.toml");
  ASSERT_TRUE(on) << on.error();
  EXPECT_TRUE(on->console.enabled);  // the table alone turns it on, as [api] does
  EXPECT_EQ(on->console.session_ttl, std::chrono::hours(1));
  for (const char* bad : {"session_ttl_seconds = 59", "session_ttl_seconds = 604801",
                          "sessions = 1", "enabled = \"yes\""}) {
    auto r = parse_config(std::string(kApi) + "[console]\n" + bad + "\n", "t.toml");
    EXPECT_FALSE(r) << bad;
  }
}

TEST(ConsoleConfig, TheConsoleNeedsTheApi) {
  auto r = parse_config("[console]\nenabled = true\n", "t.toml");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("console.enabled"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("enable [api]"), std::string::npos) << r.error();
  EXPECT_TRUE(parse_config("[console]\nenabled = false\n", "t.toml"));
}

}  // namespace
}  // namespace hookgate::config

// The listen cursor on disk: the XDG location, names per gateway and source, atomic writes,
// and a corrupted file reported rather than guessed.
#include "hookgate/relay/cursor_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace hookgate::relay {
namespace {

class CursorFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("hookgate-cursor-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(CursorFileTest, StateDirectoryFollowsXdgThenHome) {
  const char* old_xdg = std::getenv("XDG_STATE_HOME");
  const std::string saved = old_xdg != nullptr ? old_xdg : "";
  ::setenv("XDG_STATE_HOME", "/x/state", 1);
  EXPECT_EQ(state_directory().value(), "/x/state/hookgate/cursors");
  ::setenv("XDG_STATE_HOME", "relative", 1);  // the XDG spec: relative paths are ignored
  const auto home = state_directory();
  ASSERT_TRUE(home);
  EXPECT_TRUE(home->string().ends_with("/.local/state/hookgate/cursors"));
  if (old_xdg != nullptr) {
    ::setenv("XDG_STATE_HOME", saved.c_str(), 1);
  } else {
    ::unsetenv("XDG_STATE_HOME");
  }
}

TEST_F(CursorFileTest, OneFilePerGatewayAndSourceWithAReadableName) {
  const auto a = cursor_path(dir_, "https://gw.example.com", "github");
  EXPECT_TRUE(a.filename().string().starts_with("gw.example.com-github-"));
  EXPECT_NE(a, cursor_path(dir_, "https://gw.example.com:8443", "github"));
  EXPECT_NE(a, cursor_path(dir_, "https://gw.example.com", "stripe"));
  EXPECT_NE(a, cursor_path(dir_, "http://gw.example.com", "github"));
  // A source name cannot leave the directory.
  EXPECT_EQ(cursor_path(dir_, "http://h", "../../etc/passwd").parent_path(), dir_);
}

TEST_F(CursorFileTest, SavesAtomicallyInAPrivateDirectoryAndLoadsBack) {
  const CursorFile f(dir_ / "sub" / "c");
  EXPECT_FALSE(f.load().value());
  ASSERT_TRUE(f.save(17));
  EXPECT_EQ(f.load().value(), 17);
  ASSERT_TRUE(f.save(9223372036854775807));
  EXPECT_EQ(f.load().value(), 9223372036854775807);
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "sub").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700U);
  // No temporary file is left behind.
  int files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir_ / "sub"))
    ++files;
  EXPECT_EQ(files, 1);
}

TEST_F(CursorFileTest, ACorruptedCursorIsAnErrorNotAGuess) {
  std::filesystem::create_directories(dir_);
  for (const std::string bad : {"", "abc", "007", "-1", "99999999999999999999", "1 2"}) {
    std::ofstream(dir_ / "c", std::ios::trunc) << bad;
    const auto loaded = CursorFile(dir_ / "c").load();
    EXPECT_FALSE(loaded) << bad;
  }
}

}  // namespace
}  // namespace hookgate::relay

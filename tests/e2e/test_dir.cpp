// The per-test temporary directory of the end-to-end suites.
#include "test_dir.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

namespace hookgate::e2e {

std::filesystem::path fresh_test_dir(std::string_view prefix) {
  auto dir = std::filesystem::temp_directory_path() /
             (std::string(prefix) + "-" + std::to_string(getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace hookgate::e2e

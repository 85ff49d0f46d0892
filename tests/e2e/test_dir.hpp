// A fresh, empty directory for the running test, named after it so that parallel test processes
// (ctest -j) and leftovers of an earlier run never share one.
#pragma once

#include <filesystem>
#include <string_view>

namespace hookgate::e2e {

// <tmp>/<prefix>-<pid>-<test name>, emptied and created; the fixture removes it in TearDown.
std::filesystem::path fresh_test_dir(std::string_view prefix);

}  // namespace hookgate::e2e

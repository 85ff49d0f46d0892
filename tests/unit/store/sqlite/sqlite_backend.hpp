// The SQLite backend for the contract suite: each instance is a database file in its own
// temporary directory, removed with the instance.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

#include "../store_contract.hpp"

namespace hookgate::store::testing {

class SqliteInstance : public BackendInstance {
 public:
  SqliteInstance() {
    std::string pattern = (std::filesystem::temp_directory_path() / "hookgate-store-XXXXXX");
    if (::mkdtemp(pattern.data()) != nullptr) dir_ = pattern;
  }
  ~SqliteInstance() override {
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }
  SqliteInstance(const SqliteInstance&) = delete;
  SqliteInstance& operator=(const SqliteInstance&) = delete;

  Result<std::unique_ptr<Store>> open(const StoreOptions& options) override {
    if (dir_.empty()) return Error{"cannot create a temporary directory"};
    return open_store("sqlite://" + path(), options);
  }
  [[nodiscard]] std::string path() const { return (dir_ / "hookgate.db").string(); }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

inline Backend sqlite_backend() {
  return {"Sqlite", [] { return std::make_unique<SqliteInstance>(); }, {}};
}

}  // namespace hookgate::store::testing

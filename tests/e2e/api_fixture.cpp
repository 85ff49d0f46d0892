// The shared fixture of the /api/v1 end-to-end suites (see api_fixture.hpp).
#include "api_fixture.hpp"

#include <signal.h>

#include <fstream>
#include <utility>
#include <vector>

#include "test_dir.hpp"

namespace hookgate::e2e {

void ApiFixture::SetUp() {
  if (!store_.error().empty()) GTEST_SKIP() << store_.error();
  dir_ = fresh_test_dir(dir_prefix_);
}

void ApiFixture::TearDown() {
  if (server_) {
    EXPECT_EQ(server_->stop(SIGTERM), 0) << server_->stderr_text();
  }
  server_.reset();
  if (!dir_.empty()) std::filesystem::remove_all(dir_);
}

std::string ApiFixture::write_config(const std::string& name, const ApiConfig& config) const {
  auto path = (dir_ / name).string();
  std::ofstream out(path);
  out << "[server]\nlisten = \"127.0.0.1:0\"\n[store]\nurl = \"" << store_.url() << "\"\n";
  if (!config.delivery.empty()) out << "[delivery]\n" << config.delivery;
  out << "[outbound]\nallow_cidrs = [\"127.0.0.1/32\"]\nrequire_https = false\n"
      << "timeout_ms = 2000\nsecret_key = \"" << kSealKey << "\"\n";
  if (config.api) out << "[api]\nenabled = true\nadmin_keys = [\"" << kAdminKey << "\"]\n";
  out << config.extra;
  return path;
}

std::unique_ptr<ServerProcess> ApiFixture::start_server(const std::string& name,
                                                        const ApiConfig& config) const {
  return std::make_unique<ServerProcess>(write_config(name, config));
}

HttpResult ApiFixture::call(const std::string& method, const std::string& path,
                            const std::string& body, const std::string& key,
                            const ServerProcess* on) const {
  std::vector<std::pair<std::string, std::string>> headers;
  if (!key.empty()) headers.emplace_back("Authorization", "Bearer " + key);
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
  return http_request((on != nullptr ? on : server_.get())->port(), method, "/api/v1" + path,
                      headers, body);
}

HttpResult ApiFixture::call(const std::string& method, const std::string& path,
                            const boost::json::object& body, const std::string& key,
                            const ServerProcess* on) const {
  return call(method, path, boost::json::serialize(body), key, on);
}

}  // namespace hookgate::e2e

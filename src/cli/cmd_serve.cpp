// `hookgate serve --config FILE`: loads and checks the config (errors name file, line and key,
// before anything listens), opens the store, and serves until SIGINT/SIGTERM, then stops in two
// stages: stop accepting, let in-flight requests finish, close.
#include <csignal>
#include <iostream>

#include "api/gateway.hpp"
#include "cli.hpp"
#include "hookgate/net/http_server.hpp"
#include "hookgate/store/store.hpp"

namespace hookgate::cli {

int run_serve(const std::string& config_path) {
  auto config = config::load_config(config_path);
  if (!config) return usage_error(config.error());
  store::StoreOptions store_options;
  store_options.max_pending_writes = config->limits.max_pending_writes;
  auto store = store::open_store(config->store_url, store_options);
  if (!store) {
    std::cerr << "hookgate: store " << config->store_url << ": " << store.error() << "\n";
    return kExitInvalid;
  }
  auto ingest =
      engine::Ingest::create(*config, **store, [] { return std::chrono::system_clock::now(); });
  if (!ingest) return usage_error(ingest.error());

  // Signals are taken synchronously by this thread; every thread started later inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  api::Gateway gateway(*config, **store, **ingest, std::cout);
  net::HttpServer server(config->listeners, config->limits, gateway);
  if (auto started = server.start(); !started) {
    std::cerr << "hookgate: " << started.error() << "\n";
    return kExitInvalid;
  }
  const auto ports = server.ports();
  for (std::size_t i = 0; i < ports.size(); ++i) {
    const auto& l = config->listeners[i];
    std::cerr << "hookgate: listening on " << (l.tls_certificate.empty() ? "http://" : "https://")
              << l.address << ":" << ports[i] << "\n";
  }
  int received = 0;
  sigwait(&signals, &received);
  std::cerr << "hookgate: stopping (signal " << received << ")\n";
  server.stop(std::chrono::milliseconds(5000));
  return kExitOk;
}

}  // namespace hookgate::cli

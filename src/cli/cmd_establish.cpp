// `hookgate establish asana`: creates the Asana webhook through Asana's API while the running
// gateway (same config, same store) answers the handshake inside the window armed here.
#include <iostream>

#include "cli.hpp"
#include "hookgate/config/config.hpp"
#include "hookgate/config/secret_source.hpp"
#include "hookgate/engine/establish.hpp"
#include "hookgate/net/http_client.hpp"
#include "hookgate/store/store.hpp"

namespace hookgate::cli {

int run_establish(const EstablishOptions& options) {
  auto config = config::load_config(options.config);
  if (!config) return usage_error(config.error());
  auto token = config::resolve_secret(options.token, ".");
  if (!token) return usage_error("--token: " + token.error());
  net::HttpClientOptions client_options;
  // The API base is the operator's choice (Asana, or a proxy in front of it), not input from
  // the outside, so any address may be dialled; TLS is verified as always.
  auto everywhere = net::OutboundPolicy::make({"0.0.0.0/0", "::/0"}, false);
  if (!everywhere) return usage_error(everywhere.error());
  client_options.policy = std::move(everywhere.value());
  client_options.ca_file = options.ca_file;
  // Asana's create call waits for the handshake round trip: give it time.
  client_options.timeout = std::chrono::seconds(options.window_seconds);
  auto client = net::HttpClient::create(client_options);
  if (!client) return usage_error(client.error());
  auto store = store::open_store(config->store_url);
  if (!store) {
    std::cerr << "hookgate: store: " << store.error() << "\n";
    return kExitInvalid;
  }
  const engine::ApiPost post = [&client](const std::string& url, const schemes::HeaderList& headers,
                                         const std::string& body) -> Result<engine::ApiReply> {
    net::OutboundRequest request;
    request.url = url;
    request.headers = headers;
    request.body = body;
    auto response = client->post(request);
    if (!response) return Error{response.error()};
    return engine::ApiReply{response->status, std::move(response->headers),
                            std::move(response->body)};
  };
  engine::AsanaEstablishment request;
  request.source = options.source;
  request.resource = options.resource;
  request.api_base = options.api_base;
  request.token = *token;
  request.window = std::chrono::seconds(options.window_seconds);
  auto done = engine::establish_asana(*config, **store, request, post, [] { return now_ms(); });
  if (!done) {
    std::cerr << "hookgate: establish: " << done.error() << "\n";
    return kExitInvalid;
  }
  std::cout << "established: source " << options.source << ", Asana webhook " << done->webhook_gid
            << ", target " << done->target << "\n";
  return kExitOk;
}

}  // namespace hookgate::cli

// Secure establishment of an Asana webhook, as the Asana forum thread recommends: the gateway
// answers an X-Hook-Secret handshake only inside a window it armed itself, only for the one-time
// code it put in the target URL, and keeps the secret from Asana's API response (the channel the
// gateway opened), after checking it equals what the handshake offered.
//
// The HTTP call to Asana is injected, so this logic is tested without sockets; `hookgate
// establish asana` passes the real client.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "hookgate/config/config.hpp"
#include "hookgate/result.hpp"
#include "hookgate/schemes/header_list.hpp"
#include "hookgate/store/store.hpp"

namespace hookgate::engine {

struct ApiReply {
  int status = 0;
  schemes::HeaderList headers;
  std::string body;
};

// POSTs body to url with headers; an error is a transport failure (no answer).
using ApiPost = std::function<Result<ApiReply>(
    const std::string& url, const schemes::HeaderList& headers, const std::string& body)>;

struct AsanaEstablishment {
  std::string source;    // a [[source]] whose handshake is asana
  std::string resource;  // the Asana resource gid to watch
  std::string api_base = "https://app.asana.com/api/1.0";
  std::string token;  // personal access token (never logged)
  std::chrono::seconds window{60};
};

struct Established {
  std::string webhook_gid;
  std::string target;  // the target URL, without the one-time code
};

// Store settings: the kept secret of an established source, and the Asana webhook's gid.
std::string established_secret_key(std::string_view source);
std::string established_webhook_key(std::string_view source);

// Arms the window, creates the webhook through Asana's API (the gateway, serving the source's path
// on config.public_url, answers the handshake during that call), checks the secret and keeps it.
// On any failure the window is closed and nothing is kept.
Result<Established> establish_asana(const config::Config& config, store::Store& store,
                                    const AsanaEstablishment& request, const ApiPost& post,
                                    const std::function<std::int64_t()>& now_ms);

}  // namespace hookgate::engine

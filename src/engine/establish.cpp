// `hookgate establish asana`: window, code, API call, secret check, keep.
#include "hookgate/engine/establish.hpp"

#include <boost/json.hpp>

#include "hookgate/crypto/compare.hpp"
#include "hookgate/crypto/digest.hpp"
#include "hookgate/crypto/encoding.hpp"
#include "hookgate/crypto/random.hpp"
#include "hookgate/engine/ingest.hpp"

namespace hookgate::engine {

namespace {

constexpr std::string_view kCodeAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

// Asana's error answers are {"errors":[{"message":...}]}; the first message is the useful part.
std::string asana_error(const ApiReply& reply) {
  boost::system::error_code ec;
  const auto v = boost::json::parse(reply.body, ec);
  if (!ec && v.is_object()) {
    if (const auto* errors = v.as_object().if_contains("errors");
        errors != nullptr && errors->is_array() && !errors->as_array().empty()) {
      const auto& first = errors->as_array().front();
      if (first.is_object()) {
        if (const auto* m = first.as_object().if_contains("message"); m && m->is_string()) {
          return std::string(m->as_string()).substr(0, 300);
        }
      }
    }
  }
  return "HTTP " + std::to_string(reply.status);
}

// The secret in the API response: Asana returns X-Hook-Secret with the created webhook. Taken from
// the response header, or from the JSON body when carried there.
std::optional<std::string> response_secret(const ApiReply& reply) {
  if (const auto h = reply.headers.get("X-Hook-Secret"); h && !h->empty()) return std::string(*h);
  boost::system::error_code ec;
  const auto v = boost::json::parse(reply.body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  for (const auto* holder : {&v.as_object(), v.as_object().if_contains("data") != nullptr &&
                                                     v.as_object().at("data").is_object()
                                                 ? &v.as_object().at("data").as_object()
                                                 : nullptr}) {
    if (holder == nullptr) continue;
    for (const char* key : {"X-Hook-Secret", "x-hook-secret", "secret"}) {
      if (const auto* s = holder->if_contains(key); s != nullptr && s->is_string()) {
        return std::string(s->as_string());
      }
    }
  }
  return std::nullopt;
}

std::string gid_of(const ApiReply& reply) {
  boost::system::error_code ec;
  const auto v = boost::json::parse(reply.body, ec);
  if (ec || !v.is_object()) return {};
  const auto* data = v.as_object().if_contains("data");
  if (data == nullptr || !data->is_object()) return {};
  const auto* gid = data->as_object().if_contains("gid");
  return gid != nullptr && gid->is_string() ? std::string(gid->as_string()) : std::string();
}

}  // namespace

std::string established_secret_key(std::string_view source) {
  return "established_secret/" + std::string(source);
}

std::string established_webhook_key(std::string_view source) {
  return "established_webhook/" + std::string(source);
}

Result<Established> establish_asana(const config::Config& config, store::Store& store,
                                    const AsanaEstablishment& request, const ApiPost& post,
                                    const std::function<std::int64_t()>& now_ms) {
  const config::Source* source = nullptr;
  for (const auto& s : config.sources) {
    if (s.name == request.source) source = &s;
  }
  if (source == nullptr) return Error{"no [[source]] is named '" + request.source + "'"};
  if (source->handshake != "asana") {
    return Error{"source " + source->name + " does not use the asana handshake"};
  }
  if (config.public_url.empty()) {
    return Error{"[server] public_url is needed: it is the address Asana calls back"};
  }
  if (request.token.empty()) return Error{"no Asana access token"};
  if (request.resource.empty() ||
      request.resource.find_first_not_of("0123456789") != std::string::npos) {
    return Error{"resource must be an Asana gid (digits)"};
  }

  std::string base = config.public_url;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  Established out;
  out.target = base + source->path;
  PendingEstablishment pending;
  pending.code = crypto::random_string(32, kCodeAlphabet);
  pending.expires_ms = now_ms() + std::chrono::milliseconds(request.window).count();
  const std::string window_key = "establish/" + source->name;
  if (auto armed = store.put_setting(window_key, encode_establishment(pending)); !armed) {
    return Error{"store: " + armed.error()};
  }
  const auto close_window = [&] {
    PendingEstablishment closed;
    closed.code = crypto::random_string(32, kCodeAlphabet);
    closed.expires_ms = 0;
    (void)store.put_setting(window_key, encode_establishment(closed));
  };

  const std::string target =
      out.target + "?" + std::string(kEstablishCodeParam) + "=" + pending.code;
  const boost::json::object payload{
      {"data", boost::json::object{{"resource", request.resource}, {"target", target}}}};
  schemes::HeaderList headers;
  headers.add("Authorization", "Bearer " + request.token);
  headers.add("Content-Type", "application/json");
  headers.add("Accept", "application/json");
  std::string api = request.api_base;
  while (!api.empty() && api.back() == '/')
    api.pop_back();
  auto reply = post(api + "/webhooks", headers, boost::json::serialize(payload));
  if (!reply) {
    close_window();
    return Error{"Asana API: " + reply.error()};
  }
  if (reply->status != 201 && reply->status != 200) {
    close_window();
    return Error{"Asana refused to create the webhook: " + asana_error(*reply)};
  }
  const auto secret = response_secret(*reply);
  if (!secret) {
    close_window();
    return Error{"Asana's response carried no X-Hook-Secret; nothing was kept"};
  }
  auto answered = store.setting(window_key);
  const auto record = answered && answered->has_value() ? decode_establishment(**answered)
                                                        : std::optional<PendingEstablishment>();
  close_window();
  if (!record || record->code != pending.code || record->offered_secret_sha256.empty()) {
    return Error{
        "the gateway did not answer Asana's handshake for this establishment (is "
        "`hookgate serve` running and reachable at " +
        out.target + "?); nothing was kept"};
  }
  const auto digest = crypto::hex_encode(crypto::digest(crypto::DigestAlgorithm::sha256, *secret));
  if (!crypto::constant_time_equal(digest, record->offered_secret_sha256)) {
    return Error{
        "the secret in Asana's response differs from the one the handshake offered: "
        "another party may have answered; nothing was kept"};
  }
  if (auto kept = store.put_setting(established_secret_key(source->name), *secret); !kept) {
    return Error{"store: " + kept.error()};
  }
  out.webhook_gid = gid_of(*reply);
  (void)store.put_setting(established_webhook_key(source->name), out.webhook_gid);
  return out;
}

}  // namespace hookgate::engine

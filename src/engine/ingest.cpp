// The inbound path: handshake -> client address -> signature -> route -> durable append.
#include "hookgate/engine/ingest.hpp"

#include <boost/json.hpp>
#include <future>

#include "client_address.hpp"
#include "engine/inspector.hpp"
#include "hookgate/crypto/compare.hpp"
#include "hookgate/crypto/digest.hpp"
#include "hookgate/crypto/encoding.hpp"
#include "hookgate/engine/establish.hpp"
#include "hookgate/handshakes/handshake.hpp"
#include "hookgate/schemes/verify.hpp"
#include "outbound/public_ids.hpp"
#include "replay_key.hpp"
#include "routing.hpp"
#include "schemes/aws_sns.hpp"
#include "schemes/request_parts.hpp"

namespace hookgate::engine {

namespace {

struct Source {
  config::Source config;
  const schemes::Scheme* scheme = nullptr;
  std::vector<schemes::Key> keys;
  std::optional<handshakes::Kind> handshake;
  std::vector<net::CidrRange> allow;
  std::vector<net::CidrRange> proxies;
  std::size_t body_limit = 0;
};

InboundResponse reply(int status, std::string verdict, std::string_view body = {}) {
  InboundResponse r;
  r.status = status;
  r.verdict = std::move(verdict);
  r.headers.add("Content-Type", "text/plain; charset=utf-8");
  r.body = std::string(body.empty() ? std::string_view(r.verdict) : body) + "\n";
  return r;
}

std::int64_t to_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

Result<std::vector<net::CidrRange>> ranges(const std::vector<std::string>& texts,
                                           const std::string& where) {
  std::vector<net::CidrRange> out;
  for (const auto& t : texts) {
    auto r = net::CidrRange::parse(t);
    if (!r) return Error{where + ": " + r.error()};
    out.push_back(r.value());
  }
  return out;
}

// Whether a Hookgate sender's verified message is for the application a source expects, from
// the signed id alone: the sender's endpoint verification signs "app_.../verify_..." ids, and a
// message id carries its application's tag (outbound/public_ids.hpp). Only ids given to
// messages stored before ids had a tag fall back to webhook-app-id, which the signature does not
// cover.
bool for_expected_app(const std::string& expect, std::string_view id, const InboundRequest& r) {
  if (expect.empty()) return true;
  const auto slash = id.find('/');
  if (slash != std::string_view::npos) return id.substr(0, slash) == expect;
  if (const auto names = outbound::message_id_names_app(id, expect)) return *names;
  return r.headers.get("webhook-app-id").value_or("") == expect;
}

}  // namespace

std::string encode_establishment(const PendingEstablishment& p) {
  boost::json::object o{{"code", p.code},
                        {"expires_ms", p.expires_ms},
                        {"offered_secret_sha256", p.offered_secret_sha256}};
  return boost::json::serialize(o);
}

std::optional<PendingEstablishment> decode_establishment(std::string_view text) {
  boost::system::error_code ec;
  const auto v = boost::json::parse(text, ec);
  const auto* o = ec ? nullptr : v.if_object();
  if (o == nullptr) return std::nullopt;
  const auto* code = o->if_contains("code");
  const auto* expires = o->if_contains("expires_ms");
  const auto* offered = o->if_contains("offered_secret_sha256");
  if (code == nullptr || !code->is_string() || expires == nullptr || !expires->is_int64()) {
    return std::nullopt;
  }
  PendingEstablishment p;
  p.code = std::string(code->get_string());
  p.expires_ms = expires->get_int64();
  if (offered != nullptr && offered->is_string()) {
    p.offered_secret_sha256 = std::string(offered->get_string());
  }
  return p;
}

struct Ingest::Impl {
  const config::Config& config;
  store::Store& store;
  Clock clock;
  UrlVisitor visit;
  std::vector<Source> sources;
  Inspector* inspector = nullptr;

  const Source* find(std::string_view path) const {
    for (const auto& s : sources) {
      if (s.config.path == path) return &s;
    }
    return nullptr;
  }

  std::string full_url(const InboundRequest& r) const {
    if (!config.public_url.empty()) {
      std::string base = config.public_url;
      while (!base.empty() && base.back() == '/')
        base.pop_back();
      return base + r.target;
    }
    const auto host = r.headers.get("Host");
    return "http://" + std::string(host.value_or("localhost")) + r.target;
  }

  // Asana's X-Hook-Secret echo is only answered inside an armed establishment window, for the
  // one-time code the establishment put in the target URL; anything else is an attempt to make
  // the gateway adopt an attacker's secret.
  InboundResponse asana_handshake(const Source& s, const InboundRequest& r, const std::string& url,
                                  const handshakes::Outcome& outcome) {
    const std::string key = "establish/" + s.config.name;
    auto stored = store.setting(key);
    if (!stored) return reply(503, "store_error");
    const auto pending = stored->has_value() ? decode_establishment(**stored) : std::nullopt;
    const auto code = schemes::url_query_param(url, kEstablishCodeParam);
    if (!pending || !pending->offered_secret_sha256.empty()) {
      return reply(403, "handshake_not_armed");
    }
    if (to_ms(clock()) > pending->expires_ms) return reply(403, "handshake_window_expired");
    if (!code || !crypto::constant_time_equal(*code, pending->code)) {
      return reply(403, "handshake_code_mismatch");
    }
    // Remember a digest of what was offered: `hookgate establish` compares it with the secret
    // in Asana's API response before keeping it, and the code cannot be used twice.
    PendingEstablishment answered = *pending;
    answered.offered_secret_sha256 =
        crypto::hex_encode(crypto::digest(crypto::DigestAlgorithm::sha256, outcome.offered_secret));
    // Compare-and-set: two concurrent handshakes (or two nodes) cannot both use the one code.
    auto swapped = store.replace_setting(key, *stored, encode_establishment(answered));
    if (!swapped) return reply(503, "store_error");
    if (!*swapped) return reply(403, "handshake_code_reused");
    InboundResponse out;
    out.status = outcome.response.status;
    out.headers = outcome.response.headers;
    out.verdict = "handshake";
    (void)r;
    return out;
  }

  InboundResponse confirm_subscription(const std::string& url) {
    if (!schemes::sns_subscribe_url_allowed(url)) return reply(403, "subscribe_url_refused");
    if (!visit) return reply(503, "subscribe_unavailable");
    const auto status = visit(url);
    if (!status || *status < 200 || *status > 299) {
      // Not confirmed: a non-2xx tells SNS to send the confirmation again later.
      return reply(502, "subscribe_failed");
    }
    return reply(200, "handshake", "subscription confirmed");
  }

  // Everything before the append: either the final answer (a handshake, a refusal) or the event
  // to append.
  struct Prepared {
    std::optional<InboundResponse> answer;
    store::NewEvent event;
  };

  Prepared prepare(InboundRequest& r) {
    Prepared p;
    p.answer = decide(r, p.event);
    return p;
  }

  // Fills event and returns nothing when the request is an event to append.
  std::optional<InboundResponse> decide(InboundRequest& r, store::NewEvent& event) {
    const auto path = std::string_view(r.target).substr(0, r.target.find('?'));
    const Source* s = find(path);
    if (s == nullptr) return reply(404, "unknown_path");
    const auto url = full_url(r);
    const auto now = clock();

    if (!s->allow.empty()) {
      const auto client = client_address(r.peer, r.headers, s->proxies);
      if (!client || !in_any(*client, s->allow)) {
        auto out = reply(403, "ip_not_allowed");
        out.source = s->config.name;
        return out;
      }
    }

    const schemes::RequestView view{r.method, url, r.headers, r.body};
    schemes::VerifyOptions options;
    options.now = now;
    options.tolerance = s->config.tolerance;
    const auto refuse = [&](const schemes::Verdict& v) {
      auto out = reply(s->config.failure_status, std::string(schemes::to_string(v.reason)));
      out.source = s->config.name;
      return out;
    };

    if (s->handshake) {
      const std::string secret = s->keys.empty() || s->config.secrets.empty()
                                     ? std::string()
                                     : s->config.secrets.front().value;
      const std::string verify_token =
          s->config.verify_token ? s->config.verify_token->value : std::string();
      const auto outcome =
          handshakes::answer(*s->handshake, handshakes::Request{r.method, url, r.headers, r.body},
                             handshakes::Context{secret, verify_token});
      if (outcome.action == handshakes::Outcome::Action::refuse) {
        auto out = reply(outcome.response.status, "handshake_refused", outcome.reason);
        out.source = s->config.name;
        return out;
      }
      if (outcome.action == handshakes::Outcome::Action::respond) {
        if (*s->handshake == handshakes::Kind::asana) {
          auto out = asana_handshake(*s, r, url, outcome);
          out.source = s->config.name;
          return out;
        }
        if (outcome.verify_first) {
          const auto v = schemes::verify(*s->scheme, view, s->keys, options);
          if (!v.ok()) return refuse(v);
          if (!for_expected_app(s->config.expect_app_id, v.id, r)) {
            auto out = reply(s->config.failure_status, "wrong_application");
            out.source = s->config.name;
            return out;
          }
        }
        if (!outcome.visit_url.empty()) {
          // Only after the signature held, and only an AWS SNS address: a forged confirmation
          // must not make the gateway fetch a URL of someone else's choosing.
          auto out = confirm_subscription(outcome.visit_url);
          out.source = s->config.name;
          return out;
        }
        InboundResponse out;
        out.status = outcome.response.status;
        out.headers = outcome.response.headers;
        out.body = outcome.response.body;
        out.verdict = "handshake";
        out.source = s->config.name;
        return out;
      }
    }

    if (r.method != "POST") {
      auto out = reply(405, "method_not_allowed");
      out.headers.add("Allow", "POST");
      out.source = s->config.name;
      return out;
    }
    std::vector<schemes::Key> established;
    if (s->keys.empty() && s->handshake == handshakes::Kind::asana) {
      // Kept by `hookgate establish` (possibly on another node): read at each request so a new
      // establishment takes effect without a restart.
      auto kept = store.setting(established_secret_key(s->config.name));
      if (!kept) {
        auto out = reply(503, "store_error");
        out.source = s->config.name;
        return out;
      }
      if (kept->has_value()) {
        if (auto key = schemes::Key::parse_secret(*s->scheme, **kept)) {
          established.push_back(std::move(key.value()));
        }
      }
    }
    const auto verdict =
        schemes::verify(*s->scheme, view, established.empty() ? s->keys : established, options);
    if (!verdict.ok()) return refuse(verdict);
    if (!for_expected_app(s->config.expect_app_id, verdict.id, r)) {
      // Genuinely signed, but for another account of the sender: not ours to accept.
      auto out = reply(s->config.failure_status, "wrong_application");
      out.source = s->config.name;
      return out;
    }

    const schemes::JsonBody json(r.body);
    std::string event_type;
    const auto& from = s->config.event_type_from;
    if (from.starts_with("header:")) {
      event_type = std::string(r.headers.get(from.substr(7)).value_or(""));
    } else if (from.starts_with("json:")) {
      event_type = json.field(from.substr(5)).value_or("");
    }

    boost::json::object kept;
    for (const auto& name : s->config.keep_headers) {
      if (const auto v = r.headers.get(name)) kept[name] = *v;
    }
    event.source = s->config.name;
    event.event_type = event_type;
    event.received_ms = to_ms(now);
    // Every accepted event has a replay key: a resent copy is a duplicate, whatever unsigned
    // headers (a fresh X-GitHub-Delivery) it carries.
    auto replay = replay_key(*s->scheme, verdict, s->config, event.received_ms);
    event.dedupe_key = std::move(replay.key);
    event.dedupe_until_ms = replay.until_ms;
    event.headers = boost::json::serialize(kept);
    event.destinations = route(config.routes, s->config.name, event_type, json);
    // Last: json and view above read the body in place.
    event.body = std::move(r.body);
    return std::nullopt;
  }
};

namespace {

InboundResponse appended_response(std::string source, bool routed,
                                  const Result<store::Appended>& appended) {
  if (!appended) {
    const bool busy = appended.error().starts_with(store::kBusy);
    auto out = reply(503, busy ? "busy" : "store_error");
    out.headers.add("Retry-After", "1");
    out.source = std::move(source);
    return out;
  }
  InboundResponse out;
  out.status = 200;
  out.verdict = appended->duplicate ? "duplicate" : "accepted";
  out.seq = appended->seq;
  out.routed = routed && !appended->duplicate;
  out.source = std::move(source);
  out.headers.add("Content-Type", "application/json");
  out.body = R"({"status":")" + out.verdict + R"(","seq":)" + std::to_string(appended->seq) + "}";
  return out;
}

}  // namespace

Ingest::Ingest(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Ingest::~Ingest() = default;

Result<std::unique_ptr<Ingest>> Ingest::create(const config::Config& config, store::Store& store,
                                               Clock clock, UrlVisitor visit,
                                               Inspector* inspector) {
  auto impl = std::make_unique<Impl>(
      Impl{config, store, std::move(clock), std::move(visit), {}, inspector});
  for (const auto& c : config.sources) {
    Source s;
    s.config = c;
    s.scheme = config.catalogue.find(c.scheme);
    if (s.scheme == nullptr) return Error{"source " + c.name + ": unknown scheme " + c.scheme};
    for (const auto& secret : c.secrets) {
      auto key = schemes::Key::parse_secret(*s.scheme, secret.value);
      if (!key) return Error{"source " + c.name + ": secrets: " + key.error()};
      s.keys.push_back(std::move(key.value()));
    }
    for (const auto& pub : c.public_keys) {
      auto key = schemes::Key::parse_public_key(*s.scheme, pub.value);
      if (!key) return Error{"source " + c.name + ": public_keys: " + key.error()};
      s.keys.push_back(std::move(key.value()));
    }
    if (!c.handshake.empty() && c.handshake != "none") {
      s.handshake = handshakes::parse_kind(c.handshake);
      if (!s.handshake) return Error{"source " + c.name + ": unknown handshake " + c.handshake};
    }
    auto allow = ranges(c.allow_ips, "source " + c.name + ": allow_ips");
    if (!allow) return Error{allow.error()};
    auto proxies = ranges(c.trusted_proxies, "source " + c.name + ": trusted_proxies");
    if (!proxies) return Error{proxies.error()};
    s.allow = std::move(allow.value());
    s.proxies = std::move(proxies.value());
    s.body_limit = c.max_body_bytes.value_or(config.limits.max_body_bytes);
    impl->sources.push_back(std::move(s));
  }
  return std::unique_ptr<Ingest>(new Ingest(std::move(impl)));
}

bool Ingest::has_source(std::string_view path) const {
  return impl_->find(path) != nullptr;
}

std::size_t Ingest::body_limit(std::string_view path) const {
  const auto* s = impl_->find(path);
  return s != nullptr ? s->body_limit : impl_->config.limits.max_body_bytes;
}

bool Ingest::may_block(std::string_view path) const {
  const auto* s = impl_->find(path.substr(0, path.find('?')));
  // Asana sources read the store (establishment window, established secret); SNS confirmations
  // visit a URL. Everything else is computation until the append, which does not block.
  return s != nullptr &&
         (s->handshake == handshakes::Kind::asana || s->handshake == handshakes::Kind::aws_sns);
}

namespace {

const char* inspector_verdict(const InboundResponse& out) {
  if (out.verdict == "handshake") return "handshake";
  if (out.verdict == "duplicate") return "duplicate";
  return "refused";
}

}  // namespace

void Ingest::handle_async(InboundRequest request, const Answer& answer) {
  Impl::Prepared prepared;
  try {
    prepared = impl_->prepare(request);
  } catch (const std::exception&) {
    // Nothing was answered 2xx, so nothing is lost.
    prepared.answer = reply(500, "internal_error");
  }
  Inspector* inspector = impl_->inspector;
  if (prepared.answer) {
    if (inspector != nullptr && !prepared.answer->source.empty()) {
      const auto& out = *prepared.answer;
      inspector->capture(out.source, to_ms(impl_->clock()),
                         {request.method, request.target, request.headers, request.body,
                          request.body.size(), request.peer},
                         inspector_verdict(out), out.verdict, out.status, 0);
    }
    answer(std::move(*prepared.answer));
    return;
  }
  store::AppendDone done;
  try {
    // The append's outcome runs on the store's writer, which every append waits for: it carries
    // nothing of the request but two small values, and a duplicate (or failed append) is
    // captured without headers or body (a duplicate is the stored event by its replay key, and
    // the inspector shows that event's body and kept headers).
    done = [source = prepared.event.source, routed = !prepared.event.destinations.empty(),
            received_ms = prepared.event.received_ms, answer, inspector,
            body_size = prepared.event.body.size(),
            peer = inspector != nullptr ? request.peer
                                        : std::nullopt](const Result<store::Appended>& appended) {
      auto out = appended_response(source, routed, appended);
      if (inspector != nullptr) {
        if (out.verdict == "accepted") {
          inspector->accepted(source, received_ms);
        } else {
          static const schemes::HeaderList no_headers;
          inspector->capture(source, received_ms,
                             {"POST", inspector->path_of(source), no_headers, {}, body_size, peer},
                             inspector_verdict(out), out.verdict, out.status,
                             appended ? appended->seq : 0);
        }
      }
      answer(std::move(out));
    };
  } catch (const std::exception&) {
    // Out of memory before anything was stored: nothing was accepted, nothing is lost.
    answer(reply(500, "internal_error"));
    return;
  }
  impl_->store.append_async(std::move(prepared.event), std::move(done));
}

InboundResponse Ingest::handle(InboundRequest request) {
  try {
    // Shared with the callback: this thread may return while set_value() is still running.
    auto promise = std::make_shared<std::promise<InboundResponse>>();
    auto outcome = promise->get_future();
    handle_async(std::move(request),
                 [promise](InboundResponse r) { promise->set_value(std::move(r)); });
    return outcome.get();
  } catch (const std::exception&) {
    return reply(500, "internal_error");
  }
}

}  // namespace hookgate::engine

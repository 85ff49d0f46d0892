// Applications, endpoints, API keys and publishing against a real SQLite store.
#include "outbound/registry.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "outbound/publisher.hpp"
#include "outbound/sealing_key.hpp"

namespace hookgate::outbound {
namespace {

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("hookgate-registry-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto s = store::open_store("sqlite://" + (dir_ / "h.db").string());
    ASSERT_TRUE(s) << s.error();
    store_ = std::move(s.value());
    auto policy = net::OutboundPolicy::make({"127.0.0.1/32"}, false);
    ASSERT_TRUE(policy) << policy.error();
    policy_ = *policy;
    // The key a single SQLite node uses without configuration: generated next to the database.
    auto key = sealing_key_file((dir_ / "h.db").string());
    ASSERT_TRUE(key) << key.error();
    ASSERT_TRUE(key->generated);
    seal_ = key->seal;
    registry_ = with_seal(seal_);
  }
  void TearDown() override {
    registry_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string app() {
    auto a = registry_->create_app("shop");
    EXPECT_TRUE(a) << a.error();
    return a ? a->id : "";
  }

  CreatedEndpoint endpoint(const std::string& app_id, const EndpointInput& in) {
    auto e = registry_->create_endpoint(app_id, in);
    EXPECT_TRUE(e) << e.error();
    return e ? *e : CreatedEndpoint{};
  }

  std::unique_ptr<Registry> with_seal(std::shared_ptr<const SecretSeal> seal) {
    return std::make_unique<Registry>(
        *store_, RegistrySettings{policy_, std::chrono::hours(1), std::move(seal)},
        [this] { return now_; });
  }

  // Everything SQLite has on disk for the store: the database and its write-ahead log.
  std::string disk_bytes() const {
    std::string all;
    for (const char* name : {"h.db", "h.db-wal"}) {
      std::ifstream in(dir_ / name, std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      all += text.str();
    }
    return all;
  }

  std::string raw_row(const std::string& id) const {
    auto r = store_->record(kEndpointKind, id);
    return r && r->has_value() ? (*r)->body : "";
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  net::OutboundPolicy policy_ = net::OutboundPolicy::make({}, false).value();
  std::shared_ptr<const SecretSeal> seal_;
  std::unique_ptr<Registry> registry_;
  std::int64_t now_ = 1'700'000'000'000;
};

TEST_F(RegistryTest, EndpointSecretsAreGeneratedOrSuppliedAndValidated) {
  const auto a = app();
  EndpointInput in;
  in.url = "https://hooks.example.com/in";
  const auto created = endpoint(a, in);
  EXPECT_TRUE(created.receiver_key.starts_with("whsec_"));
  EXPECT_TRUE(created.endpoint.verified);  // verification none
  EXPECT_EQ(registry_->reveal_secret(a, created.endpoint.id).value(), created.receiver_key);

  in.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  EXPECT_EQ(endpoint(a, in).receiver_key, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  in.secret = "whsec_c2hvcnQ=";  // 5 bytes
  auto short_secret = registry_->create_endpoint(a, in);
  ASSERT_FALSE(short_secret);
  EXPECT_TRUE(short_secret.error().starts_with("invalid:")) << short_secret.error();
  EXPECT_EQ(short_secret.error().find("c2hvcnQ"), std::string::npos);  // never echoed
  in.secret.reset();
  in.signing = "ed25519";
  const auto ed = endpoint(a, in);
  // The receiver gets the public key; the private key stays in the endpoint's keys.
  EXPECT_TRUE(ed.receiver_key.starts_with("whpk_")) << ed.receiver_key;
  EXPECT_EQ(ed.receiver_key, ed.endpoint.keys.front().public_key);
  EXPECT_TRUE(ed.endpoint.keys.front().secret.starts_with("whsk_"));
  EXPECT_EQ(registry_->reveal_secret(a, ed.endpoint.id).value(), ed.receiver_key);
  auto rotated = registry_->rotate_secret(a, ed.endpoint.id, std::nullopt, std::nullopt);
  ASSERT_TRUE(rotated) << rotated.error();
  EXPECT_TRUE(rotated->starts_with("whpk_")) << *rotated;
  EXPECT_NE(*rotated, ed.receiver_key);
}

TEST_F(RegistryTest, RefusesUnsafeUrlsAndReservedHeaders) {
  const auto a = app();
  for (const char* url :
       {"http://169.254.169.254/latest/meta-data", "http://10.0.0.1/", "http://[::1]/",
        "ftp://example.com/", "http://user@example.com/", "http://127.0.0.2/"}) {
    EndpointInput in;
    in.url = url;
    auto e = registry_->create_endpoint(a, in);
    ASSERT_FALSE(e) << url;
    EXPECT_TRUE(e.error().starts_with("invalid: url")) << e.error();
  }
  EndpointInput ok;
  ok.url = "http://127.0.0.1:9/";
  EXPECT_TRUE(registry_->create_endpoint(a, ok));
  ok.headers = std::map<std::string, std::string>{{"webhook-signature", "forged"}};
  EXPECT_FALSE(registry_->create_endpoint(a, ok));
  ok.headers = std::map<std::string, std::string>{{"X-Team", "a\r\nInjected: 1"}};
  EXPECT_FALSE(registry_->create_endpoint(a, ok));
  ok.headers = std::map<std::string, std::string>{{"X-Team", "payments"}};
  EXPECT_TRUE(registry_->create_endpoint(a, ok));
}

TEST_F(RegistryTest, ChangingTheUrlOfAVerifiedEndpointNeedsVerificationAgain) {
  const auto a = app();
  EndpointInput in;
  in.url = "https://a.example.com/";
  in.verification = "echo";
  auto e = endpoint(a, in).endpoint;
  EXPECT_FALSE(e.verified);
  ASSERT_TRUE(registry_->modify_endpoint(e.id, [](Endpoint& x) {
    x.verified = true;
    return true;
  }));
  EndpointInput same;
  same.description = "renamed";
  EXPECT_TRUE(registry_->update_endpoint(a, e.id, same)->verified);
  EndpointInput moved;
  moved.url = "https://b.example.com/";
  EXPECT_FALSE(registry_->update_endpoint(a, e.id, moved)->verified);
  // Another application cannot see or change it.
  const auto other = app();
  EXPECT_TRUE(registry_->endpoint(other, e.id).error().starts_with("not_found"));
  EXPECT_FALSE(registry_->update_endpoint(other, e.id, same));
}

TEST_F(RegistryTest, RotationKeepsThePreviousSecretForTheGracePeriod) {
  const auto a = app();
  EndpointInput in;
  in.url = "https://a.example.com/";
  const auto created = endpoint(a, in);
  auto next = registry_->rotate_secret(a, created.endpoint.id, std::nullopt, std::nullopt);
  ASSERT_TRUE(next) << next.error();
  EXPECT_NE(*next, created.receiver_key);
  auto e = registry_->endpoint(a, created.endpoint.id).value();
  ASSERT_EQ(e.live_keys(now_).size(), 2U);
  EXPECT_EQ(e.live_keys(now_)[0].secret, *next);
  EXPECT_EQ(e.live_keys(now_)[1].secret, created.receiver_key);
  EXPECT_EQ(e.live_keys(now_ + 3'600'001).size(), 1U);  // grace over
  EXPECT_EQ(registry_->reveal_secret(a, e.id).value(), *next);
  // Rotating with no grace drops the old key at once.
  ASSERT_TRUE(registry_->rotate_secret(a, e.id, std::nullopt, std::chrono::seconds(0)));
  EXPECT_EQ(registry_->endpoint(a, e.id)->live_keys(now_).size(), 1U);
}

TEST_F(RegistryTest, ApiKeysAreStoredHashedAndFoundByTheirPlaintext) {
  const auto a = app();
  auto key = registry_->create_api_key("ci", a);
  ASSERT_TRUE(key) << key.error();
  EXPECT_TRUE(key->plaintext.starts_with("hgk_"));
  auto stored = store_->record(kApiKeyKind, key->key.hash);
  ASSERT_TRUE(stored && stored->has_value());
  EXPECT_EQ((*stored)->body.find(key->plaintext), std::string::npos);
  auto found = registry_->find_api_key(key->plaintext);
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->scope, a);
  EXPECT_FALSE(registry_->find_api_key(key->plaintext + "x")->has_value());
  EXPECT_FALSE(registry_->create_api_key("bad", "app_missing"));
  ASSERT_TRUE(registry_->delete_api_key(key->key.hash));
  EXPECT_FALSE(registry_->find_api_key(key->plaintext)->has_value());
  // Deleting an application takes its endpoints and keys with it.
  auto other = registry_->create_api_key("ci", a);
  ASSERT_TRUE(other);
  EndpointInput in;
  in.url = "https://a.example.com/";
  const auto e = endpoint(a, in).endpoint.id;
  ASSERT_TRUE(registry_->delete_app(a));
  EXPECT_FALSE(registry_->find_api_key(other->plaintext)->has_value());
  EXPECT_TRUE(registry_->endpoint_by_id(e).error().starts_with("not_found"));
  EXPECT_TRUE(registry_->app(a).error().starts_with("not_found"));
}

TEST_F(RegistryTest, ListsPageByCursor) {
  std::set<std::string> ids;
  for (int i = 0; i < 7; ++i)
    ids.insert(app());
  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page = registry_->apps(cursor, 3);
    ASSERT_TRUE(page) << page.error();
    for (const auto& a : page->items)
      EXPECT_TRUE(seen.insert(a.id).second);
    cursor = page->next;
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(seen, ids);
  EXPECT_EQ(pages, 3);
}

TEST_F(RegistryTest, PublishingFansOutToEnabledVerifiedSubscribedEndpointsOnce) {
  const auto a = app();
  EndpointInput all;
  all.url = "https://all.example.com/";
  const auto e_all = endpoint(a, all).endpoint.id;
  EndpointInput typed = all;
  typed.event_types = std::vector<std::string>{"invoice.paid"};
  const auto e_typed = endpoint(a, typed).endpoint.id;
  EndpointInput off = all;
  off.enabled = false;
  endpoint(a, off);
  EndpointInput unverified = all;
  unverified.verification = "challenge";
  endpoint(a, unverified);

  Publisher publisher(*store_, *registry_, std::chrono::hours(24), [this] { return now_; });
  Message m;
  m.app_id = a;
  m.event_type = "invoice.paid";
  m.payload = R"({"amount": 10.50 ,"id":"in_1"})";
  m.idempotency_key = "order-1";
  auto first = publisher.publish(m);
  ASSERT_TRUE(first) << first.error();
  EXPECT_FALSE(first->duplicate);
  std::set<std::string> got(first->endpoints.begin(), first->endpoints.end());
  EXPECT_EQ(got, (std::set<std::string>{e_all, e_typed}));
  auto again = publisher.publish(m);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->id, first->id);
  EXPECT_EQ(store_->deliveries(first->seq)->size(), 2U);
  EXPECT_EQ(store_->event(first->seq)->value().body, m.payload);  // byte for byte

  m.event_type = "invoice.voided";
  m.idempotency_key.clear();
  auto other = publisher.publish(m);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->endpoints, std::vector<std::string>{e_all});
  m.app_id = "app_nope";
  EXPECT_TRUE(publisher.publish(m).error().starts_with("not_found"));
}

// An application with more endpoints than one page of records: the fan-out reads every page,
// and the subscribers of one type are exactly those subscribed to it (or to everything).
TEST_F(RegistryTest, PublishingFansOutOverEveryPageOfEndpoints) {
  const auto a = app();
  std::set<std::string> typed, everything;
  for (int i = 0; i < 260; ++i) {
    EndpointInput in;
    in.url = "https://e" + std::to_string(i) + ".example.com/";
    if (i % 3 == 0) {
      everything.insert(endpoint(a, in).endpoint.id);
      continue;
    }
    in.event_types = std::vector<std::string>{i % 3 == 1 ? "a.b" : "c.d"};
    const auto id = endpoint(a, in).endpoint.id;
    if (i % 3 == 1) typed.insert(id);
  }
  auto ids = registry_->subscribers(a, "a.b");
  ASSERT_TRUE(ids) << ids.error();
  std::set<std::string> want = typed;
  want.insert(everything.begin(), everything.end());
  EXPECT_EQ(std::set<std::string>(ids->begin(), ids->end()), want);
  EXPECT_EQ(ids->size(), want.size());  // each once
  Publisher publisher(*store_, *registry_, std::chrono::hours(24), [this] { return now_; });
  Message m;
  m.app_id = a;
  m.event_type = "a.b";
  m.payload = "{}";
  auto published = publisher.publish(m);
  ASSERT_TRUE(published) << published.error();
  EXPECT_EQ(store_->deliveries(published->seq)->size(), want.size());
  EXPECT_TRUE(registry_->subscribers("app_nope", "a.b").error().starts_with("not_found"));
}

// Svix's channel rules: an endpoint without channels takes every message; one with channels
// takes only messages sharing one of them (none without channels); event types filter as well.
TEST_F(RegistryTest, ChannelsRouteMessagesAsSvixDoes) {
  const auto a = app();
  EndpointInput in;
  in.url = "http://127.0.0.1:9/h";
  const auto any = endpoint(a, in).endpoint.id;
  const auto only_a = endpoint(a, in).endpoint.id;
  const auto a_or_b = endpoint(a, in).endpoint.id;
  in.event_types = std::vector<std::string>{"x.y"};
  const auto typed_b = endpoint(a, in).endpoint.id;
  const auto set_channels = [&](const std::string& id, std::vector<std::string> channels) {
    auto changed = registry_->modify_endpoint(id, [&](Endpoint& e) {
      e.channels = channels;
      return true;
    });
    ASSERT_TRUE(changed) << changed.error();
  };
  set_channels(only_a, {"a"});
  set_channels(a_or_b, {"a", "b"});
  set_channels(typed_b, {"b"});
  const auto fan_out = [&](const std::string& type, std::vector<std::string> channels) {
    auto ids = registry_->subscribers(a, type, channels);
    EXPECT_TRUE(ids) << ids.error();
    return ids ? std::set<std::string>(ids->begin(), ids->end()) : std::set<std::string>{};
  };
  EXPECT_EQ(fan_out("x.y", {}), (std::set<std::string>{any}));
  EXPECT_EQ(fan_out("x.y", {"a"}), (std::set<std::string>{any, only_a, a_or_b}));
  EXPECT_EQ(fan_out("x.y", {"b"}), (std::set<std::string>{any, a_or_b, typed_b}));
  EXPECT_EQ(fan_out("other", {"b"}), (std::set<std::string>{any, a_or_b}));
  EXPECT_EQ(fan_out("x.y", {"c", "a"}), (std::set<std::string>{any, only_a, a_or_b}));
  EXPECT_EQ(fan_out("x.y", {"c"}), (std::set<std::string>{any}));

  // A publish to channel b becomes deliveries to exactly those endpoints, and keeps its
  // channels with the stored message.
  Publisher publisher(*store_, *registry_, std::chrono::hours(24), [this] { return now_; });
  Message m;
  m.app_id = a;
  m.event_type = "x.y";
  m.payload = "{}";
  m.meta.channels = {"b"};
  auto published = publisher.publish(m);
  ASSERT_TRUE(published) << published.error();
  EXPECT_EQ(std::set<std::string>(published->endpoints.begin(), published->endpoints.end()),
            (std::set<std::string>{any, a_or_b, typed_b}));
  EXPECT_EQ(store_->deliveries(published->seq)->size(), 3U);
  auto stored = store_->event_by_public_id(app_source(a), published->id);
  ASSERT_TRUE(stored && stored->has_value());
  EXPECT_EQ(message_meta_from_json((*stored)->meta).channels, std::vector<std::string>{"b"});
}

// Message ids are random and sortable, never the log's seq: two publishes in a row share no
// counter, and an eventId is the message's identity within its application only.
TEST_F(RegistryTest, MessageIdsAreRandomAndEventIdsIdempotentPerApplication) {
  const auto a = app();
  const auto b = app();
  Publisher publisher(*store_, *registry_, std::chrono::hours(24), [this] { return now_; });
  Message m;
  m.app_id = a;
  m.event_type = "x.y";
  m.payload = "{}";
  auto one = publisher.publish(m);
  auto two = publisher.publish(m);
  ASSERT_TRUE(one && two);
  EXPECT_NE(one->id, two->id);
  EXPECT_TRUE(is_message_id(one->id)) << one->id;
  EXPECT_EQ(one->id.size(), 40U);
  // Sortable by time: an id made a millisecond later sorts after, whatever its application.
  EXPECT_LT(new_message_id(now_, b), new_message_id(now_ + 1, a));
  EXPECT_LT(new_message_id(1, a), new_message_id(281'474'976'710'655, a));  // 2^48 - 1
  // The application's tag is in the id (so in what the signature covers), and names no other.
  EXPECT_EQ(message_id_names_app(one->id, a), true);
  EXPECT_EQ(message_id_names_app(one->id, b), false);
  EXPECT_EQ(message_id_names_app(new_message_id(now_, b), b), true);
  // Ids given to messages stored before ids carried a tag (32 hex digits) name none.
  EXPECT_EQ(message_id_names_app("msg_0123456789abcdef0123456789abcdef", a), std::nullopt);
  EXPECT_EQ(message_id_names_app("ep_" + one->id.substr(4), a), std::nullopt);
  // A digit outside base62 in an id of the right length is no message of anyone's.
  EXPECT_EQ(message_id_names_app("msg_" + std::string(35, '0') + "!", a), false);
  m.meta.event_id = "evt-1";
  auto first = publisher.publish(m);
  auto again = publisher.publish(m);
  ASSERT_TRUE(first && again);
  EXPECT_FALSE(first->duplicate);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->id, first->id);
  EXPECT_TRUE(again->endpoints.empty());
  m.app_id = b;
  auto other = publisher.publish(m);
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->duplicate);
  EXPECT_NE(other->id, first->id);
}

constexpr const char* kKnownSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* kKnownSecretBody = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

TEST_F(RegistryTest, EndpointSecretsAreSealedAtRestAndOpenOnRead) {
  const auto a = app();
  EndpointInput in;
  in.url = "https://hooks.example.com/in";
  in.secret = kKnownSecret;
  const auto hmac = endpoint(a, in);
  in.secret.reset();
  in.signing = "ed25519";
  const auto ed = endpoint(a, in);
  ASSERT_FALSE(hmac.endpoint.id.empty());
  ASSERT_FALSE(ed.endpoint.id.empty());
  // Rotation writes sealed too.
  auto rotated = registry_->rotate_secret(a, hmac.endpoint.id, std::nullopt, std::nullopt);
  ASSERT_TRUE(rotated) << rotated.error();

  // Nothing on disk holds a secret: neither the supplied one, nor a private key.
  const auto disk = disk_bytes();
  ASSERT_FALSE(disk.empty());
  EXPECT_EQ(disk.find(kKnownSecretBody), std::string::npos);
  EXPECT_EQ(disk.find(rotated->substr(6)), std::string::npos);
  EXPECT_EQ(disk.find("whsk_"), std::string::npos);
  EXPECT_EQ(disk.find("whsec_"), std::string::npos);
  EXPECT_NE(raw_row(hmac.endpoint.id).find("sealed:v1:"), std::string::npos);

  // And every read opens them: the same keys as written, with the public key beside.
  const auto back = registry_->endpoint(a, hmac.endpoint.id);
  ASSERT_TRUE(back) << back.error();
  ASSERT_EQ(back->keys.size(), 2U);
  EXPECT_EQ(back->keys[0].secret, *rotated);
  EXPECT_EQ(back->keys[1].secret, kKnownSecret);
  const auto ed_back = registry_->endpoint(a, ed.endpoint.id);
  ASSERT_TRUE(ed_back) << ed_back.error();
  EXPECT_TRUE(ed_back->keys[0].secret.starts_with("whsk_"));
  EXPECT_EQ(ed_back->keys[0].public_key, ed.receiver_key);

  // The generated key file is private to the owner, and a second start reads the same key.
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "h.db.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  auto again = sealing_key_file((dir_ / "h.db").string());
  ASSERT_TRUE(again) << again.error();
  EXPECT_FALSE(again->generated);
  EXPECT_TRUE(with_seal(again->seal)->endpoint(a, hmac.endpoint.id));
}

TEST_F(RegistryTest, ClearRowsOfEarlierVersionsAreReadAndSealedAtStart) {
  const auto a = app();
  Endpoint old;
  old.id = "ep_fromanearlierversion";
  old.app_id = a;
  old.url = "https://hooks.example.com/old";
  old.verified = true;
  old.keys.push_back(SigningKey{kKnownSecret, "", 0});
  auto put = store_->put_record({std::string(kEndpointKind), old.id, a, to_json(old), 0}, 0);
  ASSERT_TRUE(put && *put);
  ASSERT_NE(raw_row(old.id).find(kKnownSecretBody), std::string::npos);

  auto read = registry_->endpoint(a, old.id);
  ASSERT_TRUE(read) << read.error();
  EXPECT_EQ(read->keys.front().secret, kKnownSecret);

  auto sealed = registry_->seal_stored_secrets();
  ASSERT_TRUE(sealed) << sealed.error();
  EXPECT_EQ(*sealed, 1U);
  EXPECT_EQ(raw_row(old.id).find(kKnownSecretBody), std::string::npos);
  EXPECT_NE(raw_row(old.id).find("sealed:v1:"), std::string::npos);
  EXPECT_EQ(registry_->endpoint(a, old.id)->keys.front().secret, kKnownSecret);
  EXPECT_EQ(registry_->seal_stored_secrets().value(), 0U);  // nothing left in clear
}

TEST_F(RegistryTest, AWrongSealingKeyIsDetectedNotUsed) {
  const auto a = app();
  EndpointInput in;
  in.url = "https://hooks.example.com/in";
  in.secret = kKnownSecret;
  const auto created = endpoint(a, in);

  auto other = SecretSeal::from_base64(SecretSeal::generate_base64());
  ASSERT_TRUE(other) << other.error();
  const auto wrong = with_seal(std::make_shared<const SecretSeal>(std::move(other.value())));
  const auto check = wrong->seal_stored_secrets();
  ASSERT_FALSE(check);
  EXPECT_NE(check.error().find(created.endpoint.id), std::string::npos) << check.error();
  EXPECT_NE(check.error().find("does not open"), std::string::npos) << check.error();
  EXPECT_EQ(check.error().find(kKnownSecretBody), std::string::npos);
  // Reads fail instead of handing a wrong key to the signer.
  const auto read = wrong->endpoint(a, created.endpoint.id);
  ASSERT_FALSE(read);
  EXPECT_TRUE(read.error().starts_with("store_error:")) << read.error();

  // No key at all: sealed rows do not open, and nothing new is written in clear.
  const auto keyless = with_seal(nullptr);
  EXPECT_FALSE(keyless->seal_stored_secrets());
  in.secret = "whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=";
  EXPECT_FALSE(keyless->create_endpoint(a, in));
  EXPECT_EQ(disk_bytes().find("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo"), std::string::npos);
}

TEST_F(RegistryTest, ASealedSecretCopiedToAnotherEndpointDoesNotOpen) {
  const auto a = app();
  EndpointInput in;
  in.url = "https://hooks.example.com/victim";
  const auto victim = endpoint(a, in);
  in.url = "https://hooks.example.com/attacker";
  const auto attacker = endpoint(a, in);
  // Someone with write access to the rows moves the victim's sealed key to their endpoint.
  const auto victim_row = boost::json::parse(raw_row(victim.endpoint.id)).as_object();
  auto attacker_row = boost::json::parse(raw_row(attacker.endpoint.id)).as_object();
  attacker_row["keys"] = victim_row.at("keys");
  auto put = store_->put_record({std::string(kEndpointKind), attacker.endpoint.id, a,
                                 boost::json::serialize(attacker_row), 0},
                                1);
  ASSERT_TRUE(put && *put);
  const auto read = registry_->endpoint(a, attacker.endpoint.id);
  ASSERT_FALSE(read);
  EXPECT_NE(read.error().find("another endpoint"), std::string::npos) << read.error();
}

TEST_F(RegistryTest, KeyFilesOthersCanReadOrThatAreMalformedAreRefused) {
  const auto db = (dir_ / "other.db").string();
  { std::ofstream(db + ".key") << SecretSeal::generate_base64() << "\n"; }
  std::filesystem::permissions(
      db + ".key", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                       std::filesystem::perms::group_read | std::filesystem::perms::others_read);
  auto open = sealing_key_file(db);
  ASSERT_FALSE(open);
  EXPECT_NE(open.error().find("chmod 600"), std::string::npos) << open.error();
  std::filesystem::permissions(
      db + ".key", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_TRUE(sealing_key_file(db));
  {
    std::ofstream(db + ".key") << "c2hvcnQ=\n";  // 5 bytes
  }
  auto short_key = sealing_key_file(db);
  ASSERT_FALSE(short_key);
  EXPECT_NE(short_key.error().find("32"), std::string::npos) << short_key.error();
}

// Uids: unique across everything sharing the store, usable instead of ids, freed on delete and
// on a change, never shaped like an id.
TEST_F(RegistryTest, ApplicationUidsAreUniqueAndResolveToIds) {
  AppInput in;
  in.name = "Acme";
  in.uid = "acme";
  auto acme = registry_->create_app(in);
  ASSERT_TRUE(acme) << acme.error();
  EXPECT_EQ(registry_->app_id_of("acme").value(), std::optional<std::string>(acme->id));
  EXPECT_EQ(registry_->app_id_of("nobody").value(), std::nullopt);
  // A second registry (another node on the same store) cannot take it.
  auto other_node = with_seal(seal_);
  in.name = "Impostor";
  const auto taken = other_node->create_app(in);
  ASSERT_FALSE(taken);
  EXPECT_TRUE(taken.error().starts_with("conflict")) << taken.error();
  EXPECT_EQ(registry_->apps("", 10)->items.size(), 1U);  // the refused one is not stored
  for (const std::string& bad :
       std::vector<std::string>{"app_acme", "with space", std::string(257, 'a'), "a/b"}) {
    AppInput b;
    b.name = "x";
    b.uid = bad;
    const auto refused = registry_->create_app(b);
    EXPECT_FALSE(refused) << bad;
  }
  // Renamed: the old uid is free, the new one resolves.
  AppInput rename;
  rename.uid = "acme-2";
  ASSERT_TRUE(registry_->update_app(acme->id, rename));
  EXPECT_EQ(registry_->app_id_of("acme").value(), std::nullopt);
  EXPECT_EQ(registry_->app_id_of("acme-2").value(), std::optional<std::string>(acme->id));
  in.name = "Newcomer";
  auto newcomer = other_node->create_app(in);
  ASSERT_TRUE(newcomer) << newcomer.error();
  // Renaming onto a taken uid is a conflict that changes nothing.
  rename.uid = "acme";
  EXPECT_TRUE(registry_->update_app(acme->id, rename).error().starts_with("conflict"));
  EXPECT_EQ(registry_->app(acme->id)->uid, "acme-2");
  // Deleted: its uid is free again.
  ASSERT_TRUE(registry_->delete_app(newcomer->id));
  EXPECT_EQ(registry_->app_id_of("acme").value(), std::nullopt);
  EXPECT_TRUE(registry_->create_app(in));
}

// Nodes racing for one uid (registries of their own on one store, at once): one wins, the
// others get a conflict and leave nothing behind.
TEST_F(RegistryTest, RacingCreatesOfOneUidLeaveExactlyOneApplication) {
  constexpr int kRacers = 8;
  std::vector<std::unique_ptr<Registry>> nodes;
  nodes.reserve(kRacers);
  for (int i = 0; i < kRacers; ++i)
    nodes.push_back(with_seal(seal_));
  std::vector<Result<App>> results(kRacers, Error{"not run"});
  std::vector<std::thread> threads;
  threads.reserve(kRacers);
  for (int i = 0; i < kRacers; ++i) {
    threads.emplace_back([&, i] {
      AppInput in;
      in.name = "racer " + std::to_string(i);
      in.uid = "race";
      results[static_cast<std::size_t>(i)] = nodes[static_cast<std::size_t>(i)]->create_app(in);
    });
  }
  for (auto& t : threads)
    t.join();
  std::string winner;
  for (const auto& r : results) {
    if (r) {
      EXPECT_TRUE(winner.empty()) << "two applications got the uid";
      winner = r->id;
    } else {
      EXPECT_TRUE(r.error().starts_with("conflict")) << r.error();
    }
  }
  ASSERT_FALSE(winner.empty());
  EXPECT_EQ(registry_->app_id_of("race").value(), std::optional<std::string>(winner));
  EXPECT_EQ(registry_->apps("", 50)->items.size(), 1U);
}

// A claim left behind (its application was removed without releasing it, as a crash between
// the two writes would) does not block the uid forever and does not resolve.
TEST_F(RegistryTest, AStaleUidClaimIsTakenOver) {
  AppInput in;
  in.name = "Acme";
  in.uid = "acme";
  auto acme = registry_->create_app(in);
  ASSERT_TRUE(acme);
  ASSERT_TRUE(store_->delete_record(kAppKind, acme->id).value());
  EXPECT_EQ(registry_->app_id_of("acme").value(), std::nullopt);
  auto again = registry_->create_app(in);
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(registry_->app_id_of("acme").value(), std::optional<std::string>(again->id));
}

TEST_F(RegistryTest, EndpointUidsAreUniqueWithinTheirApplication) {
  const auto a = app();
  const auto b = app();
  EndpointInput in;
  in.url = "http://127.0.0.1:9/hook";
  in.uid = "primary";
  const auto first = endpoint(a, in);
  EXPECT_EQ(registry_->endpoint_id_of(a, "primary").value(),
            std::optional<std::string>(first.endpoint.id));
  EXPECT_TRUE(registry_->create_endpoint(a, in).error().starts_with("conflict"));
  EXPECT_EQ(registry_->endpoints(a, "", 10)->items.size(), 1U);
  // Another application's namespace is its own.
  const auto theirs = endpoint(b, in);
  EXPECT_EQ(registry_->endpoint_id_of(b, "primary").value(),
            std::optional<std::string>(theirs.endpoint.id));
  in.uid = "ep_primary";
  EXPECT_TRUE(registry_->create_endpoint(a, in).error().starts_with("invalid"));
  ASSERT_TRUE(registry_->delete_endpoint(a, first.endpoint.id));
  EXPECT_EQ(registry_->endpoint_id_of(a, "primary").value(), std::nullopt);
}

TEST_F(RegistryTest, EventTypesAreCreatedArchivedUnarchivedAndExpunged) {
  EventTypeInput in;
  in.description = "An invoice was paid";
  in.schemas = R"({"1":{"type":"object"}})";
  auto made = registry_->create_event_type("invoice.paid", in);
  ASSERT_TRUE(made) << made.error();
  EXPECT_TRUE(registry_->create_event_type("invoice.paid", in).error().starts_with("conflict"));
  EXPECT_TRUE(registry_->create_event_type("bad name", in).error().starts_with("invalid"));
  in.schemas = std::string(kMaxEventTypeSchemas + 1, ' ');
  EXPECT_TRUE(registry_->create_event_type("big", in).error().starts_with("invalid"));
  ASSERT_TRUE(registry_->delete_event_type("invoice.paid", false));
  EXPECT_TRUE(registry_->event_type("invoice.paid")->archived);
  EXPECT_TRUE(registry_->event_types("", 10, false)->items.empty());
  EXPECT_EQ(registry_->event_types("", 10, true)->items.size(), 1U);
  // Creating an archived one unarchives it.
  EventTypeInput again;
  again.description = "paid";
  auto back = registry_->create_event_type("invoice.paid", again);
  ASSERT_TRUE(back) << back.error();
  EXPECT_FALSE(back->archived);
  EXPECT_EQ(back->schemas, "");
  ASSERT_TRUE(registry_->delete_event_type("invoice.paid", true));
  EXPECT_TRUE(registry_->event_type("invoice.paid").error().starts_with("not_found"));
}

// An expired key is refused exactly as an unknown one.
TEST_F(RegistryTest, ExpiringApiKeysStopAtTheirExpiry) {
  const auto a = app();
  ApiKey like;
  like.scope = a;
  like.expires_ms = now_ + 3'600'000;
  like.capabilities = {"ViewBase"};
  like.session_id = "s1";
  auto key = registry_->create_api_key(like);
  ASSERT_TRUE(key) << key.error();
  EXPECT_TRUE(registry_->find_api_key(key->plaintext)->has_value());
  now_ += 3'600'000;
  EXPECT_FALSE(registry_->find_api_key(key->plaintext)->has_value());
  // Expire-all cuts the application's portal tokens (of the sessions named) short.
  like.expires_ms = now_ + 3'600'000;
  auto s1 = registry_->create_api_key(like);
  like.session_id = "s2";
  auto s2 = registry_->create_api_key(like);
  auto plain = registry_->create_api_key("ci", a);
  ASSERT_TRUE(s1 && s2 && plain);
  EXPECT_EQ(registry_->expire_portal_tokens(a, {"s1"}, 0).value(), 1U);
  EXPECT_FALSE(registry_->find_api_key(s1->plaintext)->has_value());
  EXPECT_TRUE(registry_->find_api_key(s2->plaintext)->has_value());
  EXPECT_EQ(registry_->expire_portal_tokens(a, {}, 60'000).value(), 1U);
  EXPECT_TRUE(registry_->find_api_key(s2->plaintext)->has_value());
  now_ += 60'000;
  EXPECT_FALSE(registry_->find_api_key(s2->plaintext)->has_value());
  EXPECT_TRUE(registry_->find_api_key(plain->plaintext)->has_value());  // not a portal token
}

// base62_decode reads back exactly what base62 wrote, and refuses what does not fit.
TEST(PublicIds, Base62ReadsBackWhatItWrote) {
  for (const std::string& bytes :
       {std::string(26, '\0'), std::string(26, '\xff'), std::string("\x01\x80\x00\x7f\xfe", 5)}) {
    EXPECT_EQ(base62_decode(base62(bytes, 36), bytes.size()), bytes);
  }
  EXPECT_EQ(base62("\x3e", 2), "10");               // 62
  EXPECT_EQ(base62_decode("zz", 1), std::nullopt);  // 3 843 does not fit in one byte
  EXPECT_EQ(base62_decode("0-", 1), std::nullopt);  // not a base62 digit
}

}  // namespace
}  // namespace hookgate::outbound

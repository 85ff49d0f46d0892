// HttpSender against a loopback receiver (the project's HttpServer): the receiver checks the
// Standard Webhooks signature with the project's verify() over the exact bytes it got; bearer
// tokens, content types, and how statuses (429/503 with Retry-After, 410, 3xx) and transport
// failures become attempt outcomes.
#include "engine/http_sender.hpp"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <mutex>

#include "hookgate/net/http_server.hpp"
#include "hookgate/schemes/catalogue.hpp"
#include "hookgate/schemes/key.hpp"
#include "hookgate/schemes/verify.hpp"

namespace hookgate::engine {
namespace {

using std::chrono::milliseconds;

constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

// Answers with a status and headers chosen by the test; keeps every request.
class Receiver : public net::HttpHandler {
 public:
  std::size_t body_limit(std::string_view, std::string_view) const override { return 1 << 20; }
  void handle(net::HttpRequest req, net::Responder respond) override {
    net::HttpResponse res;
    {
      const std::lock_guard lock(m_);
      requests_.push_back(req);
      res = answer_;
    }
    respond(std::move(res));
  }
  void answer(net::HttpResponse res) {
    const std::lock_guard lock(m_);
    answer_ = std::move(res);
  }
  std::vector<net::HttpRequest> requests() const {
    const std::lock_guard lock(m_);
    return requests_;
  }

 private:
  mutable std::mutex m_;
  net::HttpResponse answer_;
  std::vector<net::HttpRequest> requests_;
};

class HttpSenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config::Listener l;
    l.address = "127.0.0.1";
    l.port = 0;
    server_ = std::make_unique<net::HttpServer>(std::vector{l}, config::Limits{}, receiver_);
    auto started = server_->start();
    ASSERT_TRUE(started) << started.error();
    url_ = "http://127.0.0.1:" + std::to_string(server_->ports().front()) + "/hooks?t=1";
    destination_.name = "orders";
    destination_.kind = config::Destination::Kind::http;
    destination_.url = url_;
    destination_.sign = "standard-webhooks";
    destination_.secret = config::SecretRef{"inline", kSecret};
    destination_.timeout = milliseconds(20'000);
    delivery_.id = 7;
    delivery_.event.seq = 42;
    delivery_.event.source = "github";
    delivery_.event.headers = "{}";
    // Not UTF-8, with a NUL: the body must arrive byte for byte.
    delivery_.event.body = std::string("{\"a\":1}\0\xff\xfe tail", 15);
  }
  void TearDown() override { server_->stop(milliseconds(100)); }

  static net::OutboundPolicy loopback_policy() {
    return *net::OutboundPolicy::make({"127.0.0.1/32"}, false);
  }

  Receiver receiver_;
  std::unique_ptr<net::HttpServer> server_;
  std::string url_;
  config::Destination destination_;
  store::Delivery delivery_;
};

TEST_F(HttpSenderTest, SignedBodyVerifiesAtTheReceiver) {
  HttpSender sender(loopback_policy());
  const auto result = sender.send(delivery_, destination_, 1);
  EXPECT_EQ(result.outcome.error, "");
  EXPECT_EQ(result.outcome.status, 200);

  const auto requests = receiver_.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& req = requests[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/hooks?t=1");
  EXPECT_EQ(req.body, delivery_.event.body);
  EXPECT_EQ(req.headers.get("Content-Type"), "application/json");
  EXPECT_TRUE(req.headers.get("User-Agent").value_or("").starts_with("Hookgate/"));
  EXPECT_EQ(req.headers.get("webhook-id"), "evt_42");
  EXPECT_EQ(req.headers.count("Authorization"), 0u);

  const auto catalogue = schemes::Catalogue::with_builtins();
  ASSERT_TRUE(catalogue);
  const auto* scheme = catalogue->find("standard-webhooks");
  ASSERT_NE(scheme, nullptr);
  const auto key = schemes::Key::parse_secret(*scheme, kSecret);
  ASSERT_TRUE(key);
  const schemes::RequestView view{req.method, url_, req.headers, req.body};
  const auto verdict = schemes::verify(*scheme, view, std::span(&*key, 1));
  EXPECT_TRUE(verdict.ok()) << schemes::to_string(verdict.reason) << ": " << verdict.detail;
  EXPECT_EQ(verdict.id, "evt_42");

  // A tampered body does not verify with the same headers.
  const std::string tampered = req.body + " ";
  const schemes::RequestView bad{req.method, url_, req.headers, tampered};
  EXPECT_FALSE(schemes::verify(*scheme, bad, std::span(&*key, 1)).ok());
}

TEST_F(HttpSenderTest, RetriesKeepTheIdAndTakeANewTimestamp) {
  auto now = std::chrono::system_clock::now();
  HttpSender sender(loopback_policy(), [&now] { return now; });
  ASSERT_EQ(sender.send(delivery_, destination_, 1).outcome.status, 200);
  now += std::chrono::seconds(90);
  ASSERT_EQ(sender.send(delivery_, destination_, 2).outcome.status, 200);
  const auto requests = receiver_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].headers.get("webhook-id"), requests[1].headers.get("webhook-id"));
  const auto t0 = std::stoll(std::string(requests[0].headers.get("webhook-timestamp").value()));
  const auto t1 = std::stoll(std::string(requests[1].headers.get("webhook-timestamp").value()));
  EXPECT_EQ(t1 - t0, 90);
  EXPECT_NE(requests[0].headers.get("webhook-signature"),
            requests[1].headers.get("webhook-signature"));
}

TEST_F(HttpSenderTest, BearerTokenAndStoredContentType) {
  destination_.sign = "none";
  destination_.secret.reset();
  destination_.bearer = config::SecretRef{"env:TOKEN", "t0ken-value"};
  delivery_.event.headers = R"({"content-type":"application/x-www-form-urlencoded"})";
  HttpSender sender(loopback_policy());
  EXPECT_EQ(sender.send(delivery_, destination_, 1).outcome.status, 200);
  const auto requests = receiver_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].headers.get("Authorization"), "Bearer t0ken-value");
  EXPECT_EQ(requests[0].headers.get("Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(requests[0].headers.count("webhook-signature"), 0u);
}

TEST_F(HttpSenderTest, StatusesMapToOutcomes) {
  HttpSender sender(loopback_policy());
  struct Case {
    int status;
    std::string retry_after;
    std::optional<std::chrono::seconds> expected;
  };
  for (const auto& c :
       {Case{429, "120", std::chrono::seconds(120)}, Case{503, "7", std::chrono::seconds(7)},
        Case{503, "soon", std::nullopt}, Case{500, "60", std::nullopt}, Case{410, "", std::nullopt},
        Case{302, "", std::nullopt}, Case{204, "", std::nullopt}}) {
    net::HttpResponse res;
    res.status = c.status;
    if (!c.retry_after.empty()) res.headers.add("Retry-After", c.retry_after);
    if (c.status == 302) res.headers.add("Location", "http://127.0.0.1:9/elsewhere");
    if (c.status != 204) res.body = "answer " + std::to_string(c.status);
    receiver_.answer(res);
    const auto r = sender.send(delivery_, destination_, 1);
    EXPECT_EQ(r.outcome.error, "") << c.status;
    EXPECT_EQ(r.outcome.status, c.status);
    EXPECT_EQ(r.outcome.retry_after, c.expected) << c.status;
    EXPECT_EQ(r.response, c.status == 204 ? "" : "answer " + std::to_string(c.status));
    EXPECT_EQ(classify(r.outcome, true),
              c.status == 204 ? Verdict::delivered
                              : (c.status == 410 ? Verdict::give_up : Verdict::retry));
  }
  // The redirect was reported, not followed.
  for (const auto& req : receiver_.requests())
    EXPECT_EQ(req.path, "/hooks");
}

TEST_F(HttpSenderTest, ResponseExcerptIsCapped) {
  net::HttpResponse res;
  res.body = std::string(100'000, 'r');
  receiver_.answer(res);
  HttpSender sender(loopback_policy());
  const auto r = sender.send(delivery_, destination_, 1);
  EXPECT_EQ(r.outcome.status, 200);
  EXPECT_EQ(r.response, std::string(kMaxRecordedResponse, 'r'));
}

TEST_F(HttpSenderTest, RefusedDestinationsAreErrorsWithoutAConnection) {
  HttpSender strict{net::OutboundPolicy()};
  auto r = strict.send(delivery_, destination_, 1);  // loopback, not allowed
  EXPECT_TRUE(r.outcome.error.starts_with(net::kAddressRefused)) << r.outcome.error;
  EXPECT_EQ(r.outcome.status, 0);
  destination_.url = "http://169.254.169.254/latest/meta-data/";
  r = strict.send(delivery_, destination_, 1);
  EXPECT_TRUE(r.outcome.error.starts_with("address_refused: 169.254.169.254:")) << r.outcome.error;
  EXPECT_TRUE(receiver_.requests().empty());
  EXPECT_EQ(classify(r.outcome, true), Verdict::retry);
}

TEST_F(HttpSenderTest, TimeoutIsAnError) {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor silent(
      ioc, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  destination_.url = "http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/";
  destination_.timeout = milliseconds(300);
  HttpSender sender(loopback_policy());
  const auto r = sender.send(delivery_, destination_, 1);
  EXPECT_EQ(r.outcome.status, 0);
  EXPECT_EQ(r.outcome.error, "timeout after 300 ms (waiting for the response)");
}

TEST_F(HttpSenderTest, BadSecretIsReportedWithoutEchoingIt) {
  destination_.secret = config::SecretRef{"inline", "whsec_not!base64"};
  HttpSender sender(loopback_policy());
  const auto r = sender.send(delivery_, destination_, 1);
  EXPECT_FALSE(r.outcome.error.empty());
  EXPECT_EQ(r.outcome.error.find("not!base64"), std::string::npos) << r.outcome.error;
  EXPECT_TRUE(receiver_.requests().empty());
}

}  // namespace
}  // namespace hookgate::engine

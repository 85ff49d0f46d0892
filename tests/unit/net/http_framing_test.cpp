// Request smuggling against the real HttpServer over loopback: a table of requests whose framing
// RFC 9112 (sections 2.2, 3, 5, 6, 7) says to refuse, each followed on the same connection by a
// well-formed request. Every row must be answered with its status, the connection closed, and
// neither the refused request nor the one after it handed to the handler: whatever follows a
// refused request must never be parsed as a request of its own.
#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "hookgate/net/http_server.hpp"
#include "raw_client.hpp"

namespace hookgate::net {
namespace {

using testing::count_responses;
using testing::raw_exchange;

// Records every request it is handed; answers 200.
class RecordingHandler : public HttpHandler {
 public:
  std::size_t body_limit(std::string_view, std::string_view path) const override {
    return path == "/small" ? 16 : 1 << 20;
  }
  void handle(HttpRequest req, Responder respond) override {
    HttpResponse res;
    res.body = req.method + " " + req.target + " " + req.body;
    for (const auto& [name, value] : req.headers.items())
      res.body += "\n" + name + "=" + value;
    {
      const std::lock_guard lock(m_);
      seen_.push_back(req.path);
    }
    respond(std::move(res));
  }
  std::vector<std::string> take() {
    const std::lock_guard lock(m_);
    auto out = std::move(seen_);
    seen_.clear();
    return out;
  }

 private:
  std::mutex m_;
  std::vector<std::string> seen_;
};

// The request smuggled behind each malicious one: well-formed, so it is processed whenever the
// server wrongly takes the bytes after a refused request as a new request.
const std::string kNext = "POST /smuggled HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi";

struct Case {
  const char* name;
  std::string bytes;  // the malicious request; kNext is appended
  int status;
};

std::vector<Case> cases() {
  const std::string post = "POST /in/x HTTP/1.1\r\nHost: t\r\n";
  return {
      // Transfer-Encoding whose final coding is not chunked: the body would be read as the next
      // request (RFC 9112 6.3: 400 and close).
      {"te_gzip_body_is_a_request", post + "Transfer-Encoding: gzip\r\n\r\n", 400},
      {"te_chunked_then_gzip", post + "Transfer-Encoding: chunked, gzip\r\n\r\n", 400},
      {"te_identity", post + "Transfer-Encoding: identity\r\n\r\n", 400},
      {"te_compress", post + "Transfer-Encoding: compress\r\n\r\n", 400},
      {"te_deflate", post + "Transfer-Encoding: deflate\r\n\r\n", 400},
      {"te_unknown", post + "Transfer-Encoding: xchunked\r\n\r\n", 400},
      {"te_chunked_twice", post + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400},
      {"te_chunked_with_parameter", post + "Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n", 400},
      {"te_empty", post + "Transfer-Encoding: \r\n\r\n", 400},
      {"te_empty_element", post + "Transfer-Encoding: ,chunked\r\n\r\n0\r\n\r\n", 400},
      {"te_vertical_tab",
       post + "Transfer-Encoding: \x0b"
              "chunked\r\n\r\n0\r\n\r\n",
       400},
      {"te_two_fields_gzip_last",
       post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", 400},
      // Codings we do not implement in front of chunked: 501 (RFC 9112 6.1).
      {"te_gzip_then_chunked", post + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501},
      {"te_two_fields_chunked_last",
       post + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501},
      // Both framings: which one a proxy in front used is unknowable (RFC 9112 6.3).
      {"te_and_cl", post + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n", 400},
      {"cl_and_te", post + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"cl_and_te_gzip", post + "Content-Length: 5\r\nTransfer-Encoding: gzip\r\n\r\nhello", 400},
      // HTTP/1.0 has no Transfer-Encoding (RFC 9112 6.1).
      {"te_on_http10",
       "POST /in/x HTTP/1.0\r\nHost: t\r\nConnection: keep-alive\r\nTransfer-Encoding: "
       "chunked\r\n\r\n0\r\n\r\n",
       400},
      // Content-Length forms (RFC 9112 6.2, RFC 9110 8.6: 1*DIGIT, one value).
      {"cl_plus", post + "Content-Length: +5\r\n\r\nhello", 400},
      {"cl_minus", post + "Content-Length: -5\r\n\r\nhello", 400},
      {"cl_list_same", post + "Content-Length: 5,5\r\n\r\nhello", 400},
      {"cl_list_spaced", post + "Content-Length: 5, 5\r\n\r\nhello", 400},
      {"cl_two_fields_same", post + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400},
      {"cl_two_fields_differ", post + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello", 400},
      {"cl_hex", post + "Content-Length: 0x5\r\n\r\nhello", 400},
      {"cl_trailing_garbage", post + "Content-Length: 5a\r\n\r\nhello", 400},
      {"cl_inner_space", post + "Content-Length: 5 5\r\n\r\nhello", 400},
      {"cl_empty", post + "Content-Length: \r\n\r\nhello", 400},
      {"cl_huge", post + "Content-Length: 99999999999999999999999\r\n\r\nhello", 400},
      {"cl_exponent", post + "Content-Length: 5e0\r\n\r\nhello", 400},
      // Chunked body framing (RFC 9112 7.1).
      {"chunk_size_garbage", post + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
       400},
      {"chunk_size_negative", post + "Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n",
       400},
      {"chunk_size_overflow",
       post + "Transfer-Encoding: chunked\r\n\r\n10000000000000005\r\nhello\r\n0\r\n\r\n", 400},
      {"chunk_size_space", post + "Transfer-Encoding: chunked\r\n\r\n5 x\r\nhello\r\n0\r\n\r\n",
       400},
      {"chunk_ext_control",
       post + "Transfer-Encoding: chunked\r\n\r\n5;a\x01=b\r\nhello\r\n0\r\n\r\n", 400},
      {"chunk_ext_oversize",
       post + "Transfer-Encoding: chunked\r\n\r\n5;a=" + std::string(8192, 'x') +
           "\r\nhello\r\n0\r\n\r\n",
       400},
      {"chunk_data_longer_than_size",
       post + "Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n", 400},
      {"chunk_bare_lf", post + "Transfer-Encoding: chunked\r\n\r\n5\nhello\n0\n\n", 400},
      // Line endings and folding (RFC 9112 2.2, 5.2).
      {"bare_lf_everywhere", "POST /in/x HTTP/1.1\nHost: t\nContent-Length: 5\n\nhello", 400},
      {"bare_lf_in_field", post + "X-A: 1\nContent-Length: 5\r\n\r\nhello", 400},
      {"bare_cr_in_field", post + "X-A: 1\rContent-Length: 5\r\n\r\nhello", 400},
      {"bare_lf_end_of_head", post + "Content-Length: 5\r\n\nhello", 400},
      {"obs_fold", post + "X-A: 1\r\n 2\r\nContent-Length: 5\r\n\r\nhello", 400},
      {"obs_fold_tab", post + "X-A: 1\r\n\t2\r\nContent-Length: 5\r\n\r\nhello", 400},
      {"obs_fold_te", post + "Transfer-Encoding: gzip\r\n ,chunked\r\n\r\n0\r\n\r\n", 400},
      {"whitespace_before_first_field",
       "POST /in/x HTTP/1.1\r\n Content-Length: 5\r\nHost: t\r\n\r\nhello", 400},
      {"space_before_colon", post + "Content-Length : 5\r\n\r\nhello", 400},
      {"tab_before_colon", post + "Transfer-Encoding\t: chunked\r\n\r\n0\r\n\r\n", 400},
      {"nul_in_value", post + std::string("X-A: a\0b\r\n", 10) + "Content-Length: 5\r\n\r\nhello",
       400},
      {"control_in_value",
       post + "X-A: a\x7f"
              "b\r\nContent-Length: 5\r\n\r\nhello",
       400},
      {"bad_field_name", post + "X(A): 1\r\nContent-Length: 5\r\n\r\nhello", 400},
      {"empty_field_name", post + ": 1\r\nContent-Length: 5\r\n\r\nhello", 400},
      // The request line (RFC 9112 3).
      {"space_in_target", "POST /in/x y HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello",
       400},
      {"tab_in_target", "POST /in/x\ty HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello", 400},
      {"control_in_target", "POST /in/x\x01y HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello",
       400},
      {"del_in_target", "POST /in/x\x7fy HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello",
       400},
      {"obs_text_in_target",
       "POST /in/x\xc3\xa9 HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello", 400},
      {"two_spaces_after_method",
       "POST  /in/x HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello", 400},
      {"version_unknown", "POST /in/x HTTP/1.2\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello", 400},
      {"version_lowercase", "POST /in/x http/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello",
       400},
      {"leading_empty_line", "\r\nPOST /in/x HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello",
       400},
      // Host (RFC 9112 3.2): exactly one on HTTP/1.1.
      // Request targets (RFC 9112 3.2): what is not origin-, absolute- or asterisk-form for
      // OPTIONS names nothing here, and parsers and proxies read it differently.
      {"relative_target", "POST in/x HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello", 400},
      {"asterisk_not_options", "GET * HTTP/1.1\r\nHost: t\r\n\r\n", 400},
      {"authority_form", "CONNECT t:443 HTTP/1.1\r\nHost: t:443\r\n\r\n", 400},
      {"other_scheme", "GET ftp://t/in/x HTTP/1.1\r\nHost: t\r\n\r\n", 400},
      {"absolute_with_userinfo", "GET http://u@t/in/x HTTP/1.1\r\nHost: t\r\n\r\n", 400},
      {"absolute_without_host", "GET http:///in/x HTTP/1.1\r\nHost: t\r\n\r\n", 400},
      {"no_host", "POST /in/x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 400},
      {"two_hosts", post + "Host: u\r\nContent-Length: 5\r\n\r\nhello", 400},
  };
}

class HttpFraming : public ::testing::Test {
 protected:
  void SetUp() override {
    config::Listener l;
    l.address = "127.0.0.1";
    l.port = 0;
    server_ =
        std::make_unique<HttpServer>(std::vector<config::Listener>{l}, config::Limits{}, handler_);
    auto started = server_->start();
    ASSERT_TRUE(started) << started.error();
    port_ = server_->ports().front();
  }
  void TearDown() override { server_->stop(std::chrono::milliseconds(100)); }
  RecordingHandler handler_;
  std::unique_ptr<HttpServer> server_;
  std::uint16_t port_ = 0;
};

TEST_F(HttpFraming, EveryMisframedRequestIsRefusedAndEndsTheConnection) {
  for (const auto& c : cases()) {
    const auto ex = raw_exchange(port_, c.bytes + kNext);
    EXPECT_TRUE(ex.closed) << c.name << ": connection left open\n" << ex.received;
    EXPECT_TRUE(ex.received.starts_with("HTTP/1.1 " + std::to_string(c.status) + " "))
        << c.name << ":\n"
        << ex.received;
    EXPECT_EQ(count_responses(ex.received), 1) << c.name << ":\n" << ex.received;
    EXPECT_NE(ex.received.find("Connection: close"), std::string::npos) << c.name;
    EXPECT_EQ(handler_.take(), std::vector<std::string>{}) << c.name;
  }
}

// The control for the table: the same harness sees a request that follows a well-framed one, so
// the table's "nothing handled" would notice a smuggled request.
TEST_F(HttpFraming, WellFramedRequestsAreAllServed) {
  const std::string chunked =
      "POST /in/x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n3;name=value;quoted=\"a b\"\r\nabc\r\n0\r\n\r\n";
  const std::string mixed_case =
      "POST /in/x HTTP/1.1\r\nhost: t\r\ntransfer-encoding: Chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n";
  const std::string ows = "POST /in/x HTTP/1.1\r\nHost: t\r\nContent-Length:   5  \r\n\r\nhello";
  const std::string http10 =
      "POST /in/x HTTP/1.0\r\nConnection: keep-alive\r\n"
      "Content-Length: 5\r\n\r\nhello";
  const std::string close = "GET /last HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
  for (const auto& first : {chunked, mixed_case, ows, http10}) {
    const auto ex = raw_exchange(port_, first + kNext + close);
    EXPECT_EQ(count_responses(ex.received), 3) << first << "\n" << ex.received;
    EXPECT_EQ(handler_.take(), (std::vector<std::string>{"/in/x", "/smuggled", "/last"})) << first;
  }
}

// An absolute-form target is taken (RFC 9112 3.2.2: servers must), as the origin-form request
// it names: the handler sees its path and query, and its authority as the only Host, so no
// handler can pick the host from one place and the path from another.
TEST_F(HttpFraming, AnAbsoluteFormTargetIsItsOriginFormWithItsAuthorityAsHost) {
  const auto ex = raw_exchange(port_,
                               "POST HTTP://real.example:8080/in/x?a=b HTTP/1.1\r\nHost: other\r\n"
                               "Content-Length: 2\r\n\r\nhi" +
                                   std::string("GET https://t HTTP/1.1\r\nHost: t\r\n"
                                               "Connection: close\r\n\r\n"));
  EXPECT_EQ(count_responses(ex.received), 2) << ex.received;
  EXPECT_NE(ex.received.find("POST /in/x?a=b hi\nContent-Length=2\nHost=real.example:8080"),
            std::string::npos)
      << ex.received;
  EXPECT_EQ(ex.received.find("other"), std::string::npos) << ex.received;
  EXPECT_NE(ex.received.find("GET / \nConnection=close\nHost=t"), std::string::npos) << ex.received;
  EXPECT_EQ(handler_.take(), (std::vector<std::string>{"/in/x", "/"}));
}

// Trailer fields come after the body, out of sight of whatever checked the header section: they
// are never merged into the request's headers (RFC 9110 6.5.1).
TEST_F(HttpFraming, TrailerFieldsAreNotHeaders) {
  const auto ex = raw_exchange(port_,
                               "POST /in/x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
                               "Connection: close\r\n\r\n5\r\nhello\r\n0\r\n"
                               "X-Hub-Signature-256: sha256=forged\r\n\r\n");
  EXPECT_TRUE(ex.received.starts_with("HTTP/1.1 200 ")) << ex.received;
  EXPECT_NE(ex.received.find("POST /in/x hello"), std::string::npos) << ex.received;
  EXPECT_EQ(ex.received.find("forged"), std::string::npos) << ex.received;
}

}  // namespace
}  // namespace hookgate::net

// Fuzzes the request-head framing check the HTTP server runs before Beast parses a request. It
// must never crash; fed the same bytes in pieces it must reach the same verdict as fed at once;
// a head it accepts ends with CRLF CRLF, fits the limit, and frames its body exactly as Beast's
// parser does (the server refuses any disagreement, but one here is a bug in the check).
#include <boost/beast/http.hpp>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "hookgate/net/request_head.hpp"

using namespace hookgate::net;
namespace http = boost::beast::http;

namespace {

constexpr std::size_t kLimit = 4096;

void check_with_beast(std::string_view head, const RequestHeadCheck& check) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(kLimit);
  boost::beast::error_code ec;
  const auto used = parser.put(boost::asio::buffer(head.data(), head.size()), ec);
  if (ec || used != head.size() || !parser.is_header_done()) return;  // Beast refuses: safe
  const auto length = parser.content_length();
  switch (check.framing()) {
    case BodyFraming::none:
      if (parser.chunked() || length) std::abort();
      break;
    case BodyFraming::length:
      if (parser.chunked() || length != check.content_length()) std::abort();
      break;
    case BodyFraming::chunked:
      if (!parser.chunked() || length) std::abort();
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks how the rest arrives: in pieces of 1..256 bytes.
  const std::size_t step = std::size_t{data[0]} + 1;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

  RequestHeadCheck whole(kLimit);
  const auto verdict = whole.scan(bytes);

  RequestHeadCheck pieces(kLimit);
  auto state = RequestHeadCheck::State::need_more;
  for (std::size_t n = std::min(step, bytes.size());; n = std::min(n + step, bytes.size())) {
    state = pieces.scan(bytes.substr(0, n));
    if (state != RequestHeadCheck::State::need_more || n == bytes.size()) break;
  }
  if (state != verdict) std::abort();
  if (verdict == RequestHeadCheck::State::refused) {
    if (pieces.status() != whole.status() || pieces.reason() != whole.reason()) std::abort();
    if (whole.status() != 400 && whole.status() != 431 && whole.status() != 501) std::abort();
    return 0;
  }
  if (verdict != RequestHeadCheck::State::complete) return 0;
  if (pieces.head_size() != whole.head_size() || pieces.framing() != whole.framing()) std::abort();
  const auto head = bytes.substr(0, whole.head_size());
  if (head.size() > kLimit || !head.ends_with("\r\n\r\n")) std::abort();
  for (std::size_t i = 0; i < head.size(); ++i) {
    if (head[i] == '\n' && (i == 0 || head[i - 1] != '\r')) std::abort();  // bare LF accepted
    if (head[i] == '\r' && (i + 1 == head.size() || head[i + 1] != '\n')) std::abort();
    if (head[i] == '\0') std::abort();
  }
  check_with_beast(head, whole);
  return 0;
}

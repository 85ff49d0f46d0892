// Finding the password in a PostgreSQL URL (RFC 3986 user info or libpq's password= parameter).
#include "store/postgres/pg_url.hpp"

#include <algorithm>
#include <vector>

namespace hookgate::store::postgres {
namespace {

struct Span {
  std::size_t begin = 0;
  std::size_t size = 0;
};

// Where passwords sit in url: in the user info, and as values of password= parameters.
std::vector<Span> password_spans(std::string_view url) {
  std::vector<Span> spans;
  const std::size_t scheme = url.find("://");
  const std::size_t authority = scheme == std::string_view::npos ? 0 : scheme + 3;
  const std::size_t authority_end = std::min(url.find_first_of("/?#", authority), url.size());
  const std::size_t at = url.rfind('@', authority_end);
  if (at != std::string_view::npos && at >= authority) {
    const std::size_t colon = url.find(':', authority);
    if (colon < at) spans.push_back({colon + 1, at - colon - 1});
  }
  std::size_t query = url.find('?', authority);
  while (query != std::string_view::npos && query < url.size()) {
    const std::size_t start = query + 1;
    const std::size_t end = std::min(url.find('&', start), url.size());
    constexpr std::string_view kKey = "password=";
    if (url.substr(start, end - start).starts_with(kKey)) {
      spans.push_back({start + kKey.size(), end - start - kKey.size()});
    }
    query = end < url.size() ? end : std::string_view::npos;
  }
  return spans;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

void replace_all(std::string& text, const std::string& secret) {
  if (secret.empty()) return;
  for (std::size_t at = text.find(secret); at != std::string::npos;
       at = text.find(secret, at + 3)) {
    text.replace(at, secret.size(), "***");
  }
}

}  // namespace

std::string redact_url(std::string_view url) {
  std::string out(url);
  auto spans = password_spans(url);
  // Back to front, so earlier offsets stay valid.
  for (auto it = spans.rbegin(); it != spans.rend(); ++it)
    out.replace(it->begin, it->size, "***");
  return out;
}

std::string scrub_password(std::string message, std::string_view url) {
  for (const Span& span : password_spans(url)) {
    const std::string raw(url.substr(span.begin, span.size));
    replace_all(message, raw);
    replace_all(message, percent_decoded(raw));
  }
  return message;
}

}  // namespace hookgate::store::postgres

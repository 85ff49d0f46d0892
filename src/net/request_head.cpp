// The request-head framing check: request line, field lines and the body-framing decision of
// RFC 9112 section 6.3, strict wherever parsers are known to disagree. Each byte is looked at a
// bounded number of times however the head is split across reads.
#include "hookgate/net/request_head.hpp"

#include <array>
#include <cstring>

namespace hookgate::net {

namespace {

// tchar of RFC 9110 5.6.2.
constexpr std::array<bool, 256> kToken = [] {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c)
    t[static_cast<std::size_t>(c)] = true;
  for (int c = 'a'; c <= 'z'; ++c)
    t[static_cast<std::size_t>(c)] = true;
  for (int c = 'A'; c <= 'Z'; ++c)
    t[static_cast<std::size_t>(c)] = true;
  for (const char c : std::string_view("!#$%&'*+-.^_`|~"))
    t[static_cast<unsigned char>(c)] = true;
  return t;
}();

// field-value octets (RFC 9110 5.5): VCHAR, obs-text, and SP / HTAB between them. CR, LF, NUL and
// the other controls (DEL included) are refused. Branch-free so the compiler vectorises it: this
// runs over every header byte of every request.
bool valid_value(std::string_view value) {
  unsigned bad = 0;
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    bad |= static_cast<unsigned>((c < 0x20 && c != '\t') | (c == 0x7f));
  }
  return bad == 0;
}

bool is_token(unsigned char c) {
  return kToken[c];
}

bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back()))
    s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto c = static_cast<unsigned char>(a[i]);
    if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c - 'A' + 'a');
    if (c != static_cast<unsigned char>(lower[i])) return false;
  }
  return true;
}

// 1*DIGIT with at most 18 digits: every such value fits in 64 bits, and any real body limit is
// far below it, so a longer value is an attack or a mistake, never a body we would read.
bool parse_length(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 18) return false;
  std::uint64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  out = v;
  return true;
}

}  // namespace

RequestHeadCheck::State RequestHeadCheck::refuse(int status, std::string_view reason) {
  status_ = status;
  reason_ = reason;
  state_ = State::refused;
  return state_;
}

RequestHeadCheck::State RequestHeadCheck::scan(std::string_view bytes) {
  if (state_ != State::need_more) return state_;
  for (;;) {
    const auto window = std::min(bytes.size(), max_);
    const void* lf = searched_ < window
                         ? std::memchr(bytes.data() + searched_, '\n', window - searched_)
                         : nullptr;
    if (lf == nullptr) {
      searched_ = window;
      if (bytes.size() >= max_) return refuse(431, "request head too large");
      return state_;
    }
    const auto end = static_cast<std::size_t>(static_cast<const char*>(lf) - bytes.data());
    // Only CRLF ends a line: a bare LF is where lenient parsers and strict ones part ways.
    if (end == line_start_ || bytes[end - 1] != '\r') return refuse(400, "bare LF in request head");
    const auto line = bytes.substr(line_start_, end - 1 - line_start_);
    line_start_ = end + 1;
    searched_ = line_start_;
    if (!request_line_done_) {
      if (!request_line(line)) return state_;
      request_line_done_ = true;
    } else if (line.empty()) {
      head_size_ = line_start_;
      return finish();
    } else if (!field_line(line)) {
      return state_;
    }
  }
}

// request-line = method SP request-target SP HTTP-version, nothing else (RFC 9112 3).
bool RequestHeadCheck::request_line(std::string_view line) {
  std::size_t i = 0;
  while (i < line.size() && is_token(static_cast<unsigned char>(line[i])))
    ++i;
  if (i == 0 || i == line.size() || line[i] != ' ') {
    refuse(400, "malformed request method");
    return false;
  }
  const auto target_start = ++i;
  // Visible ASCII only: no space, control or raw non-ASCII byte, which clients must
  // percent-encode and which parsers split on differently.
  while (i < line.size() && line[i] > ' ' && line[i] < 0x7f)
    ++i;
  if (i == target_start || i == line.size() || line[i] != ' ' ||
      !request_target(line.substr(0, target_start - 1),
                      line.substr(target_start, i - target_start))) {
    refuse(400, "malformed request target");
    return false;
  }
  const auto version = line.substr(i + 1);
  if (version == "HTTP/1.1") {
    http10_ = false;
  } else if (version == "HTTP/1.0") {
    http10_ = true;
  } else {
    refuse(400, "unsupported HTTP version");
    return false;
  }
  return true;
}

// The forms a server takes (RFC 9112 3.2): origin-form ("/path?query"), absolute-form with an
// http(s) scheme and a host, and "*" for OPTIONS only. A target in none of these forms (a
// relative path, CONNECT's authority-form, another scheme) names nothing here and is read
// differently by different parsers and proxies; userinfo in an absolute target is refused too
// (RFC 9110 4.2.4: an error), so "http://a@b/" cannot name two hosts.
bool RequestHeadCheck::request_target(std::string_view method, std::string_view target) {
  if (target.front() == '/') return true;
  if (target == "*") return method == "OPTIONS";
  std::size_t scheme = 0;
  if (target.size() > 7 && iequals(target.substr(0, 7), "http://")) {
    scheme = 7;
  } else if (target.size() > 8 && iequals(target.substr(0, 8), "https://")) {
    scheme = 8;
  } else {
    return false;
  }
  const auto authority = target.substr(scheme, target.find_first_of("/?", scheme) - scheme);
  if (authority.empty() || authority.find('@') != std::string_view::npos) return false;
  absolute_form_ = true;
  return true;
}

// field-line = field-name ":" OWS field-value OWS (RFC 9112 5). A line that starts with
// whitespace is obs-fold, or whitespace before the first field: both refused (5.2, 2.2).
bool RequestHeadCheck::field_line(std::string_view line) {
  ++fields_;
  if (is_ows(line.front())) {
    refuse(400, "folded or indented header line");
    return false;
  }
  std::size_t colon = 0;
  while (colon < line.size() && is_token(static_cast<unsigned char>(line[colon])))
    ++colon;
  if (colon == 0 || colon == line.size() || line[colon] != ':') {
    // Whitespace before the colon lands here too (RFC 9112 5.1 requires 400).
    refuse(400, "malformed header field name");
    return false;
  }
  const auto name = line.substr(0, colon);
  const auto raw = line.substr(colon + 1);
  if (!valid_value(raw)) {
    refuse(400, "control character in header field");
    return false;
  }
  const auto value = trim_ows(raw);
  if (name.size() == 4 && iequals(name, "host")) {
    ++hosts_;
  } else if (name.size() == 14 && iequals(name, "content-length")) {
    // One field with one plain number: lists ("5,5"), signs, repeats and anything a lenient
    // parser might read differently are refused.
    if (++content_lengths_ > 1) {
      refuse(400, "more than one Content-Length");
      return false;
    }
    if (!parse_length(value, content_length_)) {
      refuse(400, "malformed Content-Length");
      return false;
    }
  } else if (name.size() == 17 && iequals(name, "transfer-encoding")) {
    ++te_fields_;
    return transfer_encoding(value);
  }
  return true;
}

// The codings of one Transfer-Encoding field, appended to those of earlier fields (a list).
bool RequestHeadCheck::transfer_encoding(std::string_view value) {
  for (;;) {
    const auto comma = value.find(',');
    const auto coding = trim_ows(value.substr(0, comma));
    // Empty elements and parameters are legal list syntax that no webhook sender uses, and
    // parsers handle them differently: refused.
    if (coding.empty()) {
      refuse(400, "malformed Transfer-Encoding");
      return false;
    }
    for (const char c : coding) {
      if (!is_token(static_cast<unsigned char>(c))) {
        refuse(400, "malformed Transfer-Encoding");
        return false;
      }
    }
    te_last_chunked_ = iequals(coding, "chunked");
    if (te_last_chunked_) {
      ++te_chunked_;
    } else {
      ++te_other_;
    }
    if (comma == std::string_view::npos) return true;
    value.remove_prefix(comma + 1);
  }
}

// The body-length decision of RFC 9112 6.3, refusing every case where two implementations could
// decide differently.
RequestHeadCheck::State RequestHeadCheck::finish() {
  if (hosts_ > 1 || (!http10_ && hosts_ == 0)) return refuse(400, "exactly one Host required");
  if (te_fields_ > 0) {
    if (http10_) return refuse(400, "Transfer-Encoding in an HTTP/1.0 request");
    if (content_lengths_ > 0) return refuse(400, "both Transfer-Encoding and Content-Length");
    if (!te_last_chunked_) return refuse(400, "final transfer coding is not chunked");
    if (te_chunked_ > 1) return refuse(400, "chunked applied more than once");
    if (te_other_ > 0) return refuse(501, "transfer coding not implemented");
    framing_ = BodyFraming::chunked;
  } else if (content_lengths_ > 0) {
    framing_ = BodyFraming::length;
  }
  state_ = State::complete;
  return state_;
}

}  // namespace hookgate::net

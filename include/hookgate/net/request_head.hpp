// RequestHeadCheck: the framing rules of RFC 9112 (sections 2.2, 3, 5, 6) checked on the raw bytes
// of a request's head (request line and header section) before any parser sees them. Lenient
// parsers differ from each other exactly where this is strict (bare LF, obs-fold, whitespace
// before a colon, Content-Length lists, Transfer-Encoding codings), and each such difference is a
// way to make a proxy and the gateway disagree about where a request ends. One incremental pass,
// no allocation: the server feeds it the bytes it has buffered as they arrive.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace hookgate::net {

// How the body of an accepted head is delimited.
enum class BodyFraming { none, length, chunked };

class RequestHeadCheck {
 public:
  enum class State { need_more, complete, refused };

  explicit RequestHeadCheck(std::size_t max_head_bytes) : max_(max_head_bytes) {}

  // `bytes` start at the request's first byte; every call passes the same bytes again, possibly
  // with more after them (they may have moved in memory). Work already done is not repeated.
  State scan(std::string_view bytes);

  // After complete:
  std::size_t head_size() const { return head_size_; }  // through the CRLF of the empty line
  BodyFraming framing() const { return framing_; }
  std::uint64_t content_length() const { return content_length_; }
  std::size_t field_count() const { return fields_; }  // header field lines
  bool http10() const { return http10_; }
  // The target is in absolute-form ("http://host/path"): its authority is the request's host
  // and its path and query the origin-form target (RFC 9112 3.2.2). Otherwise it is origin-form,
  // or "*" for OPTIONS: every other form was refused.
  bool absolute_form() const { return absolute_form_; }

  // After refused: 400 (malformed), 431 (head too large) or 501 (a transfer coding we do not
  // implement), and a short reason for the response body. The connection must be closed.
  int status() const { return status_; }
  std::string_view reason() const { return reason_; }

 private:
  State refuse(int status, std::string_view reason);
  bool request_line(std::string_view line);
  bool request_target(std::string_view method, std::string_view target);
  bool field_line(std::string_view line);
  bool transfer_encoding(std::string_view value);
  State finish();

  std::size_t max_;
  State state_ = State::need_more;
  std::size_t line_start_ = 0;  // first byte of the line being looked at
  std::size_t searched_ = 0;    // bytes before this hold no LF of the current line
  bool request_line_done_ = false;
  bool http10_ = false;
  bool absolute_form_ = false;
  std::size_t fields_ = 0;
  std::size_t hosts_ = 0;
  std::size_t content_lengths_ = 0;
  std::size_t te_fields_ = 0;
  std::size_t te_chunked_ = 0;  // how often "chunked" was listed
  std::size_t te_other_ = 0;    // codings other than chunked
  bool te_last_chunked_ = false;
  std::uint64_t content_length_ = 0;
  std::size_t head_size_ = 0;
  BodyFraming framing_ = BodyFraming::none;
  int status_ = 0;
  std::string_view reason_;
};

}  // namespace hookgate::net

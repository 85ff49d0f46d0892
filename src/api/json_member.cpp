// A small JSON scanner (RFC 8259 grammar, no allocation beyond decoded keys): it walks values to
// find where one ends, validating as it goes so a malformed body is refused, not half-read.
#include "api/json_member.hpp"

#include <cctype>
#include <string>

namespace hookgate::api {

namespace {

class Scanner {
 public:
  explicit Scanner(std::string_view text) : t_(text) {}

  void ws() {
    while (p_ < t_.size() && (t_[p_] == ' ' || t_[p_] == '\t' || t_[p_] == '\n' || t_[p_] == '\r'))
      ++p_;
  }
  bool at(char c) const { return p_ < t_.size() && t_[p_] == c; }
  bool eat(char c) {
    if (!at(c)) return false;
    ++p_;
    return true;
  }
  std::size_t pos() const { return p_; }
  bool done() const { return p_ == t_.size(); }

  static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // A string; its decoded form goes to out when given (keys only; enough to compare them).
  bool string(std::string* out) {
    if (!eat('"')) return false;
    while (p_ < t_.size()) {
      const auto c = static_cast<unsigned char>(t_[p_++]);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c != '\\') {
        if (out) out->push_back(static_cast<char>(c));
        continue;
      }
      if (p_ >= t_.size()) return false;
      const char e = t_[p_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          if (out) out->push_back(e);
          break;
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
          if (out) out->push_back(' ');  // control characters never match a key we look for
          break;
        case 'u': {
          if (p_ + 4 > t_.size()) return false;
          unsigned v = 0;
          for (int i = 0; i < 4; ++i) {
            const int h = hex(t_[p_++]);
            if (h < 0) return false;
            v = v * 16 + static_cast<unsigned>(h);
          }
          if (out) {
            if (v < 0x80) {
              out->push_back(static_cast<char>(v));
            } else {
              out->push_back('\x01');  // non-ASCII: never equal to an ASCII key
            }
          }
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }

  bool number() {
    const auto start = p_;
    eat('-');
    if (eat('0')) {
    } else if (p_ < t_.size() && t_[p_] >= '1' && t_[p_] <= '9') {
      while (p_ < t_.size() && std::isdigit(static_cast<unsigned char>(t_[p_])))
        ++p_;
    } else {
      return false;
    }
    if (eat('.')) {
      if (!digits()) return false;
    }
    if (at('e') || at('E')) {
      ++p_;
      if (!eat('+')) eat('-');
      if (!digits()) return false;
    }
    return p_ > start;
  }

  bool digits() {
    const auto start = p_;
    while (p_ < t_.size() && std::isdigit(static_cast<unsigned char>(t_[p_])))
      ++p_;
    return p_ > start;
  }

  bool literal(std::string_view word) {
    if (t_.substr(p_, word.size()) != word) return false;
    p_ += word.size();
    return true;
  }

  bool value(int depth) {
    if (depth > kMaxDepth) return false;
    ws();
    if (p_ >= t_.size()) return false;
    switch (t_[p_]) {
      case '{': {
        ++p_;
        ws();
        if (eat('}')) return true;
        for (;;) {
          ws();
          if (!string(nullptr)) return false;
          ws();
          if (!eat(':')) return false;
          if (!value(depth + 1)) return false;
          ws();
          if (eat('}')) return true;
          if (!eat(',')) return false;
        }
      }
      case '[': {
        ++p_;
        ws();
        if (eat(']')) return true;
        for (;;) {
          if (!value(depth + 1)) return false;
          ws();
          if (eat(']')) return true;
          if (!eat(',')) return false;
        }
      }
      case '"':
        return string(nullptr);
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        return number();
    }
  }

 private:
  std::string_view t_;
  std::size_t p_ = 0;
};

}  // namespace

std::optional<std::string_view> json_member(std::string_view text, std::string_view key) {
  Scanner s(text);
  s.ws();
  if (!s.eat('{')) return std::nullopt;
  std::optional<std::string_view> found;
  s.ws();
  if (!s.eat('}')) {
    for (;;) {
      s.ws();
      std::string name;
      if (!s.string(&name)) return std::nullopt;
      s.ws();
      if (!s.eat(':')) return std::nullopt;
      s.ws();
      const auto start = s.pos();
      if (!s.value(1)) return std::nullopt;
      if (!found && name == key) found = text.substr(start, s.pos() - start);
      s.ws();
      if (s.eat('}')) break;
      if (!s.eat(',')) return std::nullopt;
    }
  }
  s.ws();
  if (!s.done()) return std::nullopt;
  return found;
}

}  // namespace hookgate::api

// Escaping untrusted text for a terminal, and the human form of an event body.
#include "hookgate/relay/terminal_text.hpp"

#include <boost/json.hpp>
#include <cstdint>
#include <cstdio>

#include "hookgate/utf8.hpp"

namespace hookgate::relay {

namespace {

// C1 controls, bidirectional embeddings, overrides and isolates, line/paragraph separators.
bool unsafe_code_point(std::uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F || cp == 0x061C ||
         cp == 0x2028 || cp == 0x2029;
}

void append_hex_byte(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\x";
  out.push_back(kHex[c >> 4U]);
  out.push_back(kHex[c & 0xFU]);
}

void pretty(const boost::json::value& v, std::string& out, int indent) {
  const std::string pad(static_cast<std::size_t>(indent) * 2, ' ');
  const std::string inner(static_cast<std::size_t>(indent + 1) * 2, ' ');
  if (const auto* o = v.if_object()) {
    if (o->empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    bool first = true;
    for (const auto& [key, value] : *o) {
      if (!first) out += ",\n";
      first = false;
      out += inner + boost::json::serialize(boost::json::string(key)) + ": ";
      pretty(value, out, indent + 1);
    }
    out += "\n" + pad + "}";
  } else if (const auto* a = v.if_array()) {
    if (a->empty()) {
      out += "[]";
      return;
    }
    out += "[\n";
    bool first = true;
    for (const auto& value : *a) {
      if (!first) out += ",\n";
      first = false;
      out += inner;
      pretty(value, out, indent + 1);
    }
    out += "\n" + pad + "]";
  } else {
    out += boost::json::serialize(v);
  }
}

}  // namespace

std::string terminal_safe(std::string_view text, bool keep_newlines) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    std::uint32_t cp = 0;
    const auto n = utf8_at(text, i, cp);
    if (n == 0) {
      append_hex_byte(out, static_cast<unsigned char>(text[i]));
      ++i;
      continue;
    }
    if (n == 1) {
      const auto c = static_cast<unsigned char>(text[i]);
      if (c == '\n' && keep_newlines) {
        out.push_back('\n');
      } else if (c == 0x1B) {
        out += "\\e";
      } else if (c == '\r') {
        out += "\\r";
      } else if (c == '\t') {
        out += "\\t";
      } else if (c == '\n') {
        out += "\\n";
      } else if (c < 0x20 || c == 0x7F) {
        append_hex_byte(out, c);
      } else if (c == '\\') {
        out += "\\\\";  // so an escape seen on screen always means a byte that was escaped
      } else {
        out.push_back(static_cast<char>(c));
      }
    } else if (unsafe_code_point(cp)) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\u{%04X}", static_cast<unsigned>(cp));
      out += buf;
    } else {
      out.append(text.substr(i, n));
    }
    i += n;
  }
  return out;
}

std::string json_terminal_safe(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  for (std::size_t i = 0; i < json.size();) {
    std::uint32_t cp = 0;
    const auto n = utf8_at(json, i, cp);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    if (n > 1 && unsafe_code_point(cp)) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(cp));
      out += buf;
    } else if (n == 1 && (static_cast<unsigned char>(json[i]) < 0x20 || json[i] == 0x7F)) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(cp));
      out += buf;
    } else {
      out.append(json.substr(i, n));
    }
    i += n;
  }
  return out;
}

std::string describe_body(std::string_view body, std::size_t max_bytes) {
  std::string out;
  boost::system::error_code ec;
  const auto parsed = body.empty() ? boost::json::value() : boost::json::parse(body, ec);
  if (body.empty()) {
    out = "(empty body)";
  } else if (!ec) {
    pretty(parsed, out, 0);
  } else if (valid_utf8(body)) {
    out = std::string(body);
  } else {
    out = "(binary, " + std::to_string(body.size()) + " bytes)\n";
    const std::size_t shown = std::min<std::size_t>(body.size(), 256);
    static constexpr char kHex[] = "0123456789abcdef";
    for (std::size_t i = 0; i < shown; ++i) {
      if (i % 16 == 0) {
        if (i != 0) out.push_back('\n');
        char offset[32];
        std::snprintf(offset, sizeof offset, "%08zx ", i);
        out += offset;
      }
      const auto c = static_cast<unsigned char>(body[i]);
      out.push_back(' ');
      out.push_back(kHex[c >> 4U]);
      out.push_back(kHex[c & 0xFU]);
    }
    if (shown < body.size()) out += "\n…";
  }
  if (out.size() > max_bytes) {
    const auto left = out.size() - max_bytes;
    out.resize(max_bytes);
    // Do not cut a UTF-8 sequence in half (the cut would print as an escaped byte).
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0U) == 0x80U)
      out.pop_back();
    if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
    out += "\n… (" + std::to_string(left) + " more bytes)";
  }
  return out;
}

}  // namespace hookgate::relay

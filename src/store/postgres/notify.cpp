// Channel names and payloads of the nodes' wake-up notices (notify.hpp).
#include "store/postgres/notify.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>

namespace hookgate::store::postgres {
namespace {

constexpr char kHex[] = "0123456789abcdef";
// A payload must stay under PostgreSQL's 8000 bytes; a source longer than this is left out.
constexpr std::size_t kMaxSourceBytes = 1024;

std::string hex(const unsigned char* data, std::size_t size) {
  std::string out;
  out.reserve(2 * size);
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(kHex[data[i] >> 4U]);
    out.push_back(kHex[data[i] & 0xfU]);
  }
  return out;
}

int unhex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string_view next_field(std::string_view& rest) {
  const auto space = rest.find(' ');
  const std::string_view field = rest.substr(0, space);
  rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
  return field;
}

}  // namespace

Result<NotifyChannel> notify_channel(std::string_view schema) {
  // A digest of the schema keeps the name a plain identifier under PostgreSQL's 63 bytes.
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  (void)EVP_Digest(schema.data(), schema.size(), digest.data(), &length, EVP_sha256(), nullptr);
  NotifyChannel out;
  out.channel = "hookgate_appends_" + hex(digest.data(), std::min<unsigned int>(length, 8));
  std::array<unsigned char, 8> nonce{};
  if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) {
    return Error{"cannot draw the store's notification nonce"};
  }
  out.nonce = hex(nonce.data(), nonce.size());
  return out;
}

std::string append_payload(std::string_view nonce, std::int64_t seq, bool routed,
                           std::string_view source) {
  std::string payload(nonce);
  payload += ' ';
  payload += std::to_string(seq);
  payload += routed ? " 1 " : " 0 ";
  if (source.size() <= kMaxSourceBytes) {
    payload += hex(reinterpret_cast<const unsigned char*>(source.data()), source.size());
  }
  return payload;
}

std::optional<RemoteAppend> parse_payload(std::string_view payload, std::string_view own_nonce) {
  std::string_view rest = payload;
  const std::string_view nonce = next_field(rest);
  if (nonce.empty() || nonce == own_nonce) return std::nullopt;
  const std::string_view seq = next_field(rest);
  const std::string_view routed = next_field(rest);
  const std::string_view source = next_field(rest);
  RemoteAppend out;
  const auto parsed = std::from_chars(seq.data(), seq.data() + seq.size(), out.seq);
  if (seq.empty() || parsed.ec != std::errc() || parsed.ptr != seq.data() + seq.size()) {
    return std::nullopt;
  }
  if (routed != "0" && routed != "1") return std::nullopt;
  out.routed = routed == "1";
  if (source.size() % 2 != 0) return std::nullopt;
  out.source.reserve(source.size() / 2);
  for (std::size_t i = 0; i < source.size(); i += 2) {
    const int high = unhex(source[i]);
    const int low = unhex(source[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    out.source.push_back(static_cast<char>(high * 16 + low));
  }
  return out;
}

}  // namespace hookgate::store::postgres

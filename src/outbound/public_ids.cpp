// Message and attempt ids (see public_ids.hpp).
#include "outbound/public_ids.hpp"

#include <array>
#include <vector>

#include "hookgate/crypto/digest.hpp"
#include "hookgate/crypto/random.hpp"

namespace hookgate::outbound {

namespace {

// ASCII order, so fixed-width digit strings compare as the numbers they spell.
constexpr std::string_view kBase62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::size_t kTimeBytes = 6;
constexpr std::size_t kAppTagBytes = 8;
constexpr std::size_t kRandomBytes = 12;
constexpr std::size_t kMessageBytes = kTimeBytes + kAppTagBytes + kRandomBytes;
constexpr std::size_t kMessageDigits = 36;  // 62^36 > 2^208
constexpr std::size_t kMaxMessageDigits = 64;
constexpr std::size_t kAttemptBytes = 16;
constexpr std::size_t kAttemptDigits = 22;  // 62^22 > 2^128

std::string app_tag(std::string_view app_id) {
  const std::string_view nul("\0", 1);
  const std::array<std::string_view, 3> pieces = {"hookgate app tag", nul, app_id};
  return crypto::digest(crypto::DigestAlgorithm::sha256, std::span<const std::string_view>(pieces))
      .substr(0, kAppTagBytes);
}

}  // namespace

std::string base62(std::string_view bytes, std::size_t width) {
  std::vector<unsigned> number(bytes.begin(), bytes.end());
  for (auto& b : number)
    b &= 0xFFU;
  std::string digits(width, kBase62[0]);
  // Long division by 62, least significant digit first; a number wider than width keeps its
  // low digits (callers size width for their byte count).
  for (std::size_t i = width; i-- > 0;) {
    unsigned remainder = 0;
    for (auto& b : number) {
      const unsigned value = (remainder << 8) | b;
      b = value / 62;
      remainder = value % 62;
    }
    digits[i] = kBase62[remainder];
  }
  return digits;
}

std::optional<std::string> base62_decode(std::string_view digits, std::size_t count) {
  std::vector<unsigned> number(count, 0);
  for (const char c : digits) {
    const auto at = kBase62.find(c);
    if (at == std::string_view::npos) return std::nullopt;
    // number = number * 62 + digit, least significant byte last.
    auto carry = static_cast<unsigned>(at);
    for (std::size_t i = count; i-- > 0;) {
      const unsigned value = number[i] * 62 + carry;
      number[i] = value & 0xFFU;
      carry = value >> 8;
    }
    if (carry != 0) return std::nullopt;
  }
  std::string bytes(count, '\0');
  for (std::size_t i = 0; i < count; ++i)
    bytes[i] = static_cast<char>(number[i]);
  return bytes;
}

std::string new_message_id(std::int64_t now_ms, std::string_view app_id) {
  std::string bytes(kTimeBytes, '\0');
  auto ms = static_cast<std::uint64_t>(now_ms < 0 ? 0 : now_ms);
  for (std::size_t i = kTimeBytes; i-- > 0;) {
    bytes[i] = static_cast<char>(ms & 0xFFU);
    ms >>= 8;
  }
  bytes += app_tag(app_id);
  bytes += crypto::random_bytes(kRandomBytes);
  return std::string(kMessageIdPrefix) + base62(bytes, kMessageDigits);
}

std::optional<bool> message_id_names_app(std::string_view message_id, std::string_view app_id) {
  if (!message_id.starts_with(kMessageIdPrefix)) return std::nullopt;
  message_id.remove_prefix(kMessageIdPrefix.size());
  if (message_id.size() != kMessageDigits) return std::nullopt;
  const auto bytes = base62_decode(message_id, kMessageBytes);
  if (!bytes) return false;
  return bytes->substr(kTimeBytes, kAppTagBytes) == app_tag(app_id);
}

bool is_message_id(std::string_view text) {
  if (!text.starts_with(kMessageIdPrefix)) return false;
  text.remove_prefix(kMessageIdPrefix.size());
  // Messages stored before ids were random were given 32 hex digits: also accepted.
  return !text.empty() && text.size() <= kMaxMessageDigits &&
         text.find_first_not_of(kBase62) == std::string::npos;
}

std::string attempt_id(std::string_view message_id, std::string_view endpoint_id, int number) {
  const std::string n = std::to_string(number);
  // NUL separators: no two (message, endpoint, number) triples hash the same input.
  const std::string_view nul("\0", 1);
  const std::array<std::string_view, 7> pieces = {"hookgate attempt", nul, message_id, nul,
                                                  endpoint_id,        nul, n};
  const std::string digest =
      crypto::digest(crypto::DigestAlgorithm::sha256, std::span<const std::string_view>(pieces));
  return std::string(kAttemptIdPrefix) + base62(digest.substr(0, kAttemptBytes), kAttemptDigits);
}

}  // namespace hookgate::outbound

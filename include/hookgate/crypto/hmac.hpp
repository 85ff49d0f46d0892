// HMAC with a key prepared once and reused: the key schedule is computed at construction, so a
// verification costs only the MAC over the message.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "hookgate/crypto/digest.hpp"

namespace hookgate::crypto {

class HmacKey {
 public:
  // key may be empty or of any length (RFC 2104). Aborts only if OpenSSL cannot provide the
  // algorithm at all, which is a broken installation.
  HmacKey(DigestAlgorithm algorithm, std::string_view key);
  ~HmacKey();
  HmacKey(const HmacKey& other);
  HmacKey& operator=(const HmacKey& other);
  HmacKey(HmacKey&& other) noexcept;
  HmacKey& operator=(HmacKey&& other) noexcept;

  DigestAlgorithm algorithm() const { return algorithm_; }

  // MAC of the concatenation of pieces. Thread-safe: const and re-entrant.
  std::string mac(std::span<const std::string_view> pieces) const;
  std::string mac(std::string_view message) const {
    return mac(std::span<const std::string_view>(&message, 1));
  }

  // Constant-time check of candidate against the MAC of pieces.
  bool verify(std::span<const std::string_view> pieces, std::string_view candidate) const;

 private:
  struct State;
  DigestAlgorithm algorithm_;
  std::unique_ptr<State> state_;
};

// One-shot convenience for tests and the CLI.
std::string hmac(DigestAlgorithm algorithm, std::string_view key, std::string_view message);

}  // namespace hookgate::crypto

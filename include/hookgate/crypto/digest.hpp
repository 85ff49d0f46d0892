// Message digests (SHA-1, SHA-256, SHA-512) over a message given in pieces, so callers never
// concatenate a body with its prefixes just to hash it.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace hookgate::crypto {

enum class DigestAlgorithm { sha1, sha256, sha512 };

std::size_t digest_size(DigestAlgorithm algorithm);

// Digest of the concatenation of pieces.
std::string digest(DigestAlgorithm algorithm, std::span<const std::string_view> pieces);
inline std::string digest(DigestAlgorithm algorithm, std::string_view message) {
  return digest(algorithm, std::span<const std::string_view>(&message, 1));
}

}  // namespace hookgate::crypto

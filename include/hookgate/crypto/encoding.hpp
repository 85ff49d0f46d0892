// Byte <-> text encodings used on the wire by webhook providers: hex, base64, base64url.
// Bytes are carried in std::string / std::string_view throughout the library.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hookgate::crypto {

// Lowercase hex.
std::string hex_encode(std::string_view bytes);
// Accepts upper and lower case; nullopt on odd length or any non-hex character.
std::optional<std::string> hex_decode(std::string_view text);

// RFC 4648 standard alphabet, with '=' padding.
std::string base64_encode(std::string_view bytes);
// Standard alphabet; padding optional but, when present, must be correct. nullopt on any other
// character (whitespace included) or on non-canonical trailing bits.
std::optional<std::string> base64_decode(std::string_view text);

// RFC 4648 URL-safe alphabet, without padding.
std::string base64url_encode(std::string_view bytes);
// URL-safe alphabet; padding optional.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace hookgate::crypto

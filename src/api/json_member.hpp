// The exact bytes of one member of a JSON object, as the client sent them. A published payload is
// delivered byte for byte, so it is cut out of the request instead of being parsed and written
// again (which would reorder keys, change number formats and escapes).
#pragma once

#include <optional>
#include <string_view>

namespace hookgate::api {

// The raw text of the value of top-level member `key` in the JSON object `text` (the first
// occurrence; keys are compared after their escapes are read, so "pay\u006coad" names payload).
// nullopt when text is not a well-formed object, the key is absent, or nesting exceeds
// kMaxDepth. Whitespace around the value is not part of it.
inline constexpr int kMaxDepth = 64;
std::optional<std::string_view> json_member(std::string_view text, std::string_view key);

}  // namespace hookgate::api

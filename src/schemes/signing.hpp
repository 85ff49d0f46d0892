// The per-algorithm step shared by verify() and sign(): compute or check one signature over
// content pieces with one key.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "hookgate/result.hpp"
#include "hookgate/schemes/key.hpp"

namespace hookgate::schemes {

// Constant-time for the symmetric algorithms. key must fit algorithm.
bool signature_matches(Algorithm algorithm, const Key& key,
                       std::span<const std::string_view> content, std::string_view signature);

// Raw signature bytes (before encoding). Error when key cannot sign with algorithm.
Result<std::string> make_signature(Algorithm algorithm, const Key& key,
                                   std::span<const std::string_view> content);

}  // namespace hookgate::schemes

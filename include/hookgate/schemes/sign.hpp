// sign(): the headers a provider using this scheme would send with a body. Used by the CLI's
// `hookgate sign`, by tests, and by the outbound delivery engine.
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <string_view>

#include "hookgate/result.hpp"
#include "hookgate/schemes/header_list.hpp"
#include "hookgate/schemes/key.hpp"
#include "hookgate/schemes/scheme.hpp"

namespace hookgate::schemes {

struct SignInput {
  std::string_view method = "POST";
  std::string_view url;
  std::string_view body;
  std::string id;  // generated ("msg_" + random) when empty and the scheme carries an id
  std::chrono::system_clock::time_point timestamp = std::chrono::system_clock::now();
};

// One signature per key, as the scheme carries several (rotation); a single-signature header
// takes the first key, and Box's primary/secondary headers take the first two. Errors: a key that
// cannot sign (a public key), or a scheme whose signature travels in the body (Mailgun, SNS).
Result<HeaderList> sign(const Scheme& scheme, const SignInput& input, std::span<const Key> keys);

}  // namespace hookgate::schemes

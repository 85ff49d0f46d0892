// Building a Scheme from an already-parsed TOML table, so the config loader can read [[scheme]]
// tables with the same rules and messages as scheme files.
#pragma once

#include <toml++/toml.h>

#include <string_view>

#include "hookgate/result.hpp"
#include "hookgate/schemes/scheme.hpp"

namespace hookgate::schemes {

// key_prefix is prepended to key names in messages ("scheme[2]." for a config table).
Result<Scheme> scheme_from_table(const toml::table& table, std::string_view origin,
                                 std::string_view key_prefix = {});

}  // namespace hookgate::schemes

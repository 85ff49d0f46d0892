// Secrets as users write them: inline text, "env:NAME" or "file:PATH". One resolver for the
// config file and the command line, so both accept exactly the same forms.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "hookgate/result.hpp"

namespace hookgate::config {

// Relative file: paths are taken from base. A file's trailing newlines are not part of the
// secret (echo adds one). Errors name the variable or the path, never the secret.
Result<std::string> resolve_secret(std::string_view written,
                                   const std::filesystem::path& base = {});

}  // namespace hookgate::config

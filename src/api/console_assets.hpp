// The console's files (console/ in the source tree), compiled into the binary by CMake
// (cmake/EmbedConsole.cmake writes the table at build time): no CDN, works offline.
#pragma once

#include <span>
#include <string_view>

namespace hookgate::api {

struct ConsoleAsset {
  std::string_view name;          // path under console/, e.g. "js/console.js"
  std::string_view content_type;  // from the extension
  std::string_view body;
  std::string_view etag;  // quoted, a digest of the body
};

std::span<const ConsoleAsset> console_assets();

}  // namespace hookgate::api

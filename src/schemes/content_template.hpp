// Parsing of a scheme's signed-content template ("{timestamp}.{body}") into segments.
#pragma once

#include <string_view>
#include <vector>

#include "hookgate/result.hpp"
#include "hookgate/schemes/scheme.hpp"

namespace hookgate::schemes {

// Errors describe the offending placeholder; "{{" and "}}" are literal braces.
Result<std::vector<Segment>> parse_content_template(std::string_view text);

}  // namespace hookgate::schemes

// Assembly of the signed content from a scheme's template, shared by verify() and sign() so the
// two can never disagree on which bytes are signed.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hookgate/schemes/header_list.hpp"
#include "hookgate/schemes/scheme.hpp"
#include "request_parts.hpp"

namespace hookgate::schemes {

struct ContentInputs {
  std::string_view method;
  std::string_view url;
  std::string_view body;
  const HeaderList& headers;
  std::string_view timestamp;
  std::string_view id;
  std::string_view secret;
  const JsonBody* json = nullptr;  // required when the template reads {json:...}
};

// Appends the content's pieces (views into inputs or into storage, whose elements stay put).
// On a field the template needs but the request lacks, returns its description.
std::optional<std::string> build_content(const Scheme& scheme, const ContentInputs& in,
                                         std::vector<std::string_view>& pieces,
                                         std::deque<std::string>& storage);

}  // namespace hookgate::schemes

// Signature header grammar. Strict where leniency would blur what was signed (an item without
// its separator, two timestamps), lenient only where providers are (surrounding spaces, empty
// items from a trailing separator, unknown versions: skipped for downgrade protection).
#include "signature_header.hpp"

#include "hookgate/schemes/verify.hpp"

namespace hookgate::schemes {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

HeaderParseError parse_signature_header(const Scheme& scheme, std::string_view value,
                                        ParsedSignatureHeader& out) {
  value = trim(value);
  if (scheme.list_separator == 0) {
    if (!value.starts_with(scheme.prefix)) return HeaderParseError::malformed;
    const auto encoded = value.substr(scheme.prefix.size());
    if (encoded.empty()) return HeaderParseError::malformed;
    out.candidates.push_back({scheme.algorithm, encoded});
    out.had_items = true;
    return HeaderParseError::none;
  }
  std::size_t items = 0;
  std::size_t pos = 0;
  while (pos <= value.size()) {
    auto end = value.find(scheme.list_separator, pos);
    if (end == std::string_view::npos) end = value.size();
    const auto item = trim(value.substr(pos, end - pos));
    pos = end + 1;
    if (item.empty()) continue;
    if (++items > kMaxSignatureItems) return HeaderParseError::too_many_items;
    const auto sep = item.find(scheme.pair_separator);
    if (sep == std::string_view::npos || sep == 0) return HeaderParseError::malformed;
    const auto name = item.substr(0, sep);
    const auto text = item.substr(sep + 1);
    if (scheme.timestamp.kind == Location::Kind::list_field && name == scheme.timestamp.name) {
      if (out.list_timestamp) return HeaderParseError::duplicate_timestamp;
      out.list_timestamp = text;
      continue;
    }
    out.had_items = true;
    for (const auto& version : scheme.versions) {
      if (version.name == name && !text.empty()) {
        out.candidates.push_back({version.algorithm, text});
        break;
      }
    }
  }
  return HeaderParseError::none;
}

}  // namespace hookgate::schemes

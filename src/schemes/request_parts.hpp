// Pieces of a request that content templates read: URL variants and query parameters, form
// parameters, and fields of a JSON body. Pure functions over the raw bytes.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hookgate::schemes {

// The URL as given, plus the same URL with its scheme's default port added (when absent) or
// removed (when present), as Twilio's validators try both. Only http and https get variants.
std::vector<std::string> url_port_variants(std::string_view url);

// The decoded value of query parameter name in url (first occurrence), or nullopt.
std::optional<std::string> url_query_param(std::string_view url, std::string_view name);

// url with the percent-escapes of reserved characters decoded, as HubSpot's v3 signature
// requires (%3A %2F %3F %40 %21 %24 %27 %28 %29 %2A %2C %3B, either hex case).
std::string decode_reserved_escapes(std::string_view url);

// application/x-www-form-urlencoded body -> "name1value1name2value2..." with parameters sorted
// by name and, for a repeated name, its distinct values sorted (Twilio's signed form).
std::string sorted_form_concatenation(std::string_view body);

// A field of a JSON object body by dotted path: strings unquoted, numbers and booleans as JSON
// text. nullopt when the body is not a JSON object or the path is absent / not a scalar.
class JsonBody {
 public:
  // Parsed on the first question, not here: most requests never ask one, and the hot path of an
  // accepted event should not pay for a parse it does not use. body must outlive this object.
  explicit JsonBody(std::string_view body);
  bool valid() const;
  std::optional<std::string> field(std::string_view dotted_path) const;

  ~JsonBody();
  JsonBody(const JsonBody&) = delete;
  JsonBody& operator=(const JsonBody&) = delete;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hookgate::schemes

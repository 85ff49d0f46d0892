// `hookgate verify`: checks the body on stdin and the given headers against a scheme.
// Exit 0 valid, 1 invalid (reason code and sentence on stderr), 2 usage error.
#include <chrono>
#include <iostream>

#include "cli.hpp"
#include "hookgate/config/secret_source.hpp"
#include "hookgate/schemes/verify.hpp"

namespace hookgate::cli {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

int run_verify(const VerifyOptions& o) {
  auto catalogue = load_catalogue(o.scheme.scheme_files);
  if (!catalogue) return usage_error(catalogue.error());
  auto scheme = find_scheme(*catalogue, o.scheme.scheme);
  if (!scheme) return usage_error(scheme.error());

  std::vector<schemes::Key> keys;
  for (const auto& written : o.secrets) {
    auto text = config::resolve_secret(written);
    if (!text) return usage_error("--secret: " + text.error());
    auto key = schemes::Key::parse_secret(**scheme, *text);
    if (!key) return usage_error("--secret: " + key.error());
    keys.push_back(std::move(key.value()));
  }
  for (const auto& written : o.public_keys) {
    auto text = config::resolve_secret(written);
    if (!text) return usage_error("--public-key: " + text.error());
    auto key = schemes::Key::parse_public_key(**scheme, *text);
    if (!key) return usage_error("--public-key: " + key.error());
    keys.push_back(std::move(key.value()));
  }
  if (keys.empty()) return usage_error("give --secret or --public-key (several for rotation)");

  schemes::HeaderList headers;
  for (const auto& h : o.headers) {
    const auto colon = h.find(':');
    const auto name = trim(std::string_view(h).substr(0, colon));
    if (colon == std::string::npos || name.empty() ||
        name.find_first_of(" \t") != std::string_view::npos) {
      return usage_error("--header expects 'Name: value', got '" + h.substr(0, 40) + "'");
    }
    headers.add(std::string(name), std::string(trim(std::string_view(h).substr(colon + 1))));
  }

  schemes::VerifyOptions options;
  if (!o.now.empty()) {
    auto now = parse_unix(o.now, "--now");
    if (!now) return usage_error(now.error());
    options.now = std::chrono::system_clock::time_point(std::chrono::seconds(*now));
  }
  if (!o.tolerance.empty()) {
    auto tolerance = parse_unix(o.tolerance, "--tolerance");
    if (!tolerance || *tolerance == 0) return usage_error("--tolerance expects seconds > 0");
    options.tolerance = std::chrono::seconds(*tolerance);
  }
  auto body = read_stdin(kMaxBodyBytes);
  if (!body) return usage_error(body.error());

  const auto verdict = schemes::verify(
      **scheme, schemes::RequestView{o.method, o.url, headers, *body}, keys, options);
  if (!verdict.ok()) {
    std::cerr << "invalid: " << schemes::to_string(verdict.reason) << ": " << verdict.detail
              << "\n";
    return kExitInvalid;
  }
  std::cout << "valid (key " << verdict.key_index + 1 << " of " << keys.size() << ")";
  if (!verdict.id.empty()) std::cout << " id " << verdict.id;
  std::cout << "\n";
  return kExitOk;
}

}  // namespace hookgate::cli

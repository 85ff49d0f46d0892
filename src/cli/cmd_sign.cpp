// `hookgate sign`: prints the headers a provider would send with the body on stdin.
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli.hpp"
#include "hookgate/config/secret_source.hpp"
#include "hookgate/schemes/sign.hpp"

namespace hookgate::cli {

int run_sign(const SignOptions& o) {
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
  if (!o.key_file.empty()) {
    auto text = config::resolve_secret("file:" + o.key_file);
    if (!text) return usage_error("--key: " + text.error());
    auto key = schemes::Key::parse_private_key(**scheme, *text);
    if (!key) return usage_error("--key: " + key.error());
    keys.push_back(std::move(key.value()));
  }
  if (keys.empty()) return usage_error("give --secret or --key");

  schemes::SignInput input;
  input.method = o.method;
  input.url = o.url;
  input.id = o.id;
  if (!o.timestamp.empty()) {
    auto ts = parse_unix(o.timestamp, "--timestamp");
    if (!ts) return usage_error(ts.error());
    input.timestamp = std::chrono::system_clock::time_point(std::chrono::seconds(*ts));
  }
  if ((*scheme)->uses(schemes::Segment::Kind::url) ||
      (*scheme)->uses(schemes::Segment::Kind::url_decoded)) {
    if (o.url.empty())
      return usage_error("scheme " + o.scheme.scheme + " signs the URL: give --url");
  }
  auto body = read_stdin(kMaxBodyBytes);
  if (!body) return usage_error(body.error());
  input.body = *body;

  auto headers = schemes::sign(**scheme, input, keys);
  if (!headers) return usage_error(headers.error());
  for (const auto& [name, value] : headers->items())
    std::cout << name << ": " << value << "\n";
  return kExitOk;
}

}  // namespace hookgate::cli

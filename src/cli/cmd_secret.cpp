// `hookgate secret`: a new secret or key pair in the scheme's own format.
#include <iostream>

#include "cli.hpp"
#include "hookgate/schemes/secret.hpp"

namespace hookgate::cli {

namespace {

// PEM values go on the lines after their label; one-line values follow it.
void print(std::string_view label, const std::string& value) {
  if (value.find('\n') != std::string::npos) {
    std::cout << label << ":\n" << value;
    if (value.back() != '\n') std::cout << "\n";
  } else {
    std::cout << label << ": " << value << "\n";
  }
}

}  // namespace

int run_secret(const SecretOptions& o) {
  auto catalogue = load_catalogue(o.scheme_files);
  if (!catalogue) return usage_error(catalogue.error());
  auto scheme = find_scheme(*catalogue, o.scheme);
  if (!scheme) return usage_error(scheme.error());
  auto generated = schemes::generate_secret(**scheme, o.kind);
  if (!generated) return usage_error(generated.error());
  if (generated->public_key.empty()) {
    print("secret", generated->secret);
  } else {
    print("private_key", generated->secret);
    print("public_key", generated->public_key);
  }
  return kExitOk;
}

}  // namespace hookgate::cli

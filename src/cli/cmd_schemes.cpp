// `hookgate schemes`: one line per scheme, name then description.
#include <algorithm>
#include <iomanip>
#include <iostream>

#include "cli.hpp"

namespace hookgate::cli {

int run_schemes(const std::vector<std::string>& scheme_files) {
  auto catalogue = load_catalogue(scheme_files);
  if (!catalogue) return usage_error(catalogue.error());
  std::size_t width = 0;
  for (const auto& s : catalogue->all())
    width = std::max(width, s.name.size());
  for (const auto& s : catalogue->all()) {
    std::cout << std::left << std::setw(static_cast<int>(width + 2)) << s.name << s.description
              << "\n";
  }
  return kExitOk;
}

}  // namespace hookgate::cli

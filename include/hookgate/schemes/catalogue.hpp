// Catalogue: the schemes known by name, the built-in providers first, then user-defined ones.
#pragma once

#include <string_view>
#include <vector>

#include "hookgate/result.hpp"
#include "hookgate/schemes/scheme.hpp"

namespace hookgate::schemes {

class Catalogue {
 public:
  // Parses the built-in provider files (providers/*.toml, compiled in).
  static Result<Catalogue> with_builtins();

  const Scheme* find(std::string_view name) const;
  // Error when a scheme of that name exists already.
  Result<bool> add(Scheme scheme);
  const std::vector<Scheme>& all() const { return schemes_; }

 private:
  std::vector<Scheme> schemes_;
};

}  // namespace hookgate::schemes

// The catalogue of schemes by name.
#include "hookgate/schemes/catalogue.hpp"

#include "hookgate/schemes/builtin.hpp"

namespace hookgate::schemes {

Result<Catalogue> Catalogue::with_builtins() {
  Catalogue catalogue;
  for (const auto& entry : builtin_scheme_texts()) {
    auto scheme = load_scheme(entry.text, entry.origin);
    if (!scheme) return Error{scheme.error()};
    auto added = catalogue.add(std::move(scheme.value()));
    if (!added) return Error{added.error()};
  }
  return catalogue;
}

const Scheme* Catalogue::find(std::string_view name) const {
  for (const auto& s : schemes_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

Result<bool> Catalogue::add(Scheme scheme) {
  if (const Scheme* existing = find(scheme.name)) {
    return Error{scheme.origin + ": scheme '" + scheme.name + "' is already defined by " +
                 existing->origin};
  }
  schemes_.push_back(std::move(scheme));
  return true;
}

}  // namespace hookgate::schemes

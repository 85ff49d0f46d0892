// HeaderList: case-insensitive, order-preserving HTTP header storage.
#include "hookgate/schemes/header_list.hpp"

#include <algorithm>

namespace hookgate::schemes {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) {
      return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

HeaderList::HeaderList(std::initializer_list<std::pair<std::string, std::string>> items)
    : items_(items) {}

void HeaderList::add(std::string name, std::string value) {
  items_.emplace_back(std::move(name), std::move(value));
}

void HeaderList::set(std::string name, std::string value) {
  std::erase_if(items_, [&](const auto& item) { return iequals(item.first, name); });
  items_.emplace_back(std::move(name), std::move(value));
}

std::size_t HeaderList::count(std::string_view name) const {
  return static_cast<std::size_t>(std::count_if(
      items_.begin(), items_.end(), [&](const auto& item) { return iequals(item.first, name); }));
}

std::optional<std::string_view> HeaderList::get(std::string_view name) const {
  std::optional<std::string_view> found;
  for (const auto& [n, v] : items_) {
    if (!iequals(n, name)) continue;
    if (found) return std::nullopt;
    found = v;
  }
  return found;
}

std::vector<std::string_view> HeaderList::all(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [n, v] : items_) {
    if (iequals(n, name)) out.emplace_back(v);
  }
  return out;
}

}  // namespace hookgate::schemes

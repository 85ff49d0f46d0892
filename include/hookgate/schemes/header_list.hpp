// HeaderList: HTTP headers as received. Names compare case-insensitively; order and duplicates
// are kept, because a duplicated signature header is a reason to refuse, not to pick one.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hookgate::schemes {

bool iequals(std::string_view a, std::string_view b);

class HeaderList {
 public:
  HeaderList() = default;
  HeaderList(std::initializer_list<std::pair<std::string, std::string>> items);

  void add(std::string name, std::string value);
  // Replaces every value of name by one.
  void set(std::string name, std::string value);

  std::size_t count(std::string_view name) const;
  // The value when name occurs exactly once; nullopt when absent or repeated (see count).
  std::optional<std::string_view> get(std::string_view name) const;
  std::vector<std::string_view> all(std::string_view name) const;

  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }
  bool empty() const { return items_.empty(); }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

}  // namespace hookgate::schemes

// Choosing a free address in a kind's range. The store decides who gets it (its unique
// address); this only proposes candidates that were free when last looked at.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "net_parse.hpp"

namespace formation::mesh_wireguard {

class AddressPool {
 public:
  // `in_use`: every address in the store (other ranges' ones are ignored).
  AddressPool(const Cidr& range, const std::vector<std::string>& in_use);

  // The usable addresses: the range without its network and broadcast addresses.
  [[nodiscard]] std::uint64_t capacity() const;
  [[nodiscard]] std::uint64_t free_count() const;
  // A random free address, nullopt when none is left. `random` is any 64-bit value.
  [[nodiscard]] std::optional<std::uint32_t> pick(std::uint64_t random) const;
  // Another host took it: do not propose it again.
  void mark_used(std::uint32_t address);

 private:
  Cidr range_;
  std::unordered_set<std::uint32_t> used_;
};

}  // namespace formation::mesh_wireguard

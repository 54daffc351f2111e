#include "address_pool.hpp"

namespace formation::mesh_wireguard {

AddressPool::AddressPool(const Cidr& range, const std::vector<std::string>& in_use)
    : range_(range) {
  for (const auto& text : in_use) {
    auto ip = parse_ipv4(text);
    if (ip.is_ok()) mark_used(*ip);
  }
}

std::uint64_t AddressPool::capacity() const { return range_.size() > 2 ? range_.size() - 2 : 0; }

std::uint64_t AddressPool::free_count() const { return capacity() - used_.size(); }

void AddressPool::mark_used(std::uint32_t address) {
  if (address > range_.network && address < range_.broadcast() && contains(range_, address)) {
    used_.insert(address);
  }
}

std::optional<std::uint32_t> AddressPool::pick(std::uint64_t random) const {
  const auto n = capacity();
  if (n == 0 || used_.size() >= n) return std::nullopt;
  // Start anywhere and walk: in a nearly full range a random probe would miss for long.
  const auto start = random % n;
  for (std::uint64_t i = 0; i < n; ++i) {
    const auto candidate = range_.network + 1 + static_cast<std::uint32_t>((start + i) % n);
    if (used_.count(candidate) == 0) return candidate;
  }
  return std::nullopt;
}

}  // namespace formation::mesh_wireguard

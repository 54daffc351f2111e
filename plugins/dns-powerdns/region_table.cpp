#include "region_table.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace formation::dns_powerdns {

namespace {

// The longest literal inet_pton accepts ("ffff:...:255.255.255.255") plus its NUL.
constexpr std::size_t kMaxLiteral = INET6_ADDRSTRLEN;

// Clears every bit after the first `prefix`.
IpAddress masked(IpAddress address, int prefix) {
  for (int i = 0; i < address.bits() / 8; ++i) {
    const int keep = std::clamp(prefix - (i * 8), 0, 8);
    address.bytes.at(i) &= static_cast<std::uint8_t>(0xff00U >> keep);
  }
  return address;
}

std::optional<int> parse_prefix(std::string_view text, int max) {
  int value = -1;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < 0 || value > max) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::optional<IpAddress> parse_ip(std::string_view text) {
  if (text.empty() || text.size() >= kMaxLiteral) return std::nullopt;
  std::array<char, kMaxLiteral> buffer{};
  std::memcpy(buffer.data(), text.data(), text.size());
  IpAddress out;
  if (text.find(':') == std::string_view::npos) {
    if (::inet_pton(AF_INET, buffer.data(), out.bytes.data()) != 1) return std::nullopt;
    return out;
  }
  out.v6 = true;
  if (::inet_pton(AF_INET6, buffer.data(), out.bytes.data()) != 1) return std::nullopt;
  return out;
}

bool Cidr::contains(const IpAddress& address) const {
  return address.v6 == base.v6 && masked(address, prefix) == base;
}

Result<Cidr> parse_cidr(std::string_view text) {
  const auto slash = text.find('/');
  auto address = parse_ip(text.substr(0, slash));
  if (!address) {
    return Status::invalid("'" + std::string(text) +
                           "' is not a CIDR (an IPv4 or IPv6 address, '/', a prefix length)");
  }
  Cidr cidr{*address, address->bits()};
  if (slash != std::string_view::npos) {
    auto prefix = parse_prefix(text.substr(slash + 1), address->bits());
    if (!prefix) {
      return Status::invalid("'" + std::string(text) + "': the prefix length must be 0 to " +
                             std::to_string(address->bits()));
    }
    cidr.prefix = *prefix;
  }
  if (masked(cidr.base, cidr.prefix) != cidr.base) {
    return Status::invalid("'" + std::string(text) +
                           "' has bits set after the prefix; write the network address");
  }
  return cidr;
}

std::optional<ClientSubnet> parse_client_subnet(std::string_view text) {
  const auto slash = text.find('/');
  auto address = parse_ip(text.substr(0, slash));
  if (!address) return std::nullopt;
  ClientSubnet out{*address, address->bits()};
  if (slash != std::string_view::npos) {
    auto prefix = parse_prefix(text.substr(slash + 1), address->bits());
    if (!prefix) return std::nullopt;
    out.prefix = *prefix;
  }
  return out;
}

void RegionTable::add(const Cidr& cidr, std::string region) {
  // Stable insertion before the first shorter prefix keeps "first of equals wins".
  auto at = std::find_if(entries_.begin(), entries_.end(),
                         [&](const Entry& e) { return e.cidr.prefix < cidr.prefix; });
  entries_.insert(at, Entry{cidr, std::move(region)});
}

const std::string* RegionTable::region_of(const IpAddress& address) const {
  for (const auto& entry : entries_) {
    if (entry.cidr.contains(address)) return &entry.region;
  }
  return nullptr;
}

}  // namespace formation::dns_powerdns

// IP addresses, CIDR blocks and the operator's CIDR -> region table that geo-aware answers
// use. Parsing is allocation-free so that it can run on every query.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formation/status.hpp"

namespace formation::dns_powerdns {

struct IpAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // IPv4 uses the first 4

  [[nodiscard]] int bits() const { return v6 ? 128 : 32; }
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// An IPv4 or IPv6 literal ("10.0.0.1", "2001:db8::1"); nullopt for anything else.
std::optional<IpAddress> parse_ip(std::string_view text);

struct Cidr {
  IpAddress base;  // host bits cleared
  int prefix = 0;

  // False for the other family.
  [[nodiscard]] bool contains(const IpAddress& address) const;
};

// "10.42.0.0/16", "2001:db8::/32"; a bare address is a /32 or /128. Host bits set in the
// base are refused ("10.42.0.1/16"): they are usually a typo for another block.
Result<Cidr> parse_cidr(std::string_view text);

// Who asks, as PowerDNS tells it: "ip" or "ip/len" (EDNS client subnet). The address and
// the prefix length the answer may be cached for; a bare address has its full length.
struct ClientSubnet {
  IpAddress address;
  int prefix = 0;
};
std::optional<ClientSubnet> parse_client_subnet(std::string_view text);

class RegionTable {
 public:
  // Later entries with the same prefix length never shadow earlier ones.
  void add(const Cidr& cidr, std::string region);
  // The region of the longest prefix containing `address`; nullptr when none does.
  [[nodiscard]] const std::string* region_of(const IpAddress& address) const;
  [[nodiscard]] bool empty() const { return entries_.empty(); }

 private:
  struct Entry {
    Cidr cidr;
    std::string region;
  };
  std::vector<Entry> entries_;  // longest prefix first
};

}  // namespace formation::dns_powerdns

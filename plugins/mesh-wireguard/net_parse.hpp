// The mesh's small parsers: IPv4/IPv6 literals, "ip:port" endpoints, IPv4 CIDRs, and the
// questions asked about them (inside a range? reachable from outside?). Pure functions;
// every refusal says what was wrong with which text. Fuzzed by test/fuzz/fuzz_mesh_input.cpp.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "formation/status.hpp"

namespace formation::mesh_wireguard {

struct IpAddress {
  bool v6 = false;
  std::uint32_t v4 = 0;                     // host order, when !v6
  std::array<std::uint8_t, 16> v6_bytes{};  // network order, when v6
};

struct Endpoint {
  IpAddress ip;
  std::uint16_t port = 0;
};

// An IPv4 network: `network` has no host bits set.
struct Cidr {
  std::uint32_t network = 0;
  int prefix = 0;
  [[nodiscard]] std::uint32_t mask() const {
    return prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
  }
  [[nodiscard]] std::uint32_t broadcast() const { return network | ~mask(); }
  [[nodiscard]] std::uint64_t size() const { return std::uint64_t{1} << (32 - prefix); }
};

// Dotted quad, exactly four decimal parts 0..255 without leading zeros.
Result<std::uint32_t> parse_ipv4(std::string_view text);
Result<IpAddress> parse_ip(std::string_view text);
// "1.2.3.4:51820" or "[2001:db8::1]:51820"; port 1..65535.
Result<Endpoint> parse_endpoint(std::string_view text);
// "10.42.0.0/16"; host bits must be zero.
Result<Cidr> parse_cidr(std::string_view text);

std::string format_ipv4(std::uint32_t address);
std::string format_ip(const IpAddress& address);
std::string format_endpoint(const Endpoint& endpoint);  // IPv6 in brackets
std::string format_cidr(const Cidr& cidr);

bool contains(const Cidr& range, std::uint32_t address);
bool contains(const Cidr& outer, const Cidr& inner);
bool overlaps(const Cidr& a, const Cidr& b);

// Not reachable from the Internet: RFC 1918, loopback, link-local, CGNAT 100.64/10,
// "this network" 0/8; IPv6 loopback, unique-local fc00::/7, link-local fe80::/10.
bool is_private(const IpAddress& address);

}  // namespace formation::mesh_wireguard

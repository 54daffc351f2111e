#include "net_parse.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace formation::mesh_wireguard {

namespace {

std::string quoted(std::string_view text) {
  constexpr std::size_t kShown = 64;  // fuzzed input can be huge; messages stay short
  std::string shown(text.substr(0, kShown));
  if (text.size() > kShown) shown += "...";
  return "'" + shown + "'";
}

Result<int> parse_decimal(std::string_view text, int max, std::string_view what) {
  int value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  // from_chars takes "-0"; only plain digits are numbers here.
  if (text.empty() || text.front() < '0' || text.front() > '9' || ec != std::errc() || ptr != end ||
      value < 0 || value > max || (text.size() > 1 && text.front() == '0')) {
    return Status::invalid(std::string(what) + " " + quoted(text) + " is not a number 0.." +
                           std::to_string(max));
  }
  return value;
}

}  // namespace

Result<std::uint32_t> parse_ipv4(std::string_view text) {
  std::uint32_t out = 0;
  std::string_view rest = text;
  for (int part = 0; part < 4; ++part) {
    const auto dot = rest.find('.');
    const bool last = part == 3;
    if (last != (dot == std::string_view::npos)) {
      return Status::invalid(quoted(text) + " is not an IPv4 address (four dotted numbers)");
    }
    auto value = parse_decimal(rest.substr(0, dot), 255, "part of IPv4 address");
    if (!value.is_ok()) {
      return Status::invalid(quoted(text) + " is not an IPv4 address: " + value.status().message());
    }
    out = (out << 8) | static_cast<std::uint32_t>(*value);
    rest = last ? std::string_view{} : rest.substr(dot + 1);
  }
  return out;
}

Result<IpAddress> parse_ip(std::string_view text) {
  if (text.find(':') == std::string_view::npos) {
    auto v4 = parse_ipv4(text);
    if (!v4.is_ok()) return v4.status();
    return IpAddress{.v6 = false, .v4 = *v4};
  }
  constexpr std::size_t kMaxV6 = 45;  // INET6_ADDRSTRLEN - 1
  if (text.size() > kMaxV6 || text.find('\0') != std::string_view::npos) {
    return Status::invalid(quoted(text) + " is not an IPv6 address");
  }
  IpAddress out{.v6 = true};
  const std::string copy(text);
  if (::inet_pton(AF_INET6, copy.c_str(), out.v6_bytes.data()) != 1) {
    return Status::invalid(quoted(text) + " is not an IPv6 address");
  }
  return out;
}

Result<Endpoint> parse_endpoint(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Status::invalid("endpoint " + quoted(text) + " is not \"[ipv6]:port\"");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (host.find(':') == std::string_view::npos) {
      return Status::invalid("endpoint " + quoted(text) + ": only IPv6 goes in brackets");
    }
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return Status::invalid("endpoint " + quoted(text) + " is not \"ip:port\" (no port)");
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return Status::invalid("endpoint " + quoted(text) +
                             ": an IPv6 address needs brackets, \"[ip]:port\"");
    }
  }
  auto ip = parse_ip(host);
  if (!ip.is_ok())
    return Status::invalid("endpoint " + quoted(text) + ": " + ip.status().message());
  auto number = parse_decimal(port, 65535, "port");
  if (!number.is_ok() || *number == 0) {
    return Status::invalid("endpoint " + quoted(text) + ": the port must be 1 to 65535");
  }
  return Endpoint{*ip, static_cast<std::uint16_t>(*number)};
}

Result<Cidr> parse_cidr(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    return Status::invalid(quoted(text) + " is not a CIDR such as \"10.42.0.0/16\" (no '/')");
  }
  auto ip = parse_ipv4(text.substr(0, slash));
  if (!ip.is_ok()) return Status::invalid(quoted(text) + ": " + ip.status().message());
  auto prefix = parse_decimal(text.substr(slash + 1), 32, "prefix length");
  if (!prefix.is_ok()) return Status::invalid(quoted(text) + ": " + prefix.status().message());
  Cidr cidr{.network = *ip, .prefix = *prefix};
  if ((cidr.network & ~cidr.mask()) != 0) {
    return Status::invalid(quoted(text) + " has host bits set (the network is " +
                           format_ipv4(cidr.network & cidr.mask()) + "/" +
                           std::to_string(cidr.prefix) + ")");
  }
  return cidr;
}

std::string format_ipv4(std::uint32_t address) {
  return std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 0xff) + "." +
         std::to_string((address >> 8) & 0xff) + "." + std::to_string(address & 0xff);
}

std::string format_ip(const IpAddress& address) {
  if (!address.v6) return format_ipv4(address.v4);
  std::array<char, INET6_ADDRSTRLEN> buffer{};
  ::inet_ntop(AF_INET6, address.v6_bytes.data(), buffer.data(), buffer.size());
  return buffer.data();
}

std::string format_endpoint(const Endpoint& endpoint) {
  const auto ip = format_ip(endpoint.ip);
  return (endpoint.ip.v6 ? "[" + ip + "]" : ip) + ":" + std::to_string(endpoint.port);
}

std::string format_cidr(const Cidr& cidr) {
  return format_ipv4(cidr.network) + "/" + std::to_string(cidr.prefix);
}

bool contains(const Cidr& range, std::uint32_t address) {
  return (address & range.mask()) == range.network;
}

bool contains(const Cidr& outer, const Cidr& inner) {
  return inner.prefix >= outer.prefix && contains(outer, inner.network);
}

bool overlaps(const Cidr& a, const Cidr& b) { return contains(a, b) || contains(b, a); }

bool is_private(const IpAddress& address) {
  if (address.v6) {
    const auto& b = address.v6_bytes;
    static constexpr std::array<std::uint8_t, 16> kLoopback{0, 0, 0, 0, 0, 0, 0, 0,
                                                            0, 0, 0, 0, 0, 0, 0, 1};
    if (b == kLoopback) return true;
    if ((b[0] & 0xfe) == 0xfc) return true;                  // fc00::/7
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true;  // fe80::/10
    return false;
  }
  static const std::array<Cidr, 7> kPrivate{
      Cidr{0x0A000000, 8},  Cidr{0xAC100000, 12}, Cidr{0xC0A80000, 16}, Cidr{0x7F000000, 8},
      Cidr{0xA9FE0000, 16}, Cidr{0x64400000, 10}, Cidr{0x00000000, 8}};
  for (const auto& range : kPrivate) {
    if (contains(range, address.v4)) return true;
  }
  return false;
}

}  // namespace formation::mesh_wireguard

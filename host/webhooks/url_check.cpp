#include "webhooks/url_check.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>

namespace formation::host::webhooks {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

Status refuse(std::string_view what, const std::string& why) {
  return Status::invalid(std::string(what) + ": " + why);
}

}  // namespace

std::string WebhookUrl::endpoint() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

bool is_forbidden_address(std::string_view ip_literal) {
  const std::string text(ip_literal);
  std::array<std::uint8_t, 16> v6{};
  std::array<std::uint8_t, 4> v4{};
  if (::inet_pton(AF_INET, text.c_str(), v4.data()) == 1) {
    return v4[0] == 169 && v4[1] == 254;  // link-local, which holds 169.254.169.254
  }
  if (::inet_pton(AF_INET6, text.c_str(), v6.data()) != 1) return false;
  if (v6[0] == 0xfe && (v6[1] & 0xc0) == 0x80) return true;  // fe80::/10
  // fd00:ec2::254, AWS's IPv6 metadata address.
  constexpr std::array<std::uint8_t, 16> kAws = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0,    0,
                                                 0,    0,    0,    0,    0, 0, 0x02, 0x54};
  if (v6 == kAws) return true;
  // An IPv4-mapped address (::ffff:a.b.c.d) is the IPv4 address.
  const bool mapped = std::all_of(v6.begin(), v6.begin() + 10, [](auto b) { return b == 0; }) &&
                      v6[10] == 0xff && v6[11] == 0xff;
  return mapped && v6[12] == 169 && v6[13] == 254;
}

Result<WebhookUrl> parse_webhook_url(std::string_view url, std::string_view what) {
  if (url.empty()) return refuse(what, "must not be empty");
  if (url.size() > kMaxUrlLength) {
    return refuse(what, "is " + std::to_string(url.size()) + " characters long (at most " +
                            std::to_string(kMaxUrlLength) + ")");
  }
  for (std::size_t i = 0; i < url.size(); ++i) {
    const auto c = static_cast<unsigned char>(url[i]);
    if (c <= 0x20 || c >= 0x7f) {
      return refuse(what, "has a space, control or non-ASCII character at offset " +
                              std::to_string(i) + " (percent-encode it)");
    }
  }
  WebhookUrl out;
  const auto colon = url.find("://");
  if (colon == std::string_view::npos) return refuse(what, "must start with http:// or https://");
  out.scheme = lower(url.substr(0, colon));
  if (out.scheme != "http" && out.scheme != "https") {
    return refuse(what, "scheme '" + out.scheme + "' is not allowed (only http and https)");
  }
  std::string_view rest = url.substr(colon + 3);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) {
    return refuse(what, "must not carry a user name or password (put a token in the path)");
  }
  std::string_view host = authority;
  std::string_view port_text;
  if (host.starts_with('[')) {
    const auto close = host.find(']');
    if (close == std::string_view::npos) return refuse(what, "has an unclosed '[' in its host");
    port_text = host.substr(close + 1);
    host = host.substr(1, close - 1);
    if (!port_text.empty() && !port_text.starts_with(':')) {
      return refuse(what, "has characters after ']' that are not a port");
    }
    std::array<std::uint8_t, 16> buf{};
    if (::inet_pton(AF_INET6, std::string(host).c_str(), buf.data()) != 1) {
      return refuse(what, "host '[" + std::string(host) + "]' is not an IPv6 address");
    }
  } else {
    const auto p = host.find(':');
    if (p != std::string_view::npos) {
      port_text = host.substr(p);
      host = host.substr(0, p);
    }
  }
  if (host.empty()) return refuse(what, "has no host");
  out.host = lower(host);
  out.port = out.scheme == "https" ? 443 : 80;
  if (!port_text.empty()) {
    port_text.remove_prefix(1);
    int port = 0;
    const auto* end = port_text.data() + port_text.size();
    auto [ptr, ec] = std::from_chars(port_text.data(), end, port);
    if (port_text.empty() || ec != std::errc() || ptr != end || port < 1 || port > 65535) {
      return refuse(what, "port '" + std::string(port_text) + "' is not a number 1..65535");
    }
    out.port = port;
  }
  std::string name = out.host;
  while (name.ends_with('.')) name.pop_back();
  if (name == "metadata.google.internal" || name == "metadata") {
    return refuse(what, "host '" + out.host + "' is a cloud metadata service");
  }
  if (is_forbidden_address(out.host)) {
    return refuse(what, "host '" + out.host +
                            "' is a link-local or cloud metadata address (169.254.0.0/16, "
                            "fe80::/10, fd00:ec2::254)");
  }
  return out;
}

}  // namespace formation::host::webhooks

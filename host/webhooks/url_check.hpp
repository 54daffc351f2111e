// Webhook URLs a tenant may register (docs/webhooks.md, "Which URLs"). The deliverer POSTs
// from inside the operator's network, so a URL must not turn it into a way to reach cloud
// metadata services or link-local neighbours. Loopback stays allowed: one-node setups and
// the tests run their receivers there.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "formation/status.hpp"

namespace formation::host::webhooks {

inline constexpr std::size_t kMaxUrlLength = 2048;

struct WebhookUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // as written, without IPv6 brackets, lower case
  int port = 0;        // explicit or the scheme's default
  // "host:port", the key of the endpoint's circuit breaker.
  [[nodiscard]] std::string endpoint() const;
};

// invalid, naming `what` and the reason: not http(s), longer than kMaxUrlLength, no host,
// userinfo, a bad port, a control character or space, a link-local (169.254.0.0/16,
// fe80::/10) or metadata address (169.254.169.254, fd00:ec2::254, metadata.google.internal).
Result<WebhookUrl> parse_webhook_url(std::string_view url, std::string_view what = "url");

// True for an IP literal the deliverer must never connect to (link-local or metadata); the
// deliverer also checks the address a host name resolved to.
bool is_forbidden_address(std::string_view ip_literal);

}  // namespace formation::host::webhooks

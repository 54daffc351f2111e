// Fuzz target for what a tenant sends when registering a webhook: the POST /v1/webhooks
// body and the URL on its own. Must never crash; whatever is accepted must be http(s), at
// most 2048 characters, and never a link-local or metadata address.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "webhooks/url_check.hpp"
#include "webhooks/webhook_body.hpp"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

void check_accepted(const formation::host::webhooks::WebhookUrl& url, std::size_t length) {
  namespace wh = formation::host::webhooks;
  require(url.scheme == "http" || url.scheme == "https");
  require(length <= wh::kMaxUrlLength);
  require(!url.host.empty() && url.port >= 1 && url.port <= 65535);
  require(!wh::is_forbidden_address(url.host));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace wh = formation::host::webhooks;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto url = wh::parse_webhook_url(input); url.is_ok()) {
    check_accepted(*url, input.size());
    require(!url->endpoint().empty());
  }
  if (auto body = wh::parse_webhook_request(input); body.is_ok()) {
    check_accepted(body->parsed, body->url.size());
    require(!body->events.empty() && body->events.size() <= wh::kMaxEvents);
  }
  return 0;
}

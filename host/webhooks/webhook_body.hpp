// The body of POST /v1/webhooks: {"url": "...", "events": ["usage", "threshold", ...]}.
// Outside input: every refusal names the field (and the array index) and what it takes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "formation/status.hpp"
#include "webhooks/url_check.hpp"

namespace formation::host::webhooks {

inline constexpr std::size_t kMaxEvents = 8;

// What a webhook may subscribe to: the families and their exact types.
inline constexpr std::string_view kEventNames[] = {"usage", "usage.sample", "threshold",
                                                   "threshold.violation"};

struct WebhookRequest {
  std::string url;
  WebhookUrl parsed;
  std::vector<std::string> events;  // de-duplicated, in the order given
};

Result<WebhookRequest> parse_webhook_request(std::string_view body);

}  // namespace formation::host::webhooks

// One webhook POST over libcurl, bounded in time (connect and total timeouts) so that a
// receiver that accepts and never answers, or trickles garbage, costs at most `total`.
// Redirects are not followed and the connection is refused when the address a name resolved
// to is link-local or metadata (url_check.hpp), so DNS cannot smuggle those in.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace formation::host::webhooks {

struct PostOutcome {
  int status = 0;     // the HTTP status; 0 when there was no valid answer
  std::string error;  // why not, for people ("timeout after 5000 ms", "connection refused")
};

struct PostTimeouts {
  std::chrono::milliseconds connect{2000};
  std::chrono::milliseconds total{5000};
};

PostOutcome http_post(const std::string& url,
                      const std::vector<std::pair<std::string, std::string>>& headers,
                      const std::string& body, PostTimeouts timeouts);

}  // namespace formation::host::webhooks

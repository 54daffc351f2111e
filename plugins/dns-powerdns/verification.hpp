// Custom-domain verification: whether the public DNS holds the tenant's challenge token in
// TXT at `_formation-challenge.<fqdn>`. Asks with libresolv, against the configured
// resolvers or the system's (resolv.conf). Blocks for up to about the timeout per
// resolver: blocking pool only.
#pragma once

#include <string>

#include "formation/status.hpp"
#include "settings.hpp"

namespace formation::dns_powerdns {

// true when one TXT string at the challenge name equals `token`; false when the name has
// no TXT, does not exist, or holds other strings; unavailable when no resolver answered.
Result<bool> check_challenge(const VerificationSettings& settings, const std::string& fqdn,
                             const std::string& token);

}  // namespace formation::dns_powerdns

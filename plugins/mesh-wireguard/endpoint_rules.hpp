// Which endpoints a peer is stored with (docs/mesh.md "POST /v1/mesh/endpoints").
#pragma once

#include <string>
#include <vector>

#include "formation/status.hpp"

namespace formation::mesh_wireguard {

inline constexpr std::size_t kMaxEndpoints = 8;

// Each candidate must be "ip:port" (invalid names the first that is not); returned in
// canonical form, deduplicated, in order, at most kMaxEndpoints.
Result<std::vector<std::string>> normalise_endpoints(const std::vector<std::string>& candidates);

// NAT traversal: when `observed_source` ("ip:port" or "ip"; may be empty: unknown) is a
// public address, a private or loopback candidate cannot be reached from outside and
// becomes the observed IP with the candidate's port. Otherwise candidates stay as given.
Result<std::vector<std::string>> reachable_endpoints(const std::vector<std::string>& candidates,
                                                     const std::string& observed_source);

}  // namespace formation::mesh_wireguard

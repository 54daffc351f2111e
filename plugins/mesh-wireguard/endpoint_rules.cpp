#include "endpoint_rules.hpp"

#include <algorithm>
#include <optional>

#include "net_parse.hpp"

namespace formation::mesh_wireguard {

namespace {

Result<std::optional<IpAddress>> observed_ip(const std::string& source) {
  if (source.empty()) return std::optional<IpAddress>();
  if (auto endpoint = parse_endpoint(source); endpoint.is_ok()) {
    return std::optional<IpAddress>(endpoint->ip);
  }
  auto ip = parse_ip(source);
  if (!ip.is_ok()) {
    return Status::invalid("observed source: " + ip.status().message());
  }
  return std::optional<IpAddress>(*ip);
}

void push_unique(std::vector<std::string>& out, std::string value) {
  if (out.size() < kMaxEndpoints && std::find(out.begin(), out.end(), value) == out.end()) {
    out.push_back(std::move(value));
  }
}

}  // namespace

Result<std::vector<std::string>> normalise_endpoints(const std::vector<std::string>& candidates) {
  return reachable_endpoints(candidates, "");
}

Result<std::vector<std::string>> reachable_endpoints(const std::vector<std::string>& candidates,
                                                     const std::string& observed_source) {
  auto observed = observed_ip(observed_source);
  if (!observed.is_ok()) return observed.status();
  const bool behind_nat = observed->has_value() && !is_private(**observed);
  std::vector<Endpoint> parsed;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    auto endpoint = parse_endpoint(candidates[i]);
    if (!endpoint.is_ok()) {
      return Status::invalid("endpoints[" + std::to_string(i) +
                             "]: " + endpoint.status().message());
    }
    parsed.push_back(*endpoint);
  }
  std::vector<std::string> out;
  for (auto endpoint : parsed) {
    if (behind_nat && is_private(endpoint.ip)) endpoint.ip = **observed;
    push_unique(out, format_endpoint(endpoint));
  }
  return out;
}

}  // namespace formation::mesh_wireguard

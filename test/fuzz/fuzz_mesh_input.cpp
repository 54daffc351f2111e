// Fuzz target for mesh-wireguard's parsers of outside input (API bodies and `wg show`
// output): endpoints, CIDRs, IP literals, public keys, the endpoint rules and wg dumps.
// Must never crash, and whatever parses must print back to text that parses to the same
// value (the store keeps the printed form).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "endpoint_rules.hpp"
#include "keys.hpp"
#include "net_parse.hpp"
#include "wg_diff.hpp"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace mesh = formation::mesh_wireguard;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  if (auto endpoint = mesh::parse_endpoint(input); endpoint.is_ok()) {
    const auto text = mesh::format_endpoint(*endpoint);
    auto again = mesh::parse_endpoint(text);
    require(again.is_ok() && mesh::format_endpoint(*again) == text);
  }
  if (auto cidr = mesh::parse_cidr(input); cidr.is_ok()) {
    require(mesh::format_cidr(*cidr) == input);  // only the canonical form is accepted
    require(mesh::contains(*cidr, cidr->network) && mesh::contains(*cidr, cidr->broadcast()));
  }
  if (auto ip = mesh::parse_ip(input); ip.is_ok()) {
    auto again = mesh::parse_ip(mesh::format_ip(*ip));
    require(again.is_ok());
    (void)mesh::is_private(*ip);
  }
  if (auto key = mesh::decode_key(input); key.is_ok()) {
    require(mesh::base64_encode(*key) == input);
  }
  // The first line is the observed source, the others candidates.
  const auto newline = input.find('\n');
  std::vector<std::string> candidates;
  if (newline != std::string_view::npos) {
    std::string_view rest = input.substr(newline + 1);
    while (!rest.empty() && candidates.size() < 16) {
      const auto end = rest.find('\n');
      candidates.emplace_back(rest.substr(0, end));
      rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    }
  }
  if (auto out = mesh::reachable_endpoints(candidates, std::string(input.substr(0, newline)));
      out.is_ok()) {
    require(out->size() <= mesh::kMaxEndpoints);
    for (const auto& e : *out) require(mesh::parse_endpoint(e).is_ok());
  }
  if (auto peers = mesh::parse_dump(input); peers.is_ok()) {
    (void)mesh::wg_set_arguments(mesh::diff_peers({}, *peers));
  }
  return 0;
}

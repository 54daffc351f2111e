// What `wg show <if> dump` says the interface runs, what the store says it should run, and
// the `wg set` arguments that take the one to the other without touching anything else.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "formation/kinds/mesh.hpp"
#include "formation/status.hpp"

namespace formation::mesh_wireguard {

struct RunningPeer {
  std::string public_key;
  std::string endpoint;                  // empty for "(none)"
  std::vector<std::string> allowed_ips;  // sorted
  int persistent_keepalive_s = 0;
};

// The peer lines of a dump (the first line is the interface's own). invalid on a line
// that does not have wg's 8 tab-separated fields.
Result<std::vector<RunningPeer>> parse_dump(std::string_view dump);

struct PeerDiff {
  std::vector<std::string> remove;    // public keys
  std::vector<WireGuardPeer> upsert;  // new peers and peers whose settings changed
  [[nodiscard]] bool empty() const { return remove.empty() && upsert.empty(); }
};

// A wanted peer without an endpoint keeps whatever endpoint WireGuard learnt from it (it
// calls us); allowed IPs are compared as sets.
PeerDiff diff_peers(const std::vector<WireGuardPeer>& wanted,
                    const std::vector<RunningPeer>& running);

// `wg set <if> ...` argument lists (after "wg set <if>") for the diff: removals first, in
// as few invocations as the kernel's argument limit allows (`max_bytes` per invocation).
std::vector<std::vector<std::string>> wg_set_arguments(const PeerDiff& diff,
                                                       std::size_t max_bytes = std::size_t{512} *
                                                                               1024);

}  // namespace formation::mesh_wireguard

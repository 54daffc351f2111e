// The node as its instances' router (docs/mesh.md "Routing"): the kernel forwards packets that
// arrive on the mesh interface (that interface's `forwarding` only, never the host's), and an
// nftables table of the plugin's own lets through exactly what forward_groups() allows; any
// other packet that arrives on the interface and is not for this node is dropped.
//
// The table: a verdict map `from_peer` sends a packet from a device to its owner's chain
// `d<N>` (accepting that owner's instances here) and one from an instance to `i<N>`
// (accepting that owner's devices). Its size grows with the peers, not with their product.
// The first load writes the whole table in one transaction; later ones change only the
// owners whose peers changed, also in one transaction. Not thread-safe: the plugin
// serialises every call.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "command.hpp"
#include "formation/status.hpp"
#include "settings.hpp"
#include "visibility.hpp"

namespace formation::mesh_wireguard {

// "formation_mesh_" and the interface name, anything but [A-Za-z0-9_] as '_' (nft's names).
std::string nft_table_name(const std::string& interface);

// The chain numbers of owners, stable while the filter lives.
using OwnerChains = std::map<std::string, int>;

// The whole table as `nft -f` input: made, emptied and filled in one transaction, so a
// reader never sees it half written and rules of an earlier run never linger.
std::string nft_table(const std::string& table, const std::string& interface,
                      const ForwardGroups& groups, const OwnerChains& chains);
// The changes from `before` to `after` as one `nft -f` transaction; empty when none.
// `chains` holds every owner of both.
std::string nft_changes(const std::string& table, const ForwardGroups& before,
                        const ForwardGroups& after, const OwnerChains& chains);

class ForwardingFilter {
 public:
  // Rulesets are written to `work_dir`/forwarding.nft before nft reads them.
  ForwardingFilter(const Settings& settings, const std::filesystem::path& work_dir);
  ~ForwardingFilter();
  ForwardingFilter(const ForwardingFilter&) = delete;
  ForwardingFilter& operator=(const ForwardingFilter&) = delete;

  // Loads `groups` unless they are what was loaded last; the first call also turns on the
  // interface's forwarding, once the table stands.
  Status apply(const ForwardGroups& groups);
  // Deletes the table this filter loaded (and nothing else).
  void remove();

 private:
  Status load(const std::string& ruleset);
  Status enable_forwarding();

  CommandRunner runner_;
  std::string interface_;
  std::string table_;
  std::filesystem::path file_;
  bool forwarding_ = false;
  OwnerChains chains_;
  int next_chain_ = 0;
  std::optional<ForwardGroups> loaded_;
};

}  // namespace formation::mesh_wireguard

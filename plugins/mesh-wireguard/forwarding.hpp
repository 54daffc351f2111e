// The node as its instances' router (docs/mesh.md "Routing"): the kernel forwards packets that
// arrive on the mesh interface (that interface's `forwarding` only, never the host's), and an
// nftables table of the plugin's own lets through exactly the pairs of forward_pairs(); any
// other packet that arrives on the interface and is not for this node is dropped. Not
// thread-safe: the plugin serialises every call.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "command.hpp"
#include "formation/status.hpp"
#include "settings.hpp"

namespace formation::mesh_wireguard {

using AddressPair = std::pair<std::string, std::string>;

// "formation_mesh_" and the interface name, anything but [A-Za-z0-9_] as '_' (nft's names).
std::string nft_table_name(const std::string& interface);

// The whole table as `nft -f` input: made, emptied and filled in one transaction, so a
// reader never sees it half written and rules of earlier runs never linger.
std::string nft_ruleset(const std::string& table, const std::string& interface,
                        const std::vector<AddressPair>& pairs);

class ForwardingFilter {
 public:
  // The ruleset is written to `work_dir`/forwarding.nft before nft reads it.
  ForwardingFilter(const Settings& settings, std::filesystem::path work_dir);
  ~ForwardingFilter();
  ForwardingFilter(const ForwardingFilter&) = delete;
  ForwardingFilter& operator=(const ForwardingFilter&) = delete;

  // Loads `pairs` unless they are what was loaded last; the first call also turns on the
  // interface's forwarding.
  Status apply(const std::vector<AddressPair>& pairs);
  // Deletes the table this filter loaded (and nothing else).
  void remove();

 private:
  Status enable_forwarding();

  CommandRunner runner_;
  std::string interface_;
  std::string table_;
  std::filesystem::path file_;
  bool forwarding_ = false;
  std::optional<std::vector<AddressPair>> loaded_;
};

}  // namespace formation::mesh_wireguard

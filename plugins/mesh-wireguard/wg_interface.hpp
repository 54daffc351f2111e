// This node's WireGuard interface: brought up once (kernel WireGuard, or wireguard-go when
// the kernel has no module), then only changed peer by peer. Not thread-safe: the plugin
// serialises every call.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "command.hpp"
#include "formation/status.hpp"
#include "settings.hpp"
#include "wg_diff.hpp"

namespace formation::mesh_wireguard {

class WireGuardInterface {
 public:
  WireGuardInterface(const Settings& settings, std::filesystem::path log_dir);
  ~WireGuardInterface();
  WireGuardInterface(const WireGuardInterface&) = delete;
  WireGuardInterface& operator=(const WireGuardInterface&) = delete;

  // Creates the interface (unless it exists), sets the private key and listen port, link up.
  Status bring_up();
  // Deletes what bring_up() created (an interface found existing is left alone).
  void tear_down();

  // `ip addr replace <address>/<prefix> dev <if>`, skipped when already done.
  Status ensure_address(const std::string& address, int prefix);
  Result<std::vector<RunningPeer>> running_peers();
  // Applies a diff with as few `wg set` invocations as possible.
  Status apply(const PeerDiff& diff);

  [[nodiscard]] const std::string& backend() const { return backend_; }
  [[nodiscard]] pid_t userspace_pid() const { return userspace_pid_; }

 private:
  bool exists();
  Status create_userspace();
  Status wait_until_ready();

  Settings settings_;
  CommandRunner runner_;
  std::filesystem::path log_dir_;
  std::string backend_;  // "kernel", "userspace", "existing"
  pid_t userspace_pid_ = -1;
  bool created_ = false;
  std::string address_done_;
};

}  // namespace formation::mesh_wireguard

// The Mesh plugin: addresses and peers in the state store (PeerStore), who may see whom
// (visibility.hpp), and this node's WireGuard interface kept in step with the store
// (WireGuardInterface) on events, on a timer and on apply().
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>

#include "formation/kinds/mesh.hpp"
#include "formation/kinds/state_store.hpp"
#include "forwarding.hpp"
#include "keys.hpp"
#include "peer_store.hpp"
#include "settings.hpp"
#include "wg_interface.hpp"

namespace formation::mesh_wireguard {

class MeshWireGuardPlugin final : public Mesh {
 public:
  MeshWireGuardPlugin(HostServices& host, Settings settings);
  ~MeshWireGuardPlugin() override;
  MeshWireGuardPlugin(const MeshWireGuardPlugin&) = delete;
  MeshWireGuardPlugin& operator=(const MeshWireGuardPlugin&) = delete;

  Status start() override;
  void stop() override;
  [[nodiscard]] PluginHealth health() const override;

  Result<MeshPeer> allocate_address(MeshPeerKind kind, const std::string& owner) override;
  Status release_address(const std::string& address) override;
  Result<MeshPeer> add_peer(const MeshPeerRequest& request) override;
  Status remove_peer(const std::string& peer_id) override;
  Result<std::vector<MeshPeer>> list_peers(const std::string& visible_to) override;
  Result<PeerConfig> peer_config_for(const std::string& peer_id) override;
  Status apply() override;
  Result<LocalInterface> local_interface() override;
  Result<MeshPeer> report_endpoints(const std::string& peer_id,
                                    const std::vector<std::string>& candidates,
                                    const std::string& observed_source) override;

  [[nodiscard]] const Settings& settings() const { return settings_; }
  // The wireguard-go process this plugin started, -1 when none (tests).
  [[nodiscard]] pid_t userspace_pid() const;

 private:
  Result<PeerStore*> peers();
  Result<MeshPeer> fill_reservation(const MeshPeerRequest& request,
                                    std::vector<std::string> endpoints);
  Status apply_locked();
  Status bring_up_locked();
  // Runs apply() on the blocking pool, at most one queued at a time.
  void schedule_apply();
  void on_timer();
  std::vector<std::string> advertised_endpoints() const;

  HostServices& host_;
  Settings settings_;
  std::unique_ptr<PeerStore> store_;
  std::optional<RawKey> public_key_;
  std::string public_key_text_;

  std::mutex apply_mutex_;
  std::unique_ptr<WireGuardInterface> interface_;
  std::unique_ptr<ForwardingFilter> filter_;
  std::int64_t applied_serial_ = -1;

  mutable std::mutex health_mutex_;
  std::string last_error_;

  std::atomic<bool> apply_queued_{false};
  std::atomic<bool> stopping_{false};
  // Set by the first apply(): only a serving formationd calls it (not --list-routes), so
  // the interface comes up then and events and the timer are ignored until then.
  std::atomic<bool> activated_{false};
  std::mutex work_mutex_;
  std::condition_variable work_done_;
  int in_flight_ = 0;
  std::vector<SubscriptionId> subscriptions_;
  std::optional<TimerId> timer_;
};

}  // namespace formation::mesh_wireguard

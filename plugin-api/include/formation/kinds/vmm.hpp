// Vmm: runs instances as virtual machines on this node (`vmm-libvirt`). Shaped like a
// libvirt driver table: one narrow entry per operation, and an entry a backend lacks
// answers `unsupported` (the API then answers 501) instead of crashing.
//
// A Vmm knows domains, not instances: it never reads or writes the state store. The host
// keeps Instance records, maps domain states to instance states and decides what to do.
// Domains are named after and found by instance id; a Vmm only ever lists and touches the
// domains it created (libvirt: tagged in the domain's <metadata>).
//
// Error codes, unless a method says otherwise:
//   not_found    no domain of ours for that instance id
//   conflict     the domain is not in a state that allows the call (start of a running
//                domain, undefine of a running one, ...); the message names the state
//   invalid      a spec or argument the backend refuses (0 vCPUs, more than max_vcpus, ...)
//   unavailable  the hypervisor connection is down (the caller may retry)
//   unsupported  an OPTIONAL method this backend does not implement
//   internal     anything else; full detail goes to the plugin's log, the message stays
//                short and never dumps backend XML to a tenant
//
// Threading: every method may be called from several threads at once (for different
// instances, and for the same one); calls block (the hypervisor) and are made on the
// blocking pool. Operations on one domain are serialised by the implementation.
//
// Events: a Vmm publishes nothing on the bus. It reports lifecycle changes through
// subscribe(); the host turns them into `instance.state_changed`.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "formation/plugin.hpp"
#include "formation/records/common.hpp"
#include "formation/status.hpp"
#include "formation/visibility.hpp"

namespace formation {

// Everything needed to define one domain.
struct FORMATION_API DomainSpec {
  std::string instance_id;  // lower-case hex; names the domain
  std::string name;         // the instance's name, for people (title / description)
  std::int64_t vcpus = 1;
  std::int64_t max_vcpus = 1;  // headroom for live set_vcpus; >= vcpus
  std::int64_t memory_mb = 512;
  std::int64_t max_memory_mb = 512;   // headroom for live set_memory; >= memory_mb
  std::int64_t disk_gb = 10;          // the root overlay is grown to this size
  std::filesystem::path base_image;   // qcow2 the root disk overlays (read-only backing file)
  std::filesystem::path seed_iso;     // cloud-init NoCloud seed, attached as a cdrom
  std::string network;                // backend's network or bridge name; empty = its default
  std::filesystem::path console_log;  // the serial console is written here
  std::string metadata_json;          // a JSON object stored with the domain (owner, build_id)
};

// The hypervisor's view of a domain (libvirt's virDomainState, narrowed).
enum class DomainRunState { running, paused, shutting_down, shut_off, crashed, suspended, unknown };

constexpr std::string_view to_string(DomainRunState state) {
  switch (state) {
    case DomainRunState::running: return "running";
    case DomainRunState::paused: return "paused";
    case DomainRunState::shutting_down: return "shutting_down";
    case DomainRunState::shut_off: return "shut_off";
    case DomainRunState::crashed: return "crashed";
    case DomainRunState::suspended: return "suspended";
    case DomainRunState::unknown: return "unknown";
  }
  return "unknown";
}

struct FORMATION_API DomainState {
  std::string instance_id;
  DomainRunState state = DomainRunState::unknown;
  std::string reason;  // why it is in that state ("shutdown", "destroyed", "crashed", ...)
};

// Counters since the domain started (they reset when it restarts; metering handles that).
struct FORMATION_API DomainStats {
  std::string instance_id;
  std::uint64_t cpu_time_ns = 0;      // summed over vCPUs
  std::int64_t vcpus = 0;             // online now
  std::int64_t memory_kb_actual = 0;  // balloon size: what the guest has
  std::int64_t memory_kb_used = 0;    // what the guest uses (0 when the guest does not say)
  std::uint64_t disk_read_bytes = 0;
  std::uint64_t disk_write_bytes = 0;
  std::uint64_t disk_capacity_bytes = 0;  // summed over disks
  std::uint64_t net_rx_bytes = 0;
  std::uint64_t net_tx_bytes = 0;
  TimePoint sampled_at;
};

struct FORMATION_API DomainEvent {
  std::string instance_id;
  DomainRunState state = DomainRunState::unknown;  // the state it entered
  std::string reason;
  TimePoint time;
};

// Called on the plugin's event thread, in the order the hypervisor reported; it must not
// block (post slow work to the blocking pool) and must not call unsubscribe().
using DomainEventCallback = std::function<void(const DomainEvent&)>;

using VmmSubscriptionId = std::uint64_t;

class FORMATION_API Vmm : public Plugin {
 public:
  static constexpr PluginKind kKind = PluginKind::vmm;

  // REQUIRED. Creates the root disk (an overlay of spec.base_image grown to disk_gb) and
  // defines the domain, shut off. conflict when a domain exists for that instance;
  // not_found when base_image or seed_iso is missing; invalid for an impossible spec.
  // Nothing is left behind on failure.
  virtual Status define(const DomainSpec& spec) = 0;

  // REQUIRED. Boots a defined, shut-off domain. conflict when it is already running.
  virtual Status start(const std::string& instance_id) = 0;

  // REQUIRED. Asks the guest to power off (ACPI) and waits up to `timeout`; then forces it
  // off. ok when it is off at the end (also when it already was).
  virtual Status stop(const std::string& instance_id, std::chrono::seconds timeout) = 0;

  // REQUIRED. Reboots a running domain. conflict when it is not running.
  virtual Status reboot(const std::string& instance_id) = 0;

  // REQUIRED. Powers the domain off at once, like pulling the plug. ok when already off.
  virtual Status destroy(const std::string& instance_id) = 0;

  // REQUIRED. Removes the domain's definition and its storage (root overlay, attached
  // disks; not the build's seed or base image). conflict when it is running.
  // not_found when there is nothing to remove.
  virtual Status undefine(const std::string& instance_id) = 0;

  // REQUIRED. The domain's current state. not_found when there is no such domain.
  virtual Result<DomainState> state(const std::string& instance_id) = 0;

  // REQUIRED. Every domain of ours on this node with its state (for reconciliation).
  virtual Result<std::vector<DomainState>> list_domains() = 0;

  // OPTIONAL. Sets the online vCPU count of a running or stopped domain, live when it runs.
  // invalid when vcpus is 0 or above max_vcpus; conflict when the guest refuses.
  virtual Status set_vcpus(const std::string& /*instance_id*/, std::int64_t /*vcpus*/) {
    return Status::unsupported("vmm.set_vcpus is not supported by this plugin");
  }

  // OPTIONAL. Sets the memory of a running or stopped domain, live when it runs. invalid
  // when above max_memory_mb or below the backend's minimum.
  virtual Status set_memory(const std::string& /*instance_id*/, std::int64_t /*memory_mb*/) {
    return Status::unsupported("vmm.set_memory is not supported by this plugin");
  }

  // OPTIONAL. Creates an empty disk of `size_gb` and attaches it (live when the domain
  // runs); returns the guest device name ("vdb"). invalid for a size of 0 or more disks
  // than the backend allows.
  virtual Result<std::string> attach_disk(const std::string& /*instance_id*/,
                                          std::int64_t /*size_gb*/) {
    return Status::unsupported("vmm.attach_disk is not supported by this plugin");
  }

  // OPTIONAL. Statistics of every running domain of ours in one bulk call (libvirt:
  // virConnectGetAllDomainStats); metering calls it every period. Shut-off domains are
  // left out.
  virtual Result<std::vector<DomainStats>> all_stats() {
    return Status::unsupported("vmm.all_stats is not supported by this plugin");
  }

  // OPTIONAL. What this node can offer instances (for its Node record); the host falls
  // back to its config when unsupported.
  virtual Result<Resources> host_capacity() {
    return Status::unsupported("vmm.host_capacity is not supported by this plugin");
  }

  // OPTIONAL. Calls `callback` for every lifecycle change of our domains until
  // unsubscribe(). Without it the host polls state()/list_domains() on a timer.
  virtual Result<VmmSubscriptionId> subscribe(DomainEventCallback /*callback*/) {
    return Status::unsupported("vmm.subscribe is not supported by this plugin");
  }

  // OPTIONAL (together with subscribe). After it returns, the callback is not called again.
  // not_found for an unknown id.
  virtual Status unsubscribe(VmmSubscriptionId /*id*/) {
    return Status::unsupported("vmm.unsubscribe is not supported by this plugin");
  }
};

}  // namespace formation

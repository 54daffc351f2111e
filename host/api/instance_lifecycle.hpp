// The life of an instance on this node (docs/api.md "Instances"): the host keeps the
// Instance record and its desired state, the Vmm plugin runs the domain, and this class
// keeps the two in step — on API calls, on the Vmm's lifecycle events, and by reconciling
// at start and on a timer (domains that vanished are defined again, domains that no
// instance owns are removed, and each instance is brought back to its desired state).
//
// Slow work (create, stop, delete) runs after the 202 on the blocking pool and reports
// through an Operation. One job at a time per instance: while one runs, the instance is
// "busy" and other lifecycle calls answer 409.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "api/instance_mesh.hpp"
#include "api/routes.hpp"
#include "formation/events.hpp"
#include "formation/kinds/vmm.hpp"

namespace formation::host::api {

struct InstanceLifecycleOptions {
  std::string node_id;
  std::filesystem::path console_dir;  // <data_dir>/consoles: one serial log per instance
  std::chrono::seconds stop_timeout{60};
  // Hot-add headroom a domain is defined with, bounded by the node's capacity.
  std::int64_t max_vcpus = 16;
  std::int64_t max_memory_mb = 65536;
  // The instance's mesh address and seed; null: instances get no mesh address.
  std::shared_ptr<const InstanceMesh> mesh;
};

struct CreateInstance {
  std::string build_id;
  std::string name;  // empty: the build's NAME
  std::optional<std::int64_t> vcpus, memory_mb, disk_gb;
};

struct Accepted {
  Instance instance;
  Operation operation;
};

class InstanceLifecycle : public std::enable_shared_from_this<InstanceLifecycle> {
 public:
  InstanceLifecycle(ApiContext api, std::function<Vmm*()> vmm,
                    std::function<void(std::function<void()>)> run_later,
                    std::function<void(Event)> publish, InstanceLifecycleOptions options);

  // Callers are authorised by the routes; these check states and resources.
  Result<Accepted> create(const std::string& caller, const CreateInstance& request);
  // create() in two steps, so that the route can ask the Billing plugin in between: the
  // instance as it would be created (build checked, sizes resolved and in range; nothing
  // written), then the creation of exactly that instance.
  Result<Instance> prepare(const std::string& caller, const CreateInstance& request);
  Result<Accepted> create(const std::string& caller, Instance instance);
  Result<Accepted> remove(const std::string& caller, const Instance& instance);
  Result<Instance> start(const Instance& instance);
  Result<Accepted> stop(const std::string& caller, const Instance& instance);
  Result<Instance> reboot(const Instance& instance);
  Result<Instance> resize(const Instance& instance, std::optional<std::int64_t> vcpus,
                          std::optional<std::int64_t> memory_mb);
  Result<std::pair<std::string, Instance>> attach_disk(const Instance& instance,
                                                       std::int64_t size_gb);

  // A Vmm lifecycle event (called on the plugin's event thread; posts the work).
  void on_domain_event(const DomainEvent& event);

  // Brings every instance of this node and every domain of ours in step; returns what it
  // did, for the log.
  Result<std::string> reconcile();

 private:
  class Busy;
  [[nodiscard]] Result<Vmm*> vmm() const;
  bool try_mark_busy(const std::string& id);
  void unmark_busy(const std::string& id);
  [[nodiscard]] bool busy(const std::string& id);

  using Job = void (*)(InstanceLifecycle&, const Instance&, const std::string& operation_id);
  Result<Accepted> start_job(const std::string& caller, const Instance& instance,
                             InstanceState desired, const std::string& kind, Job job);
  Result<std::pair<Instance, Operation>> record_new_instance(
      Result<std::unique_ptr<Transaction>>& tx, const Instance& instance,
      const std::string& caller);
  Result<Accepted> accept_created(const Instance& created, const Operation& op);
  Result<DomainSpec> domain_spec(const Instance& instance);
  Status converge(const Instance& instance, std::optional<DomainState> domain);
  void run_create(const Instance& instance, const std::string& operation_id);
  void run_stop(const Instance& instance, const std::string& operation_id);
  void run_delete(const Instance& instance, const std::string& operation_id);
  Status delete_now(const Instance& instance);
  void record_state(const std::string& id, InstanceState state, const std::string& error);
  void finish_operation(const std::string& operation_id, const Status& outcome,
                        const std::string& instance_id);
  void publish_state(const Instance& before, InstanceState after, const std::string& reason);
  Result<Operation> new_operation(Transaction& tx, const std::string& kind,
                                  const Instance& instance, const std::string& caller);

  ApiContext api_;
  std::function<Vmm*()> vmm_;
  std::function<void(std::function<void()>)> run_later_;
  std::function<void(Event)> publish_;
  InstanceLifecycleOptions options_;
  std::mutex busy_mutex_;
  std::set<std::string> busy_;
};

}  // namespace formation::host::api

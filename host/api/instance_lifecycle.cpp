#include "api/instance_lifecycle.hpp"

#include <rapidjson/document.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <vector>

#include "api/api_support.hpp"
#include "api/operations.hpp"
#include "api/resource_json.hpp"

namespace formation::host::api {
namespace {

constexpr std::int64_t kMinMemoryMb = 512;
constexpr std::int64_t kMaxMemoryMb = 256000;
constexpr std::int64_t kMaxVcpus = 128;
constexpr std::int64_t kMaxDiskGb = 65535;

bool dns_label(const std::string& name) {
  if (name.empty() || name.size() > 63 || !(name[0] >= 'a' && name[0] <= 'z')) return false;
  if (name.back() == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

Status check_range(const char* what, std::int64_t value, std::int64_t min, std::int64_t max) {
  if (value >= min && value <= max) return Status::ok();
  return Status::invalid(std::string("body: field '") + what + "' must be from " +
                         std::to_string(min) + " to " + std::to_string(max));
}

// The build's sizes, from its manifest's "resources" (the Formfile's VCPU, MEM and DISK).
Resources build_resources(const Build& build) {
  Resources r{1, kMinMemoryMb, 5};
  rapidjson::Document doc;
  doc.Parse(build.manifest_json.c_str(), build.manifest_json.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("resources")) return r;
  const auto& res = doc["resources"];
  if (!res.IsObject()) return r;
  auto get = [&](const char* key, std::int64_t& out) {
    if (res.HasMember(key) && res[key].IsInt64()) out = res[key].GetInt64();
  };
  get("vcpus", r.vcpus);
  get("memory_mb", r.memory_mb);
  get("disk_gb", r.disk_gb);
  return r;
}

std::string new_instance_id() { return new_operation_id().substr(0, 16); }

Resources footprint(const Instance& i) {
  std::int64_t disk = i.disk_gb;
  for (auto gb : i.extra_disks_gb) disk += gb;
  return {i.vcpus, i.memory_mb, disk};
}

InstanceState state_of(DomainRunState s) {
  switch (s) {
    case DomainRunState::running:
    case DomainRunState::paused:
    case DomainRunState::shutting_down: return InstanceState::started;
    case DomainRunState::shut_off: return InstanceState::stopped;
    case DomainRunState::crashed: return InstanceState::critical_error;
    default: return InstanceState::stopped;
  }
}

// A short reason for a tenant; the plugin has logged the detail.
Status lifecycle_error(const std::string& what, const Status& st) {
  if (st.code() == StatusCode::invalid) return Status::conflict(what + ": " + st.message());
  return Status(st.code(), what + ": " + st.message());
}

}  // namespace

// Marks an instance busy for the lifetime of the object.
class InstanceLifecycle::Busy {
 public:
  Busy(InstanceLifecycle& owner, std::string id) : owner_(owner), id_(std::move(id)) {}
  ~Busy() { owner_.unmark_busy(id_); }
  Busy(const Busy&) = delete;
  Busy& operator=(const Busy&) = delete;

 private:
  InstanceLifecycle& owner_;
  std::string id_;
};

InstanceLifecycle::InstanceLifecycle(ApiContext api, std::function<Vmm*()> vmm,
                                     std::function<void(std::function<void()>)> run_later,
                                     std::function<void(Event)> publish,
                                     InstanceLifecycleOptions options)
    : api_(std::move(api)),
      vmm_(std::move(vmm)),
      run_later_(std::move(run_later)),
      publish_(std::move(publish)),
      options_(std::move(options)) {}

Result<Vmm*> InstanceLifecycle::vmm() const {
  Vmm* v = vmm_ ? vmm_() : nullptr;
  if (v == nullptr) {
    return Status::unsupported(
        "no VM plugin is enabled on this node (enable vmm-libvirt in "
        "plugins.d/)");
  }
  return v;
}

bool InstanceLifecycle::try_mark_busy(const std::string& id) {
  std::lock_guard lock(busy_mutex_);
  return busy_.insert(id).second;
}

void InstanceLifecycle::unmark_busy(const std::string& id) {
  std::lock_guard lock(busy_mutex_);
  busy_.erase(id);
}

bool InstanceLifecycle::busy(const std::string& id) {
  std::lock_guard lock(busy_mutex_);
  return busy_.count(id) > 0;
}

Result<Operation> InstanceLifecycle::new_operation(Transaction& tx, const std::string& kind,
                                                   const Instance& instance,
                                                   const std::string& caller) {
  Operation op;
  op.id = new_operation_id();
  op.kind = kind;
  op.target_id = instance.id;
  op.owner = caller;
  op.state = OperationState::running;
  op.message = "queued";
  return tx.operations().create(op);
}

void InstanceLifecycle::publish_state(const Instance& before, InstanceState after,
                                      const std::string& reason) {
  if (!publish_ || before.state == after) return;
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  put_string(w, "instance_id", before.id);
  put_string(w, "owner", before.owner);
  put_string(w, "node_id", before.node_id);
  put_string(w, "from", to_string(before.state));
  put_string(w, "to", to_string(after));
  put_string(w, "reason", reason);
  w.EndObject();
  publish_(Event{"instance.state_changed", buffer.GetString(), "host"});
}

// ---- create -----------------------------------------------------------------------------

Result<Accepted> InstanceLifecycle::create(const std::string& caller,
                                           const CreateInstance& request) {
  auto prepared = prepare(caller, request);
  if (!prepared.is_ok()) return prepared.status();
  return create(caller, std::move(prepared).value());
}

Result<Instance> InstanceLifecycle::prepare(const std::string& caller,
                                            const CreateInstance& request) {
  if (auto v = vmm(); !v.is_ok()) return v.status();
  auto tx = begin(api_);
  if (!tx.is_ok()) return tx.status();
  auto build = (*tx)->builds().get(request.build_id);
  if ((!build.is_ok() && build.status().code() == StatusCode::not_found) ||
      (build.is_ok() && build->owner != caller)) {
    return Status::not_found("no build " + request.build_id + " of yours ('form pack list')");
  }
  if (!build.is_ok()) return build.status();
  if (build->state != BuildState::built) {
    return Status::conflict("build " + request.build_id + " is " +
                            std::string(to_string(build->state)) +
                            "; only a Built build makes instances");
  }
  const Resources sizes = build_resources(*build);
  Instance instance;
  instance.id = new_instance_id();
  instance.name = request.name.empty() ? build->name : request.name;
  if (!dns_label(instance.name)) {
    return Status::invalid(
        "body: field 'name' must be a DNS label: lower-case letters, digits and '-', 1 to 63, "
        "starting with a letter");
  }
  instance.owner = caller;
  instance.build_id = build->build_id;
  instance.node_id = options_.node_id;
  instance.state = InstanceState::created;
  instance.desired_state = InstanceState::started;
  instance.vcpus = request.vcpus.value_or(sizes.vcpus);
  instance.memory_mb = request.memory_mb.value_or(sizes.memory_mb);
  instance.disk_gb = request.disk_gb.value_or(sizes.disk_gb);
  if (auto st = check_range("vcpus", instance.vcpus, 1, kMaxVcpus); !st.is_ok()) return st;
  if (auto st = check_range("memory_mb", instance.memory_mb, kMinMemoryMb, kMaxMemoryMb);
      !st.is_ok()) {
    return st;
  }
  if (auto st = check_range("disk_gb", instance.disk_gb, sizes.disk_gb, kMaxDiskGb); !st.is_ok()) {
    return st;
  }
  return instance;
}

Result<Accepted> InstanceLifecycle::create(const std::string& caller, Instance instance) {
  if (auto v = vmm(); !v.is_ok()) return v.status();
  if (options_.mesh) {
    // The Mesh plugin writes in transactions of its own, so the address is reserved before
    // this one opens (the store has a single writer).
    auto address = options_.mesh->reserve(instance.owner);
    if (!address.is_ok()) return address.status();
    instance.formnet_ip = *address;
  }
  auto tx = begin(api_);
  auto created = record_new_instance(tx, instance, caller);
  if (!created.is_ok()) {
    if (options_.mesh) {
      if (tx.is_ok()) tx->reset();  // rolled back, and the store's writer is free again
      options_.mesh->release(instance.formnet_ip);
    }
    return created.status();
  }
  return accept_created(created->first, created->second);
}

// Reserves the node's capacity and writes the instance and its operation in `tx`.
Result<std::pair<Instance, Operation>> InstanceLifecycle::record_new_instance(
    Result<std::unique_ptr<Transaction>>& tx, const Instance& instance, const std::string& caller) {
  if (!tx.is_ok()) return tx.status();
  auto reserved = (*tx)->nodes().reserve(options_.node_id, footprint(instance));
  if (!reserved.is_ok()) {
    if (reserved.status().code() == StatusCode::conflict) {
      return Status::conflict("this node cannot fit the instance: " + reserved.status().message());
    }
    return reserved.status();
  }
  auto created = (*tx)->instances().create(instance);
  if (!created.is_ok()) return created.status();
  auto op = new_operation(**tx, "instance.create", *created, caller);
  if (!op.is_ok()) return op.status();
  if (auto st = (*tx)->commit(); !st.is_ok()) return st;
  return std::make_pair(*created, *op);
}

Result<Accepted> InstanceLifecycle::accept_created(const Instance& created, const Operation& op) {
  if (publish_) publish_(Event{"instance.created", to_json(created, write_instance), "host"});
  try_mark_busy(created.id);
  auto self = shared_from_this();
  run_later_([self, instance = created, id = op.id] { self->run_create(instance, id); });
  return Accepted{created, op};
}

Result<DomainSpec> InstanceLifecycle::domain_spec(const Instance& instance) {
  auto tx = begin(api_);
  if (!tx.is_ok()) return tx.status();
  auto build = (*tx)->builds().get(instance.build_id);
  if (!build.is_ok()) return Status::not_found("the build of instance " + instance.id + " is gone");
  Resources capacity{options_.max_vcpus, options_.max_memory_mb, 0};
  if (auto node = (*tx)->nodes().get(options_.node_id); node.is_ok()) capacity = node->capacity;
  DomainSpec spec;
  spec.instance_id = instance.id;
  spec.name = instance.name;
  spec.vcpus = instance.vcpus;
  spec.max_vcpus = std::max(instance.vcpus, std::min(options_.max_vcpus, capacity.vcpus));
  spec.memory_mb = instance.memory_mb;
  spec.max_memory_mb =
      std::max(instance.memory_mb, std::min(options_.max_memory_mb, capacity.memory_mb));
  spec.disk_gb = instance.disk_gb;
  spec.base_image = build->artifacts.base_image;
  spec.seed_iso = build->artifacts.seed_iso;
  if (options_.mesh) {
    // The builder may read the store; this transaction is done with.
    tx->reset();
    spec.seed_iso =
        options_.mesh->seed_for(instance.id, instance.build_id, instance.formnet_ip, spec.seed_iso);
  }
  spec.console_log = options_.console_dir / (instance.id + ".log");
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  put_string(w, "owner", instance.owner);
  put_string(w, "build_id", instance.build_id);
  put_string(w, "name", instance.name);
  w.EndObject();
  spec.metadata_json = buffer.GetString();
  return spec;
}

// Defines the domain when it is missing and brings it to the desired state; records the
// state it ends in.
Status InstanceLifecycle::converge(const Instance& instance, std::optional<DomainState> domain) {
  auto v = vmm();
  if (!v.is_ok()) return v.status();
  if (!domain) {
    auto spec = domain_spec(instance);
    if (!spec.is_ok()) return spec.status();
    std::error_code ignored;
    std::filesystem::create_directories(options_.console_dir, ignored);
    if (auto st = (*v)->define(*spec); !st.is_ok() && st.code() != StatusCode::conflict) {
      return lifecycle_error("defining the VM failed", st);
    }
    domain = DomainState{instance.id, DomainRunState::shut_off, "defined"};
  }
  const bool running = state_of(domain->state) == InstanceState::started;
  if (instance.desired_state == InstanceState::started && !running) {
    if (auto st = (*v)->start(instance.id); !st.is_ok() && st.code() != StatusCode::conflict) {
      return lifecycle_error("starting the VM failed", st);
    }
  } else if (instance.desired_state == InstanceState::stopped && running) {
    if (auto st = (*v)->stop(instance.id, options_.stop_timeout); !st.is_ok()) {
      return lifecycle_error("stopping the VM failed", st);
    }
  }
  const InstanceState now = instance.desired_state == InstanceState::started
                                ? InstanceState::started
                                : InstanceState::stopped;
  record_state(instance.id, now, "");
  return Status::ok();
}

void InstanceLifecycle::record_state(const std::string& id, InstanceState state,
                                     const std::string& error) {
  // A few tries: the Vmm's events may move the row at the same moment.
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto tx = begin(api_);
    if (!tx.is_ok()) return;
    auto current = (*tx)->instances().get(id);
    if (!current.is_ok()) return;
    if (current->state == state && current->error == error) return;
    Instance before = *current;
    current->state = state;
    current->error = error;
    if ((*tx)->instances().update(*current).is_ok() && (*tx)->commit().is_ok()) {
      publish_state(before, state, error.empty() ? "reconciled" : error);
      return;
    }
  }
}

void InstanceLifecycle::finish_operation(const std::string& operation_id, const Status& outcome,
                                         const std::string& instance_id) {
  auto tx = begin(api_);
  if (!tx.is_ok()) return;
  auto op = (*tx)->operations().get(operation_id);
  if (!op.is_ok()) return;
  if (outcome.is_ok()) {
    op->state = OperationState::succeeded;
    op->progress = 100;
    op->message = "done";
    if (auto instance = (*tx)->instances().get(instance_id); instance.is_ok()) {
      op->result_json = to_json(*instance, write_instance);
    }
  } else {
    op->state = OperationState::failed;
    op->message = "failed";
    op->error_code = outcome.code();
    op->error_message = outcome.message();
  }
  if ((*tx)->operations().update(*op).is_ok()) (void)(*tx)->commit();
}

void InstanceLifecycle::run_create(const Instance& instance, const std::string& operation_id) {
  Busy busy(*this, instance.id);
  Status outcome = converge(instance, std::nullopt);
  if (!outcome.is_ok()) {
    spdlog::warn("instance {}: {}", instance.id, outcome.to_string());
    // Leave nothing behind: no domain, no disk, no reservation.
    if (auto v = vmm(); v.is_ok()) {
      (void)(*v)->destroy(instance.id);
      (void)(*v)->undefine(instance.id);
    }
    if (auto tx = begin(api_); tx.is_ok()) {
      if ((*tx)->nodes().release(options_.node_id, footprint(instance)).is_ok()) {
        (void)(*tx)->commit();
      }
    }
    record_state(instance.id, InstanceState::critical_error, outcome.message());
  }
  finish_operation(operation_id, outcome, instance.id);
}

// ---- lifecycle calls --------------------------------------------------------------------

Result<Instance> InstanceLifecycle::start(const Instance& instance) {
  auto v = vmm();
  if (!v.is_ok()) return v.status();
  if (instance.state != InstanceState::stopped) {
    return Status::conflict("instance " + instance.id + " is " +
                            std::string(to_string(instance.state)) +
                            "; only a Stopped instance can be started");
  }
  if (!try_mark_busy(instance.id)) return Status::conflict("instance " + instance.id + " is busy");
  Busy busy(*this, instance.id);
  auto tx = begin(api_);
  if (!tx.is_ok()) return tx.status();
  Instance wanted = instance;
  wanted.desired_state = InstanceState::started;
  auto updated = (*tx)->instances().update(wanted);
  if (!updated.is_ok()) return updated.status();
  if (auto st = (*tx)->commit(); !st.is_ok()) return st;
  if (auto st = (*v)->start(instance.id); !st.is_ok() && st.code() != StatusCode::conflict) {
    return lifecycle_error("starting the VM failed", st);
  }
  record_state(instance.id, InstanceState::started, "");
  auto again = begin(api_);
  if (!again.is_ok()) return again.status();
  return (*again)->instances().get(instance.id);
}

Result<Instance> InstanceLifecycle::reboot(const Instance& instance) {
  auto v = vmm();
  if (!v.is_ok()) return v.status();
  if (instance.state != InstanceState::started) {
    return Status::conflict("instance " + instance.id + " is " +
                            std::string(to_string(instance.state)) +
                            "; only a Started instance can be rebooted");
  }
  if (busy(instance.id)) return Status::conflict("instance " + instance.id + " is busy");
  if (auto st = (*v)->reboot(instance.id); !st.is_ok()) {
    return lifecycle_error("rebooting the VM failed", st);
  }
  return instance;
}

// Marks the instance busy, records the new desired state and an operation in one
// transaction, and runs `job` after the 202.
Result<Accepted> InstanceLifecycle::start_job(const std::string& caller, const Instance& instance,
                                              InstanceState desired, const std::string& kind,
                                              Job job) {
  if (!try_mark_busy(instance.id)) return Status::conflict("instance " + instance.id + " is busy");
  auto tx = begin(api_);
  if (!tx.is_ok()) {
    unmark_busy(instance.id);
    return tx.status();
  }
  Instance wanted = instance;
  wanted.desired_state = desired;
  auto updated = (*tx)->instances().update(wanted);
  auto op = updated.is_ok() ? new_operation(**tx, kind, *updated, caller)
                            : Result<Operation>(updated.status());
  if (!op.is_ok() || !(*tx)->commit().is_ok()) {
    unmark_busy(instance.id);
    return op.is_ok() ? Status::unavailable("could not record the " + kind) : op.status();
  }
  auto self = shared_from_this();
  run_later_([self, job, instance = *updated, id = op->id] { job(*self, instance, id); });
  return Accepted{*updated, *op};
}

Result<Accepted> InstanceLifecycle::stop(const std::string& caller, const Instance& instance) {
  if (auto v = vmm(); !v.is_ok()) return v.status();
  if (instance.state != InstanceState::started) {
    return Status::conflict("instance " + instance.id + " is " +
                            std::string(to_string(instance.state)) +
                            "; only a Started instance can be stopped");
  }
  return start_job(caller, instance, InstanceState::stopped, "instance.stop",
                   [](InstanceLifecycle& self, const Instance& i, const std::string& op) {
                     self.run_stop(i, op);
                   });
}

void InstanceLifecycle::run_stop(const Instance& instance, const std::string& operation_id) {
  Busy busy(*this, instance.id);
  Status outcome = Status::ok();
  if (auto v = vmm(); !v.is_ok()) {
    outcome = v.status();
  } else if (auto st = (*v)->stop(instance.id, options_.stop_timeout); !st.is_ok()) {
    outcome = lifecycle_error("stopping the VM failed", st);
  } else {
    record_state(instance.id, InstanceState::stopped, "");
  }
  finish_operation(operation_id, outcome, instance.id);
}

// ---- resize and disks -------------------------------------------------------------------

Result<Instance> InstanceLifecycle::resize(const Instance& instance,
                                           std::optional<std::int64_t> vcpus,
                                           std::optional<std::int64_t> memory_mb) {
  auto v = vmm();
  if (!v.is_ok()) return v.status();
  if (!vcpus && !memory_mb) return Status::invalid("body: give 'vcpus', 'memory_mb' or both");
  if (instance.state != InstanceState::started && instance.state != InstanceState::stopped) {
    return Status::conflict("instance " + instance.id + " is " +
                            std::string(to_string(instance.state)) +
                            "; only a Started or Stopped instance can be resized");
  }
  const std::int64_t new_vcpus = vcpus.value_or(instance.vcpus);
  const std::int64_t new_memory = memory_mb.value_or(instance.memory_mb);
  if (auto st = check_range("vcpus", new_vcpus, 1, kMaxVcpus); !st.is_ok()) return st;
  if (auto st = check_range("memory_mb", new_memory, kMinMemoryMb, kMaxMemoryMb); !st.is_ok()) {
    return st;
  }
  if (!try_mark_busy(instance.id)) return Status::conflict("instance " + instance.id + " is busy");
  Busy busy(*this, instance.id);
  const Resources grow{std::max<std::int64_t>(new_vcpus - instance.vcpus, 0),
                       std::max<std::int64_t>(new_memory - instance.memory_mb, 0), 0};
  const Resources shrink{std::max<std::int64_t>(instance.vcpus - new_vcpus, 0),
                         std::max<std::int64_t>(instance.memory_mb - new_memory, 0), 0};
  auto release = [&](const Resources& amount) {
    if (amount == Resources{}) return;
    if (auto tx = begin(api_); tx.is_ok()) {
      if ((*tx)->nodes().release(options_.node_id, amount).is_ok()) (void)(*tx)->commit();
    }
  };
  if (!(grow == Resources{})) {
    auto tx = begin(api_);
    if (!tx.is_ok()) return tx.status();
    auto reserved = (*tx)->nodes().reserve(options_.node_id, grow);
    if (!reserved.is_ok()) {
      return Status::conflict("this node cannot fit the resize: " + reserved.status().message());
    }
    if (auto st = (*tx)->commit(); !st.is_ok()) return st;
  }
  // vCPUs first, then memory; a memory failure puts the vCPUs back: never half-done.
  if (new_vcpus != instance.vcpus) {
    if (auto st = (*v)->set_vcpus(instance.id, new_vcpus); !st.is_ok()) {
      release(grow);
      return lifecycle_error("changing the vCPUs failed", st);
    }
  }
  if (new_memory != instance.memory_mb) {
    if (auto st = (*v)->set_memory(instance.id, new_memory); !st.is_ok()) {
      if (new_vcpus != instance.vcpus) (void)(*v)->set_vcpus(instance.id, instance.vcpus);
      release(grow);
      return lifecycle_error("changing the memory failed", st);
    }
  }
  release(shrink);
  auto tx = begin(api_);
  if (!tx.is_ok()) return tx.status();
  auto current = (*tx)->instances().get(instance.id);
  if (!current.is_ok()) return current.status();
  current->vcpus = new_vcpus;
  current->memory_mb = new_memory;
  auto updated = (*tx)->instances().update(*current);
  if (!updated.is_ok()) return updated.status();
  if (auto st = (*tx)->commit(); !st.is_ok()) return st;
  return updated;
}

Result<std::pair<std::string, Instance>> InstanceLifecycle::attach_disk(const Instance& instance,
                                                                        std::int64_t size_gb) {
  auto v = vmm();
  if (!v.is_ok()) return v.status();
  if (auto st = check_range("size_gb", size_gb, 1, kMaxDiskGb); !st.is_ok()) return st;
  if (instance.state != InstanceState::started && instance.state != InstanceState::stopped) {
    return Status::conflict("instance " + instance.id + " is " +
                            std::string(to_string(instance.state)) +
                            "; disks attach to a Started or Stopped instance");
  }
  if (!try_mark_busy(instance.id)) return Status::conflict("instance " + instance.id + " is busy");
  Busy busy(*this, instance.id);
  const Resources amount{0, 0, size_gb};
  {
    auto tx = begin(api_);
    if (!tx.is_ok()) return tx.status();
    auto reserved = (*tx)->nodes().reserve(options_.node_id, amount);
    if (!reserved.is_ok()) {
      return Status::conflict("this node cannot fit the disk: " + reserved.status().message());
    }
    if (auto st = (*tx)->commit(); !st.is_ok()) return st;
  }
  auto device = (*v)->attach_disk(instance.id, size_gb);
  auto tx = begin(api_);
  if (!tx.is_ok()) return tx.status();
  if (!device.is_ok()) {
    if ((*tx)->nodes().release(options_.node_id, amount).is_ok()) (void)(*tx)->commit();
    return lifecycle_error("attaching the disk failed", device.status());
  }
  auto current = (*tx)->instances().get(instance.id);
  if (!current.is_ok()) return current.status();
  current->extra_disks_gb.push_back(size_gb);
  auto updated = (*tx)->instances().update(*current);
  if (!updated.is_ok()) return updated.status();
  if (auto st = (*tx)->commit(); !st.is_ok()) return st;
  return std::make_pair(*device, *updated);
}

// ---- delete -----------------------------------------------------------------------------

Result<Accepted> InstanceLifecycle::remove(const std::string& caller, const Instance& instance) {
  if (auto v = vmm(); !v.is_ok()) return v.status();
  return start_job(caller, instance, InstanceState::killed, "instance.delete",
                   [](InstanceLifecycle& self, const Instance& i, const std::string& op) {
                     self.run_delete(i, op);
                   });
}

Status InstanceLifecycle::delete_now(const Instance& instance) {
  auto v = vmm();
  if (!v.is_ok()) return v.status();
  if (auto st = (*v)->destroy(instance.id); !st.is_ok() && st.code() != StatusCode::not_found) {
    return lifecycle_error("powering the VM off failed", st);
  }
  if (auto st = (*v)->undefine(instance.id); !st.is_ok() && st.code() != StatusCode::not_found) {
    return lifecycle_error("removing the VM failed", st);
  }
  std::error_code ignored;
  std::filesystem::remove(options_.console_dir / (instance.id + ".log"), ignored);
  auto tx = begin(api_);
  if (!tx.is_ok()) return tx.status();
  if (auto st = (*tx)->nodes().release(options_.node_id, footprint(instance)); !st.is_ok()) {
    return st.status();
  }
  if (auto st = (*tx)->instances().remove(instance.id); !st.is_ok()) return st;
  if (auto st = (*tx)->commit(); !st.is_ok()) return st;
  tx->reset();
  if (options_.mesh) {
    options_.mesh->release(instance.formnet_ip);
    options_.mesh->remove_seed(instance.id);
  }
  publish_state(instance, InstanceState::killed, "deleted");
  // After the commit, so a subscriber (the Dns plugin removing the instance's names) never
  // acts on a delete that was rolled back.
  if (publish_) publish_(Event{"instance.deleted", to_json(instance, write_instance), "host"});
  return Status::ok();
}

void InstanceLifecycle::run_delete(const Instance& instance, const std::string& operation_id) {
  Busy busy(*this, instance.id);
  Status outcome = delete_now(instance);
  if (!outcome.is_ok()) {
    spdlog::warn("instance {}: {}", instance.id, outcome.to_string());
    record_state(instance.id, InstanceState::critical_error, outcome.message());
  }
  auto tx = begin(api_);
  if (!tx.is_ok()) return;
  auto op = (*tx)->operations().get(operation_id);
  if (!op.is_ok()) return;
  op->state = outcome.is_ok() ? OperationState::succeeded : OperationState::failed;
  op->progress = outcome.is_ok() ? 100 : op->progress;
  op->message = outcome.is_ok() ? "deleted" : "failed";
  if (!outcome.is_ok()) {
    op->error_code = outcome.code();
    op->error_message = outcome.message();
  }
  if ((*tx)->operations().update(*op).is_ok()) (void)(*tx)->commit();
}

// ---- events and reconciliation ----------------------------------------------------------

void InstanceLifecycle::on_domain_event(const DomainEvent& event) {
  auto self = shared_from_this();
  run_later_([self, event] {
    if (self->busy(event.instance_id)) return;  // the job in progress records the outcome
    auto tx = begin(self->api_);
    if (!tx.is_ok()) return;
    auto instance = (*tx)->instances().get(event.instance_id);
    if (!instance.is_ok()) return;
    const InstanceState now = state_of(event.state);
    if (instance->state == now || instance->desired_state == InstanceState::killed) return;
    Instance before = *instance;
    instance->state = now;
    // The guest powered itself off (or crashed): that is the new wish, not something to undo.
    if (now == InstanceState::stopped || now == InstanceState::critical_error) {
      instance->desired_state = InstanceState::stopped;
    }
    instance->error = now == InstanceState::critical_error ? "the guest crashed" : "";
    if ((*tx)->instances().update(*instance).is_ok() && (*tx)->commit().is_ok()) {
      self->publish_state(before, now, event.reason);
    }
  });
}

Result<std::string> InstanceLifecycle::reconcile() {
  auto v = vmm();
  if (!v.is_ok()) return std::string("no VM plugin");
  auto domains = (*v)->list_domains();
  if (!domains.is_ok()) return domains.status();
  std::map<std::string, DomainState> by_id;
  for (const auto& d : *domains) by_id[d.instance_id] = d;

  std::vector<Instance> mine;
  {
    auto tx = begin(api_);
    if (!tx.is_ok()) return tx.status();
    InstanceFilter filter;
    filter.node_id = options_.node_id;
    PageRequest page{1000, ""};
    do {
      auto list = (*tx)->instances().list(filter, page);
      if (!list.is_ok()) return list.status();
      mine.insert(mine.end(), list->items.begin(), list->items.end());
      page.page_token = list->next_page_token;
    } while (!page.page_token.empty());
  }

  int redefined = 0, converged = 0, orphans = 0, deleted = 0;
  for (const auto& instance : mine) {
    auto domain = by_id.find(instance.id);
    std::optional<DomainState> found;
    if (domain != by_id.end()) {
      found = domain->second;
      by_id.erase(domain);
    }
    if (!try_mark_busy(instance.id)) continue;
    Busy busy(*this, instance.id);
    if (instance.desired_state == InstanceState::killed) {
      if (delete_now(instance).is_ok()) ++deleted;
      continue;
    }
    const bool in_step = found && state_of(found->state) == instance.desired_state &&
                         instance.state == instance.desired_state;
    if (in_step) continue;
    if (!found) ++redefined;
    Status st = converge(instance, found);
    if (!st.is_ok()) {
      spdlog::warn("reconcile: instance {}: {}", instance.id, st.to_string());
      record_state(instance.id, InstanceState::critical_error, st.message());
      continue;
    }
    ++converged;
    // A create interrupted by a restart: its operation is over now.
    auto tx = begin(api_);
    if (!tx.is_ok()) continue;
    OperationFilter filter;
    filter.target_id = instance.id;
    auto ops = (*tx)->operations().list(filter, PageRequest{100, ""});
    if (!ops.is_ok()) continue;
    for (const auto& op : ops->items) {
      if (!is_finished(op.state)) finish_operation(op.id, Status::ok(), instance.id);
    }
  }
  // Domains of ours that no instance owns: a create that never got recorded, or a leftover.
  for (const auto& [id, domain] : by_id) {
    if (busy(id)) continue;
    spdlog::warn("reconcile: removing domain of unknown instance {} ({})", id,
                 to_string(domain.state));
    (void)(*v)->destroy(id);
    if ((*v)->undefine(id).is_ok()) ++orphans;
  }
  return "redefined " + std::to_string(redefined) + ", converged " + std::to_string(converged) +
         ", removed " + std::to_string(orphans) + " orphan domain(s), finished " +
         std::to_string(deleted) + " delete(s)";
}

}  // namespace formation::host::api

// vmm-libvirt: instances as libvirt domains (DESIGN.md §4, issue 5). Lifecycle here;
// resizing in vmm_resources.cpp, stats and events in vmm_observe.cpp.
#include "vmm_libvirt.hpp"

#include <libvirt/virterror.h>

#include <thread>

#include "domain_config.hpp"
#include "domain_state.hpp"
#include "domain_xml.hpp"

namespace formation::libvirt {

namespace fs = std::filesystem;

InstanceLocks::Guard::Guard(InstanceLocks& owner, std::string id, std::shared_ptr<std::mutex> mutex)
    : owner_(owner), id_(std::move(id)), mutex_(std::move(mutex)) {
  mutex_->lock();
}

InstanceLocks::Guard::~Guard() {
  mutex_->unlock();
  std::lock_guard lock(owner_.mutex_);
  // The table and this guard hold the last two references: nobody waits for it.
  if (mutex_.use_count() == 2) owner_.locks_.erase(id_);
}

InstanceLocks::Guard InstanceLocks::lock(const std::string& id) {
  std::shared_ptr<std::mutex> mutex;
  {
    std::lock_guard lock(mutex_);
    auto& slot = locks_[id];
    if (!slot) slot = std::make_shared<std::mutex>();
    mutex = slot;
  }
  return {*this, id, std::move(mutex)};
}

LibvirtVmm::LibvirtVmm(HostServices& host)
    : log_(host.logger()),
      settings_(settings_from(host.parameters(), host.data_dir())),
      disks_(settings_.storage_dir, settings_.qemu_img),
      connection_(std::make_unique<Connection>(
          settings_.uri, log_,
          [this](virDomainPtr d, int event, int detail) { on_lifecycle(d, event, detail); })) {}

LibvirtVmm::~LibvirtVmm() { connection_.reset(); }

Status LibvirtVmm::start() {
  if (auto st = check_settings(settings_); !st.is_ok()) return st;
  std::error_code ec;
  fs::create_directories(settings_.storage_dir, ec);
  if (ec) {
    return Status::internal("cannot create storage_dir " + settings_.storage_dir.string() + ": " +
                            ec.message());
  }
  // A missing hypervisor is not fatal: formationd runs without one and health() says so.
  auto conn = connection_->get();
  log_->info("{} on {}, disks in {}", conn.is_ok() ? "connected" : "not yet connected",
             settings_.uri, settings_.storage_dir.string());
  return Status::ok();
}

void LibvirtVmm::stop() {
  {
    std::lock_guard lock(subscribers_mutex_);
    subscribers_.clear();
  }
  connection_->close();
}

PluginHealth LibvirtVmm::health() const { return connection_->health(); }

Result<DomainHandle> LibvirtVmm::lookup(const ConnPtr& conn, const std::string& instance_id) {
  const std::string missing = "no domain for instance " + instance_id.substr(0, 128);
  if (!valid_instance_id(instance_id)) return Status::not_found(missing);
  DomainHandle domain(virDomainLookupByName(conn.get(), domain_name(instance_id).c_str()));
  if (!domain) {
    if (last_error_code() == VIR_ERR_NO_DOMAIN) return Status::not_found(missing);
    return libvirt_error("looking up the domain", *log_);
  }
  char* metadata = virDomainGetMetadata(domain.get(), VIR_DOMAIN_METADATA_ELEMENT,
                                        kMetadataNamespace, VIR_DOMAIN_AFFECT_CURRENT);
  bool ours =
      metadata != nullptr && metadata_names(metadata, instance_id, settings_.storage_dir.string());
  free(metadata);  // NOLINT(cppcoreguidelines-no-malloc): libvirt allocates with malloc
  if (!ours) {
    virResetLastError();
    return Status::not_found(missing + " (a domain of that name exists but is not ours)");
  }
  return domain;
}

Result<DomainState> LibvirtVmm::state_of(virDomainPtr domain, const std::string& instance_id) {
  int state = 0;
  int reason = 0;
  if (virDomainGetState(domain, &state, &reason, 0) < 0) {
    return libvirt_error("reading the domain state", *log_);
  }
  return DomainState{instance_id, run_state(state), state_reason(state, reason)};
}

Status LibvirtVmm::check_spec(const DomainSpec& spec) const {
  const auto& l = settings_.limits;
  if (!valid_instance_id(spec.instance_id)) {
    return Status::invalid("instance_id must be 1 to 128 lower-case hex digits");
  }
  if (spec.vcpus < 1 || spec.max_vcpus < spec.vcpus || spec.max_vcpus > l.max_vcpus) {
    return Status::invalid(
        "vcpus must be at least 1 and at most max_vcpus, and max_vcpus at most " +
        std::to_string(l.max_vcpus));
  }
  if (spec.memory_mb < kDimmStepMb || spec.max_memory_mb < spec.memory_mb ||
      spec.max_memory_mb > l.max_memory_mb) {
    return Status::invalid(
        "memory_mb must be at least 128 and at most max_memory_mb, and "
        "max_memory_mb at most " +
        std::to_string(l.max_memory_mb));
  }
  if (spec.disk_gb < 1 || spec.disk_gb > 65535) {
    return Status::invalid("disk_gb must be between 1 and 65535");
  }
  std::error_code ec;
  if (spec.base_image.empty() || !fs::is_regular_file(spec.base_image, ec)) {
    return Status::not_found("base image " + spec.base_image.string() + " not found");
  }
  if (spec.seed_iso.empty() || !fs::is_regular_file(spec.seed_iso, ec)) {
    return Status::not_found("seed ISO " + spec.seed_iso.string() + " not found");
  }
  return Status::ok();
}

Status LibvirtVmm::define(const DomainSpec& spec) {
  if (auto st = check_spec(spec); !st.is_ok()) return st;
  auto guard = locks_.lock(spec.instance_id);
  auto conn = connection_->get();
  if (!conn.is_ok()) return conn.status();
  DomainHandle existing(virDomainLookupByName(conn->get(), domain_name(spec.instance_id).c_str()));
  if (existing) return Status::conflict("a domain for instance " + spec.instance_id + " exists");
  virResetLastError();

  // No domain owns the folder, so whatever is in it is left over from a crash.
  (void)disks_.remove_instance(spec.instance_id);
  auto st = define_locked(spec);
  if (!st.is_ok()) (void)disks_.remove_instance(spec.instance_id);
  return st;
}

Status LibvirtVmm::define_locked(const DomainSpec& spec) {
  std::error_code ec;
  fs::create_directories(disks_.instance_dir(spec.instance_id), ec);
  if (ec) return Status::internal("creating the instance's disk folder: " + ec.message());
  DomainPaths paths{disks_.root_disk(spec.instance_id), spec.console_log};
  if (paths.console_log.empty())
    paths.console_log = disks_.instance_dir(spec.instance_id) / "console.log";
  if (auto st = disks_.create_overlay(spec.base_image, paths.root_disk, spec.disk_gb);
      !st.is_ok()) {
    log_->warn("instance {}: {}", spec.instance_id, st.message());
    return st;
  }
  auto conn = connection_->get();
  if (!conn.is_ok()) return conn.status();
  auto xml = domain_xml(spec, settings_, paths);
  DomainHandle domain(virDomainDefineXML(conn->get(), xml.c_str()));
  if (!domain) return libvirt_error("the hypervisor refused the domain definition", *log_);
  log_->info("instance {}: domain {} defined", spec.instance_id, domain_name(spec.instance_id));
  return Status::ok();
}

Status LibvirtVmm::start(const std::string& instance_id) {
  auto guard = locks_.lock(instance_id);
  auto conn = connection_->get();
  if (!conn.is_ok()) return conn.status();
  auto domain = lookup(*conn, instance_id);
  if (!domain.is_ok()) return domain.status();
  auto state = state_of(domain->get(), instance_id);
  if (!state.is_ok()) return state.status();
  if (state->state != DomainRunState::shut_off && state->state != DomainRunState::crashed) {
    return Status::conflict("instance " + instance_id + " is " +
                            std::string(to_string(state->state)));
  }
  if (virDomainCreate(domain->get()) < 0) {
    return libvirt_error("the hypervisor refused to start the domain", *log_);
  }
  return Status::ok();
}

// Pulls the plug; a domain that went off by itself meanwhile is not an error.
static Status power_off(virDomainPtr domain, spdlog::logger& log) {
  if (virDomainDestroy(domain) < 0 && virDomainIsActive(domain) != 0) {
    return libvirt_error("the hypervisor refused to power the domain off", log);
  }
  virResetLastError();
  return Status::ok();
}

Status LibvirtVmm::stop(const std::string& instance_id, std::chrono::seconds timeout) {
  auto guard = locks_.lock(instance_id);
  auto conn = connection_->get();
  if (!conn.is_ok()) return conn.status();
  auto domain = lookup(*conn, instance_id);
  if (!domain.is_ok()) return domain.status();
  if (virDomainIsActive(domain->get()) == 0) return Status::ok();
  if (virDomainShutdown(domain->get()) < 0) {
    // The guest may have gone off meanwhile, or have no ACPI; we force it below.
    log_->info("instance {}: ACPI shutdown refused: {}", instance_id, virGetLastErrorMessage());
    virResetLastError();
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int active = virDomainIsActive(domain->get());
    if (active == 0) return Status::ok();
    if (active < 0) return libvirt_error("reading the domain state", *log_);
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  log_->info("instance {}: still running after {} s; forcing it off", instance_id, timeout.count());
  return power_off(domain->get(), *log_);
}

Status LibvirtVmm::reboot(const std::string& instance_id) {
  auto guard = locks_.lock(instance_id);
  auto conn = connection_->get();
  if (!conn.is_ok()) return conn.status();
  auto domain = lookup(*conn, instance_id);
  if (!domain.is_ok()) return domain.status();
  auto state = state_of(domain->get(), instance_id);
  if (!state.is_ok()) return state.status();
  if (state->state != DomainRunState::running) {
    return Status::conflict("instance " + instance_id + " is " +
                            std::string(to_string(state->state)));
  }
  if (virDomainReboot(domain->get(), 0) < 0) {
    return libvirt_error("the hypervisor refused to reboot the domain", *log_);
  }
  return Status::ok();
}

Status LibvirtVmm::destroy(const std::string& instance_id) {
  auto guard = locks_.lock(instance_id);
  auto conn = connection_->get();
  if (!conn.is_ok()) return conn.status();
  auto domain = lookup(*conn, instance_id);
  if (!domain.is_ok()) return domain.status();
  if (virDomainIsActive(domain->get()) == 0) return Status::ok();
  return power_off(domain->get(), *log_);
}

Status LibvirtVmm::undefine(const std::string& instance_id) {
  auto guard = locks_.lock(instance_id);
  auto conn = connection_->get();
  if (!conn.is_ok()) return conn.status();
  auto domain = lookup(*conn, instance_id);
  if (!domain.is_ok()) return domain.status();
  if (virDomainIsActive(domain->get()) != 0) {
    return Status::conflict("instance " + instance_id + " is running; stop it first");
  }
  const unsigned flags = VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
                         VIR_DOMAIN_UNDEFINE_NVRAM | VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA;
  if (virDomainUndefineFlags(domain->get(), flags) < 0) {
    // Drivers without those features refuse the flags; nothing of the kind exists there.
    int code = last_error_code();
    bool flags_refused = code == VIR_ERR_INVALID_ARG || code == VIR_ERR_NO_SUPPORT ||
                         code == VIR_ERR_ARGUMENT_UNSUPPORTED;
    if (!flags_refused || virDomainUndefine(domain->get()) < 0) {
      return libvirt_error("the hypervisor refused to undefine the domain", *log_);
    }
  }
  log_->info("instance {}: domain undefined", instance_id);
  return disks_.remove_instance(instance_id);
}

Result<DomainState> LibvirtVmm::state(const std::string& instance_id) {
  auto conn = connection_->get();
  if (!conn.is_ok()) return conn.status();
  auto domain = lookup(*conn, instance_id);
  if (!domain.is_ok()) return domain.status();
  return state_of(domain->get(), instance_id);
}

Result<std::vector<DomainState>> LibvirtVmm::list_domains() {
  auto conn = connection_->get();
  if (!conn.is_ok()) return conn.status();
  virDomainPtr* domains = nullptr;
  int n = virConnectListAllDomains(conn->get(), &domains, 0);
  if (n < 0) return libvirt_error("listing domains", *log_);
  std::vector<DomainHandle> handles;
  handles.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) handles.emplace_back(domains[i]);
  free(domains);  // NOLINT(cppcoreguidelines-no-malloc): libvirt allocates with malloc
  std::vector<DomainState> out;
  for (const auto& d : handles) {
    auto id = instance_id_of(virDomainGetName(d.get()));
    if (id.empty()) continue;
    char* metadata = virDomainGetMetadata(d.get(), VIR_DOMAIN_METADATA_ELEMENT, kMetadataNamespace,
                                          VIR_DOMAIN_AFFECT_CURRENT);
    bool ours = metadata != nullptr && metadata_names(metadata, id, settings_.storage_dir.string());
    free(metadata);  // NOLINT(cppcoreguidelines-no-malloc)
    virResetLastError();
    if (!ours) continue;
    auto state = state_of(d.get(), id);
    // A domain undefined between the list and this call is simply gone.
    if (state.is_ok()) out.push_back(std::move(state).value());
  }
  return out;
}

Result<std::string> LibvirtVmm::inactive_xml(virDomainPtr domain) {
  char* xml = virDomainGetXMLDesc(domain, VIR_DOMAIN_XML_INACTIVE);
  if (xml == nullptr) return libvirt_error("reading the domain's configuration", *log_);
  std::string out(xml);
  free(xml);  // NOLINT(cppcoreguidelines-no-malloc)
  return out;
}

Status LibvirtVmm::redefine(const ConnPtr& conn, const std::string& xml, const char* doing) {
  DomainHandle domain(virDomainDefineXML(conn.get(), xml.c_str()));
  if (!domain) return libvirt_error(doing, *log_);
  return Status::ok();
}

}  // namespace formation::libvirt

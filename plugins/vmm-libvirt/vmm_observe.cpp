// What the host watches: bulk statistics for metering, the node's capacity, lifecycle
// events.
#include <libvirt/virterror.h>
#include <sys/statvfs.h>

#include "domain_config.hpp"
#include "domain_state.hpp"
#include "domain_xml.hpp"
#include "vmm_libvirt.hpp"

namespace formation::libvirt {

namespace {

std::uint64_t as_u64(const virTypedParameter& p) {
  switch (p.type) {
    case VIR_TYPED_PARAM_INT: return static_cast<std::uint64_t>(p.value.i);
    case VIR_TYPED_PARAM_UINT: return p.value.ui;
    case VIR_TYPED_PARAM_LLONG: return static_cast<std::uint64_t>(p.value.l);
    case VIR_TYPED_PARAM_ULLONG: return p.value.ul;
    default: return 0;
  }
}

// "block.2.rd.bytes" is per-device: sum every device's value.
bool per_device(std::string_view name, std::string_view group, std::string_view field) {
  return name.starts_with(group) && name.ends_with(field) &&
         name.size() > group.size() + field.size();
}

DomainStats stats_of(const virDomainStatsRecord& record, const std::string& id) {
  DomainStats s;
  s.instance_id = id;
  s.sampled_at = std::chrono::system_clock::now();
  std::uint64_t available = 0;
  std::uint64_t unused = 0;
  for (int i = 0; i < record.nparams; ++i) {
    const auto& p = record.params[i];
    std::string_view name(p.field);
    auto v = as_u64(p);
    if (name == "cpu.time")
      s.cpu_time_ns = v;
    else if (name == "vcpu.current")
      s.vcpus = static_cast<std::int64_t>(v);
    else if (name == "balloon.current")
      s.memory_kb_actual = static_cast<std::int64_t>(v);
    else if (name == "balloon.available")
      available = v;
    else if (name == "balloon.unused")
      unused = v;
    else if (per_device(name, "block.", ".rd.bytes"))
      s.disk_read_bytes += v;
    else if (per_device(name, "block.", ".wr.bytes"))
      s.disk_write_bytes += v;
    else if (per_device(name, "block.", ".capacity"))
      s.disk_capacity_bytes += v;
    else if (per_device(name, "net.", ".rx.bytes"))
      s.net_rx_bytes += v;
    else if (per_device(name, "net.", ".tx.bytes"))
      s.net_tx_bytes += v;
  }
  // Only a guest with a balloon driver reports both; otherwise "used" is unknown.
  if (available > 0 && unused <= available) {
    s.memory_kb_used = static_cast<std::int64_t>(available - unused);
  }
  return s;
}

bool has_field(const virDomainStatsRecord& record, std::string_view field) {
  for (int i = 0; i < record.nparams; ++i) {
    if (field == record.params[i].field) return true;
  }
  return false;
}

// A driver whose bulk statistics carry no CPU counter (libvirt's test driver reports only
// the state) still answers virDomainGetInfo: one call per domain, only on such drivers.
void fill_from_info(virDomainPtr domain, DomainStats& s) {
  virDomainInfo info{};
  if (virDomainGetInfo(domain, &info) < 0) {
    virResetLastError();
    return;
  }
  s.cpu_time_ns = info.cpuTime;
  if (s.vcpus == 0) s.vcpus = info.nrVirtCpu;
  if (s.memory_kb_actual == 0) s.memory_kb_actual = static_cast<std::int64_t>(info.memory);
}

}  // namespace

Result<std::vector<DomainStats>> LibvirtVmm::all_stats() {
  auto conn = connection_->get();
  if (!conn.is_ok()) return conn.status();
  const unsigned stats = VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL |
                         VIR_DOMAIN_STATS_BALLOON | VIR_DOMAIN_STATS_VCPU |
                         VIR_DOMAIN_STATS_INTERFACE | VIR_DOMAIN_STATS_BLOCK;
  virDomainStatsRecordPtr* records = nullptr;
  int n = virConnectGetAllDomainStats(conn->get(), stats, &records,
                                      VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE);
  if (n < 0) return libvirt_error("reading domain statistics", *log_);
  std::vector<DomainStats> out;
  for (int i = 0; i < n; ++i) {
    virDomainPtr d = records[i]->dom;
    auto id = instance_id_of(virDomainGetName(d));
    if (id.empty()) continue;
    char* metadata = virDomainGetMetadata(d, VIR_DOMAIN_METADATA_ELEMENT, kMetadataNamespace,
                                          VIR_DOMAIN_AFFECT_CURRENT);
    bool ours = metadata != nullptr && metadata_names(metadata, id, settings_.storage_dir.string());
    free(metadata);  // NOLINT(cppcoreguidelines-no-malloc)
    virResetLastError();
    if (!ours) continue;
    out.push_back(stats_of(*records[i], id));
    if (!has_field(*records[i], "cpu.time")) fill_from_info(d, out.back());
  }
  virDomainStatsRecordListFree(records);
  return out;
}

Result<Resources> LibvirtVmm::host_capacity() {
  auto conn = connection_->get();
  if (!conn.is_ok()) return conn.status();
  virNodeInfo info{};
  if (virNodeGetInfo(conn->get(), &info) < 0) return libvirt_error("reading the node", *log_);
  Resources r;
  r.vcpus = info.cpus;
  r.memory_mb = static_cast<std::int64_t>(info.memory / 1024);
  struct statvfs fs {};
  if (::statvfs(settings_.storage_dir.c_str(), &fs) == 0) {
    r.disk_gb =
        static_cast<std::int64_t>(static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize >> 30U);
  }
  return r;
}

Result<VmmSubscriptionId> LibvirtVmm::subscribe(DomainEventCallback callback) {
  if (!callback) return Status::invalid("subscribe needs a callback");
  std::lock_guard lock(subscribers_mutex_);
  auto id = next_subscription_++;
  subscribers_.emplace(id, std::move(callback));
  return id;
}

Status LibvirtVmm::unsubscribe(VmmSubscriptionId id) {
  std::lock_guard lock(subscribers_mutex_);
  if (subscribers_.erase(id) == 0) {
    return Status::not_found("no subscription " + std::to_string(id));
  }
  return Status::ok();
}

void LibvirtVmm::on_lifecycle(virDomainPtr domain, int event, int detail) {
  // Ours by name only: asking the daemon for metadata from its own event thread would
  // stall event delivery.
  auto id = instance_id_of(virDomainGetName(domain));
  if (id.empty()) return;
  auto mapped = map_lifecycle_event(event, detail);
  if (!mapped.relevant) return;
  DomainEvent e{id, mapped.state, mapped.reason, std::chrono::system_clock::now()};
  // Held while calling, so that after unsubscribe() returns no call is in flight.
  std::lock_guard lock(subscribers_mutex_);
  for (const auto& [sub, callback] : subscribers_) {
    try {
      callback(e);
    } catch (const std::exception& ex) {
      log_->warn("event subscriber {} threw: {}", sub, ex.what());
    }
  }
}

}  // namespace formation::libvirt

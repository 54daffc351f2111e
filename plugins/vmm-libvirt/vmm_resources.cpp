// Resizing: vCPUs, memory and extra disks. Everything is checked before anything changes,
// so a refused call leaves the domain as it was.
#include <libvirt/virterror.h>

#include "domain_config.hpp"
#include "domain_xml.hpp"
#include "vmm_libvirt.hpp"

namespace formation::libvirt {

Status LibvirtVmm::set_vcpus(const std::string& instance_id, std::int64_t vcpus) {
  if (vcpus < 1) return Status::invalid("vcpus must be at least 1");
  auto guard = locks_.lock(instance_id);
  auto conn = connection_->get();
  if (!conn.is_ok()) return conn.status();
  auto domain = lookup(*conn, instance_id);
  if (!domain.is_ok()) return domain.status();
  const unsigned max_flags = static_cast<unsigned>(VIR_DOMAIN_AFFECT_CONFIG) |
                             static_cast<unsigned>(VIR_DOMAIN_VCPU_MAXIMUM);
  int max = virDomainGetVcpusFlags(domain->get(), max_flags);
  if (max < 0) return libvirt_error("reading the domain's vCPU limit", *log_);
  if (vcpus > max) {
    return Status::invalid("vcpus " + std::to_string(vcpus) +
                           " is above the instance's max_vcpus " + std::to_string(max));
  }
  unsigned flags = VIR_DOMAIN_AFFECT_CONFIG;
  if (virDomainIsActive(domain->get()) == 1) flags |= VIR_DOMAIN_AFFECT_LIVE;
  if (virDomainSetVcpusFlags(domain->get(), static_cast<unsigned>(vcpus), flags) < 0) {
    if (last_error_code() == VIR_ERR_OPERATION_FAILED) {
      auto st = libvirt_error("the guest refused the vCPU change", *log_);
      return Status::conflict(st.message());
    }
    return libvirt_error("the hypervisor refused the vCPU change", *log_);
  }
  return Status::ok();
}

Status LibvirtVmm::set_memory(const std::string& instance_id, std::int64_t memory_mb) {
  if (memory_mb < kDimmStepMb) return Status::invalid("memory_mb must be at least 128");
  auto guard = locks_.lock(instance_id);
  auto conn = connection_->get();
  if (!conn.is_ok()) return conn.status();
  auto domain = lookup(*conn, instance_id);
  if (!domain.is_ok()) return domain.status();
  auto config_xml = inactive_xml(domain->get());
  if (!config_xml.is_ok()) return config_xml.status();
  auto config = read_config(*config_xml);
  if (!config.is_ok()) return config.status();
  auto max_mb = (config->max_memory_kb > 0 ? config->max_memory_kb : config->memory_kb) / 1024;
  if (memory_mb > max_mb) {
    return Status::invalid("memory_mb " + std::to_string(memory_mb) +
                           " is above the instance's max_memory_mb " + std::to_string(max_mb));
  }
  if (virDomainIsActive(domain->get()) != 1) {
    auto xml = with_memory(*config_xml, memory_mb);
    if (!xml.is_ok()) return xml.status();
    return redefine(*conn, *xml, "the hypervisor refused the memory change");
  }

  char* live_text = virDomainGetXMLDesc(domain->get(), 0);
  if (live_text == nullptr) return libvirt_error("reading the domain's configuration", *log_);
  auto live = read_config(live_text);
  free(live_text);  // NOLINT(cppcoreguidelines-no-malloc)
  if (!live.is_ok()) return live.status();
  auto delta = memory_mb - live->memory_kb / 1024;
  if (delta == 0) return Status::ok();
  if (delta < 0) {
    return Status::conflict("memory of a running instance cannot shrink; stop it first");
  }
  if (delta % kDimmStepMb != 0) {
    return Status::invalid("memory of a running instance grows in steps of 128 MiB; " +
                           std::to_string(delta) + " MiB is not one");
  }
  if (live->dimm_count >= live->memory_slots) {
    return Status::conflict(
        "no free memory slot left for a live change; stop the instance "
        "to resize it");
  }
  auto dimm = dimm_xml(delta);
  if (virDomainAttachDeviceFlags(domain->get(), dimm.c_str(),
                                 VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG) < 0) {
    return libvirt_error("the hypervisor refused to add memory", *log_);
  }
  return Status::ok();
}

Result<std::string> LibvirtVmm::attach_disk(const std::string& instance_id, std::int64_t size_gb) {
  if (size_gb < 1 || size_gb > 65535) return Status::invalid("size_gb must be 1 to 65535");
  auto guard = locks_.lock(instance_id);
  auto conn = connection_->get();
  if (!conn.is_ok()) return conn.status();
  auto domain = lookup(*conn, instance_id);
  if (!domain.is_ok()) return domain.status();
  bool running = virDomainIsActive(domain->get()) == 1;
  auto config_xml = inactive_xml(domain->get());
  if (!config_xml.is_ok()) return config_xml.status();
  auto config = read_config(*config_xml);
  if (!config.is_ok()) return config.status();
  if (config->virtio_disk_count >= settings_.limits.max_disks) {
    return Status::invalid("an instance has at most " + std::to_string(settings_.limits.max_disks) +
                           " disks");
  }
  auto target = next_virtio_target(config->disk_targets);
  if (target.empty()) return Status::invalid("no free virtio disk name left");

  auto file = disks_.instance_dir(instance_id) / (target + ".qcow2");
  if (auto st = disks_.create_disk(file, size_gb); !st.is_ok()) {
    log_->warn("instance {}: {}", instance_id, st.message());
    return st;
  }
  auto device = disk_xml(file, target);
  Status attached;
  if (running) {
    if (virDomainAttachDeviceFlags(domain->get(), device.c_str(),
                                   VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG) < 0) {
      attached = libvirt_error("the hypervisor refused to attach the disk", *log_);
    }
  } else {
    // Redefining works on every driver, AttachDeviceFlags(CONFIG) does not.
    auto xml = with_device(*config_xml, device);
    attached = xml.is_ok() ? redefine(*conn, *xml, "the hypervisor refused to attach the disk")
                           : xml.status();
  }
  if (!attached.is_ok()) {
    std::error_code ec;
    std::filesystem::remove(file, ec);
    return attached;
  }
  log_->info("instance {}: {} GB disk attached as {}", instance_id, size_gb, target);
  return target;
}

}  // namespace formation::libvirt

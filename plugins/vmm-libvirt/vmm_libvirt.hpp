// The Vmm on libvirt (README.md). Tests make one directly with their own HostServices.
#pragma once

#include <libvirt/libvirt.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>

#include "connection.hpp"
#include "disk_images.hpp"
#include "formation/kinds/vmm.hpp"
#include "settings.hpp"

namespace formation::libvirt {

// One mutex per instance id, forgotten when nobody holds or waits for it.
class InstanceLocks {
 public:
  class Guard {
   public:
    Guard(InstanceLocks& owner, std::string id, std::shared_ptr<std::mutex> mutex);
    ~Guard();
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

   private:
    InstanceLocks& owner_;
    std::string id_;
    std::shared_ptr<std::mutex> mutex_;
  };
  Guard lock(const std::string& id);

 private:
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<std::mutex>> locks_;
};

struct DomainFree {
  void operator()(virDomainPtr d) const { virDomainFree(d); }
};
using DomainHandle = std::unique_ptr<virDomain, DomainFree>;

class LibvirtVmm final : public Vmm {
 public:
  explicit LibvirtVmm(HostServices& host);
  ~LibvirtVmm() override;
  LibvirtVmm(const LibvirtVmm&) = delete;
  LibvirtVmm& operator=(const LibvirtVmm&) = delete;

  Status start() override;
  void stop() override;
  [[nodiscard]] PluginHealth health() const override;

  Status define(const DomainSpec& spec) override;
  Status start(const std::string& instance_id) override;
  Status stop(const std::string& instance_id, std::chrono::seconds timeout) override;
  Status reboot(const std::string& instance_id) override;
  Status destroy(const std::string& instance_id) override;
  Status undefine(const std::string& instance_id) override;
  Result<DomainState> state(const std::string& instance_id) override;
  Result<std::vector<DomainState>> list_domains() override;
  Status set_vcpus(const std::string& instance_id, std::int64_t vcpus) override;
  Status set_memory(const std::string& instance_id, std::int64_t memory_mb) override;
  Result<std::string> attach_disk(const std::string& instance_id, std::int64_t size_gb) override;
  Result<std::vector<DomainStats>> all_stats() override;
  Result<Resources> host_capacity() override;
  Result<VmmSubscriptionId> subscribe(DomainEventCallback callback) override;
  Status unsubscribe(VmmSubscriptionId id) override;

  [[nodiscard]] const Settings& settings() const { return settings_; }

 private:
  Status check_spec(const DomainSpec& spec) const;
  Status define_locked(const DomainSpec& spec);
  // Our domain of that instance, or not_found.
  Result<DomainHandle> lookup(const ConnPtr& conn, const std::string& instance_id);
  Result<DomainState> state_of(virDomainPtr domain, const std::string& instance_id);
  Result<std::string> inactive_xml(virDomainPtr domain);
  Status redefine(const ConnPtr& conn, const std::string& xml, const char* doing);
  void on_lifecycle(virDomainPtr domain, int event, int detail);

  std::shared_ptr<spdlog::logger> log_;
  Settings settings_;
  DiskImages disks_;
  InstanceLocks locks_;
  std::mutex subscribers_mutex_;
  std::map<VmmSubscriptionId, DomainEventCallback> subscribers_;
  VmmSubscriptionId next_subscription_ = 1;
  // Last: it is torn down first, so no event arrives into a half-destroyed object.
  std::unique_ptr<Connection> connection_;
};

const PluginDescriptor* describe();

}  // namespace formation::libvirt

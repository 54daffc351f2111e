// The Vmm on libvirt's test driver: lifecycle, conflicts, cleanup, ownership, events,
// resizing and an unreachable hypervisor.
#include <gtest/gtest.h>
#include <libvirt/libvirt.h>

#include <condition_variable>
#include <mutex>

#include "domain_xml.hpp"
#include "fake_host.hpp"

namespace formation::libvirt::test {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

DomainRunState state_of(LibvirtVmm& vmm, const std::string& id) {
  auto s = vmm.state(id);
  return s.is_ok() ? s->state : DomainRunState::unknown;
}

TEST(Lifecycle, DefineStartRebootStopUndefine) {
  VmmFixture f;
  auto spec = f.spec();
  ASSERT_TRUE(f.vmm->define(spec).is_ok());
  EXPECT_TRUE(fs::exists(f.dir.path() / "disks" / spec.instance_id / "root.qcow2"));
  EXPECT_EQ(state_of(*f.vmm, spec.instance_id), DomainRunState::shut_off);
  ASSERT_TRUE(f.vmm->start(spec.instance_id).is_ok());
  EXPECT_EQ(state_of(*f.vmm, spec.instance_id), DomainRunState::running);
  EXPECT_EQ(f.vmm->start(spec.instance_id).code(), StatusCode::conflict);
  EXPECT_EQ(f.vmm->undefine(spec.instance_id).code(), StatusCode::conflict);
  EXPECT_TRUE(f.vmm->reboot(spec.instance_id).is_ok());
  ASSERT_TRUE(f.vmm->stop(spec.instance_id, seconds(5)).is_ok());
  EXPECT_EQ(state_of(*f.vmm, spec.instance_id), DomainRunState::shut_off);
  EXPECT_EQ(f.vmm->reboot(spec.instance_id).code(), StatusCode::conflict);
  EXPECT_TRUE(f.vmm->stop(spec.instance_id, seconds(1)).is_ok());
  EXPECT_TRUE(f.vmm->destroy(spec.instance_id).is_ok());
  ASSERT_TRUE(f.vmm->undefine(spec.instance_id).is_ok());
  EXPECT_EQ(f.vmm->state(spec.instance_id).status().code(), StatusCode::not_found);
  EXPECT_EQ(f.vmm->undefine(spec.instance_id).code(), StatusCode::not_found);
  EXPECT_FALSE(fs::exists(f.dir.path() / "disks" / spec.instance_id));
}

TEST(Lifecycle, DefineTwiceIsAConflict) {
  VmmFixture f;
  auto spec = f.spec();
  ASSERT_TRUE(f.vmm->define(spec).is_ok());
  EXPECT_EQ(f.vmm->define(spec).code(), StatusCode::conflict);
  EXPECT_TRUE(fs::exists(f.dir.path() / "disks" / spec.instance_id / "root.qcow2"));
  EXPECT_TRUE(f.vmm->undefine(spec.instance_id).is_ok());
}

TEST(Lifecycle, MissingFilesAndBadSpecsLeaveNothing) {
  VmmFixture f;
  auto spec = f.spec();
  spec.base_image = f.dir.path() / "nope.qcow2";
  EXPECT_EQ(f.vmm->define(spec).code(), StatusCode::not_found);
  spec = f.spec();
  spec.seed_iso = f.dir.path() / "nope.iso";
  EXPECT_EQ(f.vmm->define(spec).code(), StatusCode::not_found);
  spec = f.spec();
  spec.vcpus = 0;
  EXPECT_EQ(f.vmm->define(spec).code(), StatusCode::invalid);
  spec = f.spec();
  spec.max_vcpus = 17;
  EXPECT_EQ(f.vmm->define(spec).code(), StatusCode::invalid);
  spec = f.spec();
  spec.disk_gb = 0;
  EXPECT_EQ(f.vmm->define(spec).code(), StatusCode::invalid);
  // The hypervisor refuses this one after the overlay exists: it must go again.
  spec = f.spec();
  spec.max_memory_mb = 4096;
  spec.memory_mb = 1024;
  FakeHostServicesForTests host("vmm-libvirt", f.dir.path() / "data2",
                                R"({"uri": "test:///default", "machine": "no'machine</x>",
                                    "storage_dir": ")" +
                                    (f.dir.path() / "disks").string() +
                                    R"(", "network": {"type": "bridge", "name": ""}})");
  LibvirtVmm broken(host);
  EXPECT_EQ(broken.start().code(), StatusCode::invalid);
  EXPECT_TRUE(fs::is_empty(f.dir.path() / "disks"));
  EXPECT_EQ(f.vmm->state(random_id()).status().code(), StatusCode::not_found);
  EXPECT_EQ(f.vmm->start("../../etc").code(), StatusCode::not_found);
}

TEST(Lifecycle, ListsOnlyOurDomains) {
  VmmFixture f;
  auto spec = f.spec();
  ASSERT_TRUE(f.vmm->define(spec).is_ok());
  // Named like ours but without our metadata: not ours.
  auto foreign_id = random_id();
  virConnectPtr conn = virConnectOpen("test:///default");
  ASSERT_NE(conn, nullptr);
  std::string xml = "<domain type='test'><name>formation-" + foreign_id +
                    "</name><memory>131072</memory><os><type>hvm</type></os></domain>";
  virDomainPtr foreign = virDomainDefineXML(conn, xml.c_str());
  ASSERT_NE(foreign, nullptr);
  auto list = f.vmm->list_domains();
  ASSERT_TRUE(list.is_ok());
  bool mine = false;
  for (const auto& d : *list) {
    EXPECT_NE(d.instance_id, foreign_id);
    EXPECT_NE(d.instance_id, "");
    mine = mine || d.instance_id == spec.instance_id;
  }
  EXPECT_TRUE(mine);
  EXPECT_EQ(f.vmm->state(foreign_id).status().code(), StatusCode::not_found);
  EXPECT_EQ(f.vmm->undefine(foreign_id).code(), StatusCode::not_found);
  virDomainUndefine(foreign);
  virDomainFree(foreign);
  virConnectClose(conn);
  EXPECT_TRUE(f.vmm->undefine(spec.instance_id).is_ok());
}

TEST(Lifecycle, EventsArriveForStartAndStop) {
  VmmFixture f;
  auto spec = f.spec();
  ASSERT_TRUE(f.vmm->define(spec).is_ok());
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<DomainEvent> events;
  auto sub = f.vmm->subscribe([&](const DomainEvent& e) {
    std::lock_guard lock(mutex);
    if (e.instance_id == spec.instance_id) events.push_back(e);
    changed.notify_all();
  });
  ASSERT_TRUE(sub.is_ok());
  auto wait_for = [&](DomainRunState state) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, seconds(5), [&] {
      for (const auto& e : events) {
        if (e.state == state) return true;
      }
      return false;
    });
  };
  ASSERT_TRUE(f.vmm->start(spec.instance_id).is_ok());
  EXPECT_TRUE(wait_for(DomainRunState::running));
  ASSERT_TRUE(f.vmm->stop(spec.instance_id, seconds(5)).is_ok());
  EXPECT_TRUE(wait_for(DomainRunState::shut_off));
  EXPECT_TRUE(f.vmm->unsubscribe(*sub).is_ok());
  EXPECT_EQ(f.vmm->unsubscribe(*sub).code(), StatusCode::not_found);
  EXPECT_TRUE(f.vmm->undefine(spec.instance_id).is_ok());
}

TEST(Resize, VcpusWithinAndAboveMax) {
  VmmFixture f;
  auto spec = f.spec();
  ASSERT_TRUE(f.vmm->define(spec).is_ok());
  EXPECT_TRUE(f.vmm->set_vcpus(spec.instance_id, 2).is_ok());
  EXPECT_EQ(f.vmm->set_vcpus(spec.instance_id, 5).code(), StatusCode::invalid);
  EXPECT_EQ(f.vmm->set_vcpus(spec.instance_id, 0).code(), StatusCode::invalid);
  ASSERT_TRUE(f.vmm->start(spec.instance_id).is_ok());
  EXPECT_TRUE(f.vmm->set_vcpus(spec.instance_id, 4).is_ok());
  auto stats = f.vmm->all_stats();
  ASSERT_TRUE(stats.is_ok());
  bool found = false;
  for (const auto& s : *stats) found = found || s.instance_id == spec.instance_id;
  EXPECT_TRUE(found);
  EXPECT_TRUE(f.vmm->destroy(spec.instance_id).is_ok());
  auto after = f.vmm->all_stats();
  ASSERT_TRUE(after.is_ok());
  for (const auto& s : *after) EXPECT_NE(s.instance_id, spec.instance_id);
  EXPECT_TRUE(f.vmm->undefine(spec.instance_id).is_ok());
}

TEST(Resize, MemoryWhenOffAndRules) {
  VmmFixture f;
  auto spec = f.spec();
  ASSERT_TRUE(f.vmm->define(spec).is_ok());
  EXPECT_TRUE(f.vmm->set_memory(spec.instance_id, 1024).is_ok());
  EXPECT_EQ(f.vmm->set_memory(spec.instance_id, 4096).code(), StatusCode::invalid);
  EXPECT_EQ(f.vmm->set_memory(spec.instance_id, 64).code(), StatusCode::invalid);
  ASSERT_TRUE(f.vmm->start(spec.instance_id).is_ok());
  EXPECT_EQ(f.vmm->set_memory(spec.instance_id, 512).code(), StatusCode::conflict);
  EXPECT_EQ(f.vmm->set_memory(spec.instance_id, 1100).code(), StatusCode::invalid);
  EXPECT_TRUE(f.vmm->set_memory(spec.instance_id, 1024).is_ok());  // no change
  EXPECT_TRUE(f.vmm->destroy(spec.instance_id).is_ok());
  EXPECT_TRUE(f.vmm->undefine(spec.instance_id).is_ok());
}

TEST(Resize, AttachDiskNamesTheNextDevice) {
  VmmFixture f;
  auto spec = f.spec();
  ASSERT_TRUE(f.vmm->define(spec).is_ok());
  auto first = f.vmm->attach_disk(spec.instance_id, 1);
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  EXPECT_EQ(*first, "vdb");
  auto second = f.vmm->attach_disk(spec.instance_id, 1);
  ASSERT_TRUE(second.is_ok());
  EXPECT_EQ(*second, "vdc");
  EXPECT_TRUE(fs::exists(f.dir.path() / "disks" / spec.instance_id / "vdc.qcow2"));
  EXPECT_EQ(f.vmm->attach_disk(spec.instance_id, 0).status().code(), StatusCode::invalid);
  // The test driver cannot hot-plug: the answer says so and the file goes again.
  ASSERT_TRUE(f.vmm->start(spec.instance_id).is_ok());
  auto live = f.vmm->attach_disk(spec.instance_id, 1);
  EXPECT_EQ(live.status().code(), StatusCode::unsupported);
  EXPECT_FALSE(fs::exists(f.dir.path() / "disks" / spec.instance_id / "vdd.qcow2"));
  EXPECT_TRUE(f.vmm->destroy(spec.instance_id).is_ok());
  EXPECT_TRUE(f.vmm->undefine(spec.instance_id).is_ok());
  EXPECT_FALSE(fs::exists(f.dir.path() / "disks" / spec.instance_id));
}

TEST(Capacity, ReportsTheNode) {
  VmmFixture f;
  auto capacity = f.vmm->host_capacity();
  ASSERT_TRUE(capacity.is_ok());
  EXPECT_GT(capacity->vcpus, 0);
  EXPECT_GT(capacity->memory_mb, 0);
}

TEST(Unreachable, StartsButIsDownAndUnavailable) {
  VmmFixture f("", "qemu+unix:///system?socket=/nonexistent/libvirt-sock");
  auto health = f.vmm->health();
  EXPECT_EQ(health.state, HealthState::down);
  EXPECT_NE(health.detail.find("cannot connect to"), std::string::npos) << health.detail;
  EXPECT_EQ(f.vmm->define(f.spec()).code(), StatusCode::unavailable);
  EXPECT_EQ(f.vmm->state(random_id()).status().code(), StatusCode::unavailable);
  EXPECT_EQ(f.vmm->list_domains().status().code(), StatusCode::unavailable);
  EXPECT_TRUE(fs::is_empty(f.dir.path() / "disks"));
}

}  // namespace
}  // namespace formation::libvirt::test

// The plugin over the real thing: vmm-libvirt on libvirt's test:///default driver and
// state-sqlite, both loaded from their .so files the way formationd loads them. Domains are
// made through the Vmm (that is what ties a domain to an instance id: the name
// formation-<id> plus the <formation:instance> metadata), instances are rows in the store.
//
// What the test driver reports (libvirt 9): virConnectGetAllDomainStats gives only the
// state group (no cpu.time, vcpu or balloon fields); virDomainGetInfo gives the vCPUs, the
// memory and a cpuTime that is the time of day, so it moves between two readings. The
// assertions compare with the same readings made directly on our own connection before and
// after the plugin's, and the counter math is also run on two direct readings.
#include <gtest/gtest.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <rapidjson/document.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "formation/rfc3339.hpp"
#include "metering_usage.hpp"
#include "settings.hpp"
#include "support/fake_host_services.hpp"
#include "support/plugin_runtime.hpp"
#include "usage_math.hpp"

namespace formation::metering_usage {
namespace {

using namespace std::chrono_literals;

const std::string kAlice = "0x" + std::string(40, 'a');
const std::string kBob = "0x" + std::string(40, 'b');

// `argv` run without a shell; true when it exited 0.
bool run(std::vector<std::string> argv) {
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) return false;
  int status = 0;
  return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// One active domain's counters as the driver gives them: the bulk call's fields, and
// virDomainGetInfo's where the bulk call carries no CPU counter.
struct Reading {
  std::map<std::string, std::uint64_t, std::less<>> bulk;
  std::uint64_t cpu_time_ns = 0;
  std::int64_t vcpus = 0;
  std::int64_t memory_kb = 0;
};

class MeteringOnTestDriver : public ::testing::Test {
 protected:
  MeteringOnTestDriver() {
    runtime_.start_plugin(PLUGIN_BUILD_DIR, "state-sqlite", "{}");
    vmm_ = static_cast<Vmm*>(&runtime_.start_plugin(
        PLUGIN_BUILD_DIR, "vmm-libvirt", R"({"uri": "test:///default", "domain_type": "qemu"})"));
    store_ = static_cast<StateStore*>(runtime_.find(PluginKind::state_store));
    conn_ = virConnectOpen("test:///default");
  }

  ~MeteringOnTestDriver() override {
    for (const auto& id : domains_) {
      (void)vmm_->destroy(id);
      (void)vmm_->undefine(id);
    }
    if (conn_ != nullptr) virConnectClose(conn_);
  }

  void SetUp() override {
    ASSERT_NE(conn_, nullptr);
    base_image_ = dir_.path() / "base.qcow2";
    seed_iso_ = dir_.path() / "seed.iso";
    ASSERT_TRUE(run({"qemu-img", "create", "-q", "-f", "qcow2", base_image_.string(), "1G"}));
    std::ofstream(seed_iso_) << "not really an ISO";
  }

  // A domain made through the Vmm, running unless `start` is false.
  std::string add_domain(const std::string& id, bool start = true) {
    DomainSpec spec;
    spec.instance_id = id;
    spec.name = "metered " + id;
    spec.vcpus = 2;
    spec.max_vcpus = 4;
    spec.memory_mb = 512;
    spec.max_memory_mb = 2048;
    spec.disk_gb = 2;
    spec.base_image = base_image_;
    spec.seed_iso = seed_iso_;
    spec.console_log = dir_.path() / "console" / (id + ".log");
    spec.metadata_json = R"({"owner": "0xabc", "build_id": "b1"})";
    auto defined = vmm_->define(spec);
    EXPECT_TRUE(defined.is_ok()) << defined.to_string();
    domains_.push_back(id);
    if (start) {
      auto started = vmm_->start(id);
      EXPECT_TRUE(started.is_ok()) << started.to_string();
    }
    return id;
  }

  void add_instance(const std::string& id, const std::string& owner) {
    auto tx = store_->begin();
    ASSERT_TRUE(tx.is_ok());
    Instance i;
    i.id = id;
    i.name = "metered " + id;
    i.owner = owner;
    i.build_id = "b1";
    i.node_id = "n1";
    i.state = InstanceState::started;
    i.vcpus = 2;
    i.memory_mb = 512;
    i.disk_gb = 2;
    i.created_at = std::chrono::system_clock::now();
    i.updated_at = i.created_at;
    auto created = (*tx)->instances().create(i);
    ASSERT_TRUE(created.is_ok()) << created.status().to_string();
    ASSERT_TRUE((*tx)->commit().is_ok());
  }

  // What the driver reports for every active domain, by name, on our own connection.
  std::map<std::string, Reading> direct_reading() {
    const unsigned groups = VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL |
                            VIR_DOMAIN_STATS_BALLOON | VIR_DOMAIN_STATS_VCPU |
                            VIR_DOMAIN_STATS_INTERFACE | VIR_DOMAIN_STATS_BLOCK;
    virDomainStatsRecordPtr* records = nullptr;
    const int n = virConnectGetAllDomainStats(conn_, groups, &records,
                                              VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE);
    EXPECT_GE(n, 0) << virGetLastErrorMessage();
    std::map<std::string, Reading> out;
    for (int i = 0; i < n; ++i) {
      auto& r = out[virDomainGetName(records[i]->dom)];
      for (int p = 0; p < records[i]->nparams; ++p) {
        const auto& param = records[i]->params[p];
        if (param.type == VIR_TYPED_PARAM_ULLONG) r.bulk[param.field] = param.value.ul;
        if (param.type == VIR_TYPED_PARAM_UINT) r.bulk[param.field] = param.value.ui;
        if (param.type == VIR_TYPED_PARAM_INT) {
          r.bulk[param.field] = static_cast<std::uint64_t>(param.value.i);
        }
      }
      virDomainInfo info{};
      EXPECT_EQ(virDomainGetInfo(records[i]->dom, &info), 0);
      const auto bulk = [&](const char* name, std::uint64_t otherwise) {
        auto it = r.bulk.find(name);
        return it == r.bulk.end() ? otherwise : it->second;
      };
      r.cpu_time_ns = bulk("cpu.time", info.cpuTime);
      r.vcpus = static_cast<std::int64_t>(bulk("vcpu.current", info.nrVirtCpu));
      r.memory_kb = static_cast<std::int64_t>(bulk("balloon.current", info.memory));
    }
    if (records != nullptr) virDomainStatsRecordListFree(records);
    return out;
  }

  MeteringUsagePlugin& make_meter() {
    auto& meter = runtime_.make<MeteringUsagePlugin>(
        "metering-usage", R"({"period_seconds": 86400})", settings_from, "default");
    auto st = meter.start();
    EXPECT_TRUE(st.is_ok()) << st.to_string();
    return meter;
  }

  std::vector<UsageRecord> records_of(const std::string& instance_id) {
    auto tx = store_->begin();
    EXPECT_TRUE(tx.is_ok());
    UsageFilter filter;
    filter.instance_id = instance_id;
    auto page = (*tx)->usage().list(filter, PageRequest{100, ""});
    EXPECT_TRUE(page.is_ok());
    return page.is_ok() ? page->items : std::vector<UsageRecord>{};
  }

  formation::testing::TempDir dir_{"metering-test-driver"};
  formation::testing::PluginRuntime runtime_{dir_.path()};
  Vmm* vmm_ = nullptr;
  StateStore* store_ = nullptr;
  virConnectPtr conn_ = nullptr;
  std::filesystem::path base_image_;
  std::filesystem::path seed_iso_;
  std::vector<std::string> domains_;
};

TEST_F(MeteringOnTestDriver, TheSecondTickMetersEachRunningInstanceOfTheStore) {
  const auto alice_vm = add_domain("a1a1a1a1a1a1a1a1");
  const auto bob_vm = add_domain("b2b2b2b2b2b2b2b2");
  const auto stopped_vm = add_domain("c3c3c3c3c3c3c3c3", false);
  const auto stranger_vm = add_domain("d4d4d4d4d4d4d4d4");  // ours, but no instance row
  if (HasFatalFailure()) return;
  add_instance(alice_vm, kAlice);
  add_instance(bob_vm, kBob);
  add_instance(stopped_vm, kAlice);

  std::mutex mutex;
  std::condition_variable arrived;
  std::vector<rapidjson::Document> events;
  runtime_.events().subscribe("usage.sample", [&](const Event& e) {
    rapidjson::Document doc;
    doc.Parse(e.payload_json.c_str());
    const std::scoped_lock lock(mutex);
    events.push_back(std::move(doc));
    arrived.notify_all();
  });

  auto& meter = make_meter();
  const auto before = direct_reading();
  auto first = meter.sample_now();
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  EXPECT_TRUE(first->empty()) << "the first tick only sets baselines";
  EXPECT_TRUE(records_of(alice_vm).empty());

  auto second = meter.sample_now();
  const auto after = direct_reading();
  ASSERT_TRUE(second.is_ok()) << second.status().to_string();

  // The driver lists the stranger as active too: it is left out because the store does not
  // know it, not because the hypervisor hid it.
  for (const auto& id : {alice_vm, bob_vm, stranger_vm}) {
    EXPECT_TRUE(after.contains("formation-" + id)) << id;
  }
  EXPECT_FALSE(after.contains("formation-" + stopped_vm));

  std::map<std::string, UsageSample> by_id;
  for (const auto& s : *second) by_id[s.instance_id] = s;
  ASSERT_EQ(second->size(), 2U);
  ASSERT_EQ(by_id.size(), 2U);
  ASSERT_TRUE(by_id.contains(alice_vm));
  ASSERT_TRUE(by_id.contains(bob_vm));
  EXPECT_EQ(by_id[alice_vm].user_id, kAlice);
  EXPECT_EQ(by_id[bob_vm].user_id, kBob);

  for (const auto& id : {alice_vm, bob_vm}) {
    const auto& sample = by_id[id];
    const auto& b = before.at("formation-" + id);
    const auto& a = after.at("formation-" + id);
    // The plugin's two readings lie between ours, so the CPU it metered is at most what
    // the counter moved between ours, and exactly that when it did not move.
    const double moved = static_cast<double>(counter_delta(b.cpu_time_ns, a.cpu_time_ns)) / 1e9;
    if (b.cpu_time_ns == a.cpu_time_ns) {
      EXPECT_EQ(sample.metrics.cpu_seconds, moved) << id;
    } else {
      EXPECT_GT(sample.metrics.cpu_seconds, 0.0) << id;
      EXPECT_LE(sample.metrics.cpu_seconds, moved) << id;
    }
    EXPECT_LT(sample.period.start, sample.period.end) << id;

    const auto stored = records_of(id);
    ASSERT_EQ(stored.size(), 1U) << id;
    EXPECT_EQ(stored[0].owner, sample.user_id);
    EXPECT_EQ(stored[0].cpu_seconds, sample.metrics.cpu_seconds);
    EXPECT_EQ(stored[0].vcpus, a.vcpus);
    EXPECT_EQ(stored[0].vcpus, 2);  // as defined
    EXPECT_EQ(stored[0].memory_mb, a.memory_kb / 1024);
    EXPECT_EQ(stored[0].memory_mb, 512);

    auto current = meter.current_usage(id);
    ASSERT_TRUE(current.is_ok()) << current.status().to_string();
    EXPECT_EQ(current->owner, sample.user_id);
    ASSERT_TRUE(current->last_period.has_value());
    EXPECT_EQ(current->last_period->cpu_seconds, sample.metrics.cpu_seconds);
    EXPECT_EQ(current->since_creation.cpu_seconds, sample.metrics.cpu_seconds);
  }
  EXPECT_TRUE(records_of(stopped_vm).empty());
  EXPECT_TRUE(records_of(stranger_vm).empty());

  // One event per sample, after the commit, with the owner as user_id.
  {
    std::unique_lock lock(mutex);
    arrived.wait_for(lock, 10s, [&] { return events.size() >= 2; });
    ASSERT_EQ(events.size(), 2U);
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& doc : events) {
      ASSERT_TRUE(doc.IsObject());
      seen.emplace(doc["instance_id"].GetString(), doc["user_id"].GetString());
      EXPECT_EQ(doc["metrics"]["cpu_seconds"].GetDouble(),
                by_id[doc["instance_id"].GetString()].metrics.cpu_seconds);
    }
    EXPECT_EQ(seen,
              (std::set<std::pair<std::string, std::string>>{{alice_vm, kAlice}, {bob_vm, kBob}}));
  }

  auto alices = meter.usage_for_owner(kAlice);
  ASSERT_TRUE(alices.is_ok()) << alices.status().to_string();
  std::map<std::string, UsageSummary> alice_by_id;
  for (const auto& s : *alices) alice_by_id[s.instance_id] = s;
  ASSERT_EQ(alice_by_id.size(), 2U);  // the running and the stopped one
  EXPECT_TRUE(alice_by_id[alice_vm].last_period.has_value());
  EXPECT_FALSE(alice_by_id[stopped_vm].last_period.has_value());
  auto bobs = meter.usage_for_owner(kBob);
  ASSERT_TRUE(bobs.is_ok());
  ASSERT_EQ(bobs->size(), 1U);
  EXPECT_EQ(bobs->front().instance_id, bob_vm);
  EXPECT_EQ(meter.current_usage(stranger_vm).status().code(), StatusCode::not_found);
}

// A restarted meter (a new plugin object over the same store) publishes the latest stored
// period of each running instance again, so an event lost with the old process (stored, not
// yet in the webhook outbox) still goes out, with the same instance and period.
TEST_F(MeteringOnTestDriver, ARestartedMeterRepublishesTheLatestStoredPeriods) {
  const auto running = add_domain("f6f6f6f6f6f6f6f6");
  const auto stopped = add_domain("a7a7a7a7a7a7a7a7", false);
  if (HasFatalFailure()) return;
  add_instance(running, kAlice);
  add_instance(stopped, kAlice);

  std::mutex mutex;
  std::vector<rapidjson::Document> events;
  runtime_.events().subscribe("usage.sample", [&](const Event& e) {
    rapidjson::Document doc;
    doc.Parse(e.payload_json.c_str());
    const std::scoped_lock lock(mutex);
    events.push_back(std::move(doc));
  });
  // The bus delivers on its own thread: wait for `n` events in all.
  const auto wait_for = [&](std::size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      {
        const std::scoped_lock lock(mutex);
        if (events.size() >= n) return;
      }
      std::this_thread::sleep_for(10ms);
    }
  };

  auto& first = make_meter();
  ASSERT_TRUE(first.sample_now().is_ok());
  auto metered = first.sample_now();
  ASSERT_TRUE(metered.is_ok());
  ASSERT_EQ(metered->size(), 1U);
  first.stop();
  wait_for(1);

  auto& again = runtime_.make<MeteringUsagePlugin>("metering-usage", R"({"period_seconds": 86400})",
                                                   settings_from, "restarted");
  ASSERT_TRUE(again.start().is_ok());
  auto republished = again.republish_latest();
  ASSERT_TRUE(republished.is_ok()) << republished.status().to_string();
  EXPECT_EQ(*republished, 1U) << "only the running instance has a stored period";
  wait_for(2);
  std::this_thread::sleep_for(100ms);  // a third event would be a bug; give it a moment
  const std::scoped_lock lock(mutex);
  ASSERT_EQ(events.size(), 2U) << "the first meter's event, then the republished one";
  const auto& doc = events.back();
  const auto& stored = records_of(running);
  ASSERT_EQ(stored.size(), 1U);
  EXPECT_EQ(std::string(doc["instance_id"].GetString()), running);
  EXPECT_EQ(std::string(doc["user_id"].GetString()), kAlice);
  EXPECT_EQ(std::string(doc["period"]["start"].GetString()),
            format_rfc3339_utc(stored[0].period.start));
  EXPECT_EQ(std::string(doc["period"]["start"].GetString()),
            std::string(events.front()["period"]["start"].GetString()));
  EXPECT_DOUBLE_EQ(doc["metrics"]["cpu_seconds"].GetDouble(), metered->front().metrics.cpu_seconds);
  EXPECT_EQ(records_of(running).size(), 1U) << "republishing stores nothing";
}

// The driver's bulk call has no CPU counter; what is metered follows virDomainGetInfo's,
// which moves with the clock: never more than it moved around the two ticks.
TEST_F(MeteringOnTestDriver, WithoutABulkCpuCounterTheDomainInfoIsMetered) {
  const auto id = add_domain("e5e5e5e5e5e5e5e5");
  if (HasFatalFailure()) return;
  add_instance(id, kAlice);
  auto& meter = make_meter();
  const auto before = direct_reading().at("formation-" + id);
  ASSERT_TRUE(meter.sample_now().is_ok());
  auto second = meter.sample_now();
  const auto after = direct_reading().at("formation-" + id);
  ASSERT_TRUE(second.is_ok());
  ASSERT_EQ(second->size(), 1U);
  EXPECT_TRUE(after.bulk.contains("state.state"));
  EXPECT_FALSE(after.bulk.contains("cpu.time"));
  ASSERT_GT(after.cpu_time_ns, before.cpu_time_ns);
  const auto& m = second->front().metrics;
  EXPECT_GT(m.cpu_seconds, 0.0);
  EXPECT_LE(m.cpu_seconds, static_cast<double>(after.cpu_time_ns - before.cpu_time_ns) / 1e9);
  EXPECT_GE(m.cpu_percent_avg, 0.0);
  EXPECT_LE(m.cpu_percent_avg, 100.0);
}

// The counter math on what the driver does report: two virDomainGetInfo readings of one
// domain (its cpuTime moves with the clock) fed to the tracker the plugin uses.
TEST_F(MeteringOnTestDriver, CounterMathOnTwoRealCpuTimeReadings) {
  const auto id = add_domain("f6f6f6f6f6f6f6f6");
  if (HasFatalFailure()) return;
  virDomainPtr domain = virDomainLookupByName(conn_, ("formation-" + id).c_str());
  ASSERT_NE(domain, nullptr);
  auto read = [&] {
    virDomainInfo info{};
    EXPECT_EQ(virDomainGetInfo(domain, &info), 0);
    DomainStats s;
    s.instance_id = id;
    s.cpu_time_ns = info.cpuTime;
    s.vcpus = info.nrVirtCpu;
    s.memory_kb_actual = static_cast<std::int64_t>(info.memory);
    s.sampled_at = std::chrono::system_clock::now();
    return s;
  };
  const auto first = read();
  auto second = read();
  for (int i = 0; i < 1'000'000 && second.cpu_time_ns == first.cpu_time_ns; ++i) second = read();
  virDomainFree(domain);
  ASSERT_GT(second.cpu_time_ns, first.cpu_time_ns);

  UsageTracker tracker;
  EXPECT_TRUE(tracker.update({first}).empty());
  const auto periods = tracker.update({second});
  ASSERT_EQ(periods.size(), 1U);
  EXPECT_DOUBLE_EQ(periods[0].metrics.cpu_seconds,
                   static_cast<double>(second.cpu_time_ns - first.cpu_time_ns) / 1e9);
  EXPECT_EQ(periods[0].vcpus, 2);
  EXPECT_EQ(periods[0].memory_mb, 512);
  EXPECT_EQ(periods[0].period.start, first.sampled_at);
  EXPECT_EQ(periods[0].period.end, second.sampled_at);
}

}  // namespace
}  // namespace formation::metering_usage

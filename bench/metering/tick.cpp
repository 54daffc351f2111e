// One sampling tick of metering-usage for many running domains on libvirt's test driver
// (a node XML of our own), against the bulk stats call it is built on, made raw on a
// connection to the same URI, and `virsh domstats` of the same URI.
#include <fcntl.h>
#include <libvirt/libvirt.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "bench_metering.hpp"
#include "figures.hpp"
#include "metering_usage.hpp"
#include "settings.hpp"
#include "support/plugin_runtime.hpp"

namespace formation::bench {
namespace {

namespace fs = std::filesystem;

constexpr unsigned kGroups = VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL |
                             VIR_DOMAIN_STATS_BALLOON | VIR_DOMAIN_STATS_VCPU |
                             VIR_DOMAIN_STATS_INTERFACE | VIR_DOMAIN_STATS_BLOCK;

std::string instance_id(int i) {
  std::array<char, 33> id{};
  std::snprintf(id.data(), id.size(), "%032x", 0xbe00000 + i);
  return id.data();
}

// Running domains named and tagged the way vmm-libvirt defines them, so that its
// all_stats() takes them for its own.
void write_node(const fs::path& file, int domains, const fs::path& storage_dir) {
  std::ofstream out(file);
  out << "<node>\n";
  for (int i = 0; i < domains; ++i) {
    const auto id = instance_id(i);
    out << "<domain type='test'><name>formation-" << id << "</name>"
        << "<memory unit='MiB'>512</memory><vcpu>1</vcpu><os><type>hvm</type></os>"
        << "<metadata><formation:instance xmlns:formation='"
           "https://formation.invalid/xmlns/instance/1' id='"
        << id << "' storage='" << storage_dir.string() << "'>{}</formation:instance></metadata>"
        << "</domain>\n";
  }
  out << "</node>\n";
}

void add_instances(StateStore& store, int count) {
  auto tx = must(store.begin(), "begin");
  const auto now = std::chrono::system_clock::now();
  for (int i = 0; i < count; ++i) {
    Instance instance;
    instance.id = instance_id(i);
    instance.name = "bench " + std::to_string(i);
    instance.owner = "0x" + std::string(37, '0') + std::to_string(100 + i % 500);
    instance.build_id = "b";
    instance.node_id = "bench-node";
    instance.state = InstanceState::started;
    instance.vcpus = 1;
    instance.memory_mb = 512;
    instance.disk_gb = 1;
    instance.created_at = now;
    instance.updated_at = now;
    must(tx->instances().create(instance), "instance " + instance.id);
  }
  must(tx->commit(), "commit");
}

// `virsh domstats` wall time: a process, a connection (which parses the node XML), one
// bulk call, its output (to /dev/null).
double virsh_domstats_ms(const std::string& uri) {
  std::vector<std::string> argv = {"virsh",         "-c",          uri,           "domstats",
                                   "--list-active", "--state",     "--cpu-total", "--balloon",
                                   "--vcpu",        "--interface", "--block"};
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  const double start = wall_ms();
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, "virsh", &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot run virsh");
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error("virsh failed");
  return wall_ms() - start;
}

void print(const char* what, const Cost& c) {
  std::printf("  %-44s cpu %8.2f ms   wall %8.2f ms\n", what, c.cpu_ms, c.wall_ms);
}

}  // namespace

int bench_tick(const TickOptions& o) {
  const fs::path work = fs::temp_directory_path() / ("bench-metering-" + std::to_string(getpid()));
  fs::create_directories(work);
  const fs::path storage = work / "disks";
  const fs::path node = work / "node.xml";
  write_node(node, o.domains, storage);
  const std::string uri = "test://" + node.string();
  int rc = 0;
  {
    formation::testing::PluginRuntime runtime(work / "data");
    auto& store = runtime.start_store(o.plugins, "state-sqlite", "{}");
    runtime.start_plugin(o.plugins, "vmm-libvirt",
                         R"({"uri": ")" + uri + R"(", "domain_type": "qemu", "storage_dir": ")" +
                             storage.string() + R"("})");
    add_instances(store, o.domains);
    auto& meter = runtime.make<metering_usage::MeteringUsagePlugin>(
        "metering-usage", R"({"period_seconds": 86400})", metering_usage::settings_from, "default");
    must(meter.start(), "metering start");

    // The reference: the same bulk call, raw, on a connection of its own to the same URI.
    virConnectPtr conn = virConnectOpen(uri.c_str());
    if (conn == nullptr) throw std::runtime_error("cannot open " + uri);
    auto* vmm = static_cast<Vmm*>(runtime.find(PluginKind::vmm));
    std::vector<Cost> raw;
    std::vector<Cost> stats;
    std::vector<Cost> ticks;
    std::size_t raw_domains = 0;
    std::size_t samples = 0;
    // The first tick only sets baselines; it is not one of the measured.
    const auto baseline = must(meter.sample_now(), "first tick");
    for (int t = 0; t < o.ticks; ++t) {
      raw.push_back(measure([&] {
        virDomainStatsRecordPtr* records = nullptr;
        const int n = virConnectGetAllDomainStats(conn, kGroups, &records,
                                                  VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE);
        raw_domains = n < 0 ? 0 : static_cast<std::size_t>(n);
        if (records != nullptr) virDomainStatsRecordListFree(records);
      }));
      stats.push_back(measure([&] { (void)must(vmm->all_stats(), "all_stats"); }));
      ticks.push_back(measure([&] { samples = must(meter.sample_now(), "tick").size(); }));
    }
    virConnectClose(conn);
    std::vector<double> virsh;
    virsh.reserve(5);
    for (int i = 0; i < 5; ++i) virsh.push_back(virsh_domstats_ms(uri));

    const Cost tick = median(ticks);
    const Cost bulk = median(raw);
    const double virsh_ms = median(virsh);
    std::printf("== one sampling tick, %d running domains on %s ==\n", o.domains,
                "test://node.xml");
    std::printf("  first tick: %zu samples (baseline); later ticks: %zu samples each\n",
                baseline.size(), samples);
    print("MeteringUsagePlugin::sample_now, median", tick);
    print("  of it Vmm::all_stats (vmm-libvirt)", median(stats));
    print("virConnectGetAllDomainStats raw, median", bulk);
    std::printf("  %-44s                 wall %8.2f ms\n", "virsh domstats, median of 5", virsh_ms);
    std::printf("  ratio tick / raw bulk call: cpu %.1fx, wall %.1fx\n", tick.cpu_ms / bulk.cpu_ms,
                tick.wall_ms / bulk.wall_ms);
    std::printf("  ratio tick wall / virsh domstats wall: %.2fx\n", tick.wall_ms / virsh_ms);
    std::printf("  goal: tick under 50 ms CPU: %s (%.1f ms)\n",
                tick.cpu_ms < 50 ? "met" : "NOT met", tick.cpu_ms);
    if (samples != static_cast<std::size_t>(o.domains) || raw_domains < samples) rc = 1;
  }
  fs::remove_all(work);
  return rc;
}

}  // namespace formation::bench

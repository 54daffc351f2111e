// The snapshot, automatic names and the plugin's lifecycle against the real state-sqlite
// plugin, loaded and driven by the host's own machinery (plugin loader, HostServicesImpl,
// event bus, timers, blocking pool) — nothing here is a fake.
#include <gtest/gtest.h>

#include <thread>

#include "answers.hpp"
#include "automatic_names.hpp"
#include "config/json_file.hpp"
#include "dns_powerdns.hpp"
#include "plugins/plugin_library.hpp"
#include "plugins/plugin_registry.hpp"
#include "runtime/blocking_pool.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/metrics_registry.hpp"
#include "runtime/timer_service.hpp"
#include "support/fake_host_services.hpp"

namespace formation::dns_powerdns {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using testing::TempDir;

constexpr const char* kOwner = "0x1111111111111111111111111111111111111111";

// formationd's runtime in one object: the plugins under test get HostServicesImpl over it.
class HostRuntime {
 public:
  HostRuntime()
      : timers_(pool_),
        runtime_{events_,
                 timers_,
                 pool_,
                 metrics_,
                 [](Route, const std::string&) { return Status::unsupported("no routes here"); },
                 [this](PluginKind kind, std::string_view) -> Plugin* {
                   return kind == PluginKind::state_store ? store_plugin_.get() : nullptr;
                 },
                 dir_.path()} {}

  ~HostRuntime() {
    if (store_plugin_) store_plugin_->stop();
    timers_.shutdown();
    events_.shutdown();
    pool_.shutdown();
  }
  HostRuntime(const HostRuntime&) = delete;
  HostRuntime& operator=(const HostRuntime&) = delete;

  // Loads state-sqlite.so as formationd does and starts it on a fresh database.
  StateStore& start_store() {
    auto lib = host::load_plugin_library(fs::path(PLUGIN_BUILD_DIR) / "state-sqlite.so");
    EXPECT_TRUE(lib.is_ok()) << lib.status().message();
    store_library_ = *lib;
    auto& services = services_for("state-sqlite", "{}");
    auto created = lib->descriptor->create(services);
    EXPECT_TRUE(created.is_ok()) << created.status().message();
    store_plugin_ = std::move(created).value();
    auto st = store_plugin_->start();
    EXPECT_TRUE(st.is_ok()) << st.message();
    return static_cast<StateStore&>(*store_plugin_);
  }

  HostServices& services_for(const std::string& plugin, const std::string& parameters) {
    auto doc = std::make_shared<rapidjson::Document>();
    doc->Parse(parameters.c_str());
    services_.push_back(std::make_unique<host::HostServicesImpl>(runtime_, plugin, "test", doc));
    return *services_.back();
  }

  EventBus& events() { return events_; }
  host::RuntimeServices& runtime() { return runtime_; }
  [[nodiscard]] const fs::path& dir() const { return dir_.path(); }

 private:
  TempDir dir_{"dns-powerdns-test"};
  host::ThreadPool pool_{2};
  host::InProcessEventBus events_;
  host::TimerService timers_;
  host::MetricsRegistry metrics_;
  host::RuntimeServices runtime_;
  host::PluginLibrary store_library_;
  std::unique_ptr<Plugin> store_plugin_;
  std::vector<std::unique_ptr<host::HostServicesImpl>> services_;
};

// Writes rows the way the host would, each in its own transaction.
template <typename Fn>
void write(StateStore& store, Fn fn) {
  auto tx = store.begin();
  ASSERT_TRUE(tx.is_ok()) << tx.status().message();
  fn(**tx);
  auto st = (*tx)->commit();
  ASSERT_TRUE(st.is_ok()) << st.message();
}

Instance add_instance(StateStore& store, const std::string& id, const std::string& name,
                      const std::string& node_id, std::optional<std::string> formnet_ip = {}) {
  Instance i;
  i.id = id;
  i.name = name;
  i.owner = kOwner;
  i.build_id = "b0";
  i.node_id = node_id;
  i.formnet_ip = std::move(formnet_ip);
  Instance out;
  write(store, [&](Transaction& tx) {
    auto created = tx.instances().create(i);
    ASSERT_TRUE(created.is_ok()) << created.status().message();
    out = *created;
  });
  return out;
}

void add_node(StateStore& store, const std::string& id, const std::string& region,
              const std::string& ip) {
  Node n;
  n.id = id;
  n.region = region;
  n.public_ip = ip;
  n.endpoint = "https://" + ip + ":3004";
  write(store, [&](Transaction& tx) {
    ASSERT_TRUE(tx.nodes().upsert(n).is_ok());
    ASSERT_TRUE(tx.nodes().heartbeat(id, std::chrono::system_clock::now()).is_ok());
  });
}

void add_record(StateStore& store, DnsRecord r) {
  write(store, [&](Transaction& tx) {
    auto created = tx.dns_records().create(r);
    ASSERT_TRUE(created.is_ok()) << created.status().message();
  });
}

Instance get_instance(StateStore& store, const std::string& id) {
  auto tx = store.begin();
  auto got = (*tx)->instances().get(id);
  EXPECT_TRUE(got.is_ok()) << got.status().message();
  return got.is_ok() ? *got : Instance{};
}

std::vector<DnsRecord> records_of(StateStore& store, const std::string& instance_id) {
  auto tx = store.begin();
  DnsRecordFilter filter;
  filter.instance_id = instance_id;
  auto page = (*tx)->dns_records().list(filter, {});
  EXPECT_TRUE(page.is_ok()) << page.status().message();
  return page.is_ok() ? page->items : std::vector<DnsRecord>{};
}

AnswerSettings answer_settings(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  auto s = settings_from(doc, "/tmp");
  EXPECT_TRUE(s.is_ok()) << s.status().message();
  return s->answers;
}

std::shared_ptr<spdlog::logger> quiet_logger() {
  return std::make_shared<spdlog::logger>("dns-powerdns-test");
}

// Waits for something the plugin does on its own threads (an event's work); gives up after
// a generous deadline so that a failure is a failed expectation, not a hang.
template <typename Fn>
bool eventually(Fn condition) {
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

TEST(SnapshotFromStore, ServesWhatTheStoreHolds) {
  HostRuntime host;
  StateStore& store = host.start_store();
  add_node(store, "0xaaaa", "eu", "203.0.113.1");
  add_instance(store, "i1", "app", "0xaaaa", "10.42.0.9");
  DnsRecord r;
  r.fqdn = "app.formation.test";
  r.instance_id = "i1";
  r.owner = kOwner;
  r.verified = true;
  add_record(store, r);
  DnsRecord pending;
  pending.fqdn = "example.org";
  pending.values = {"192.0.2.1"};
  pending.owner = kOwner;
  add_record(store, pending);  // not verified: not served

  auto input = read_snapshot_input(store);
  ASSERT_TRUE(input.is_ok()) << input.status().message();
  EXPECT_EQ(input->records.size(), 2u);
  EXPECT_EQ(input->nodes.size(), 1u);
  EXPECT_EQ(input->instances.size(), 1u);
  auto snapshot = build_snapshot(answer_settings(R"({"zone": "formation.test"})"), *input);
  SnapshotView view;
  view.publish(snapshot);
  std::vector<Answer> out;
  view.lookup("app.formation.test", "A", ClientInfo{"10.42.0.1", ""}, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].content, "10.42.0.9");
  out.clear();
  view.lookup("app.formation.test", "A", ClientInfo{"198.51.100.1", ""}, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].content, "203.0.113.1");
  ZoneInfo zone;
  ASSERT_TRUE(view.zone("formation.test", zone));
  EXPECT_EQ(static_cast<std::int64_t>(zone.serial), input->change_serial);
  EXPECT_FALSE(view.zone("example.org", zone));
}

TEST(AutomaticNames, CollisionsGetSuffixesAndTheInstanceShowsItsName) {
  HostRuntime host;
  StateStore& store = host.start_store();
  AutomaticNames names(store, "formation.test", 60, quiet_logger(), 0s);
  add_instance(store, "i1", "web", "");
  add_instance(store, "i2", "web", "");
  add_instance(store, "i3", "Web Server!", "");

  auto first = names.name_instance("i1");
  ASSERT_TRUE(first.is_ok()) << first.status().message();
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ((*first)[0].fqdn, "web.formation.test");
  auto second = names.name_instance("i2");
  ASSERT_TRUE(second.is_ok()) << second.status().message();
  EXPECT_EQ((*second)[0].fqdn, "web-2.formation.test");
  EXPECT_EQ(get_instance(store, "i2").dns_name, "web-2.formation.test");
  auto third = names.name_instance("i3");
  ASSERT_TRUE(third.is_ok());
  EXPECT_EQ((*third)[0].fqdn, "web-server.formation.test");

  auto records = records_of(store, "i2");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].type, DnsRecordType::a);
  EXPECT_EQ(records[0].ttl, 60);
  EXPECT_EQ(records[0].owner, kOwner);
  EXPECT_TRUE(records[0].verified);

  // Naming twice (an event delivered again) changes nothing.
  auto again = names.name_instance("i1");
  ASSERT_TRUE(again.is_ok());
  EXPECT_TRUE(again->empty());
  EXPECT_EQ(records_of(store, "i1").size(), 1u);

  auto missing = names.name_instance("nope");
  EXPECT_EQ(missing.status().code(), StatusCode::not_found);

  auto forgotten = names.forget_instance("i1");
  ASSERT_TRUE(forgotten.is_ok());
  ASSERT_EQ(forgotten->size(), 1u);
  EXPECT_TRUE((*forgotten)[0].removed);
  EXPECT_TRUE(records_of(store, "i1").empty());
}

TEST(AutomaticNames, LongNamesAreTrimmedToALabel) {
  const std::string long_name(80, 'a');
  auto first = candidate_name(long_name, "formation.test", 1);
  EXPECT_EQ(first, std::string(63, 'a') + ".formation.test");
  auto tenth = candidate_name(long_name, "formation.test", 10);
  EXPECT_EQ(tenth, std::string(60, 'a') + "-10.formation.test");
  EXPECT_EQ(candidate_name("ab-" + std::string(70, 'c'), "z", 1).size(), 63u + 2u);
}

TEST(AutomaticNames, ReconcileNamesTheUnnamedAndRemovesOrphans) {
  HostRuntime host;
  StateStore& store = host.start_store();
  AutomaticNames names(store, "formation.test", 60, quiet_logger(), 0s);
  add_instance(store, "i1", "db", "");
  DnsRecord orphan;
  orphan.fqdn = "old.formation.test";
  orphan.instance_id = "deleted-instance";
  orphan.owner = kOwner;
  orphan.verified = true;
  add_record(store, orphan);

  auto input = read_snapshot_input(store);
  ASSERT_TRUE(input.is_ok());
  auto changes = names.reconcile(input->instances, input->records);
  ASSERT_TRUE(changes.is_ok()) << changes.status().message();
  EXPECT_EQ(changes->size(), 2u);
  EXPECT_TRUE(records_of(store, "deleted-instance").empty());
  EXPECT_EQ(get_instance(store, "i1").dns_name, "db.formation.test");

  // A second pass finds nothing to do.
  input = read_snapshot_input(store);
  changes = names.reconcile(input->instances, input->records);
  ASSERT_TRUE(changes.is_ok());
  EXPECT_TRUE(changes->empty());

  // Instances younger than the grace period belong to their creating host's event.
  AutomaticNames patient(store, "formation.test", 60, quiet_logger(), 3600s);
  add_instance(store, "i2", "fresh", "");
  input = read_snapshot_input(store);
  changes = patient.reconcile(input->instances, input->records);
  ASSERT_TRUE(changes.is_ok());
  EXPECT_TRUE(changes->empty());
}

std::string plugin_parameters(const fs::path& dir) {
  return R"({"zone": "formation.test", "refresh_seconds": 1,
             "connectors": {"unix": {"path": ")" +
         (dir / "pdns.sock").string() + R"("}, "http": {"port": 0}}})";
}

std::unique_ptr<PowerDnsPlugin> make_plugin(HostRuntime& host, const std::string& parameters) {
  auto& services = host.services_for("dns-powerdns", parameters);
  auto settings = settings_from(services.parameters(), services.data_dir());
  EXPECT_TRUE(settings.is_ok()) << settings.status().message();
  return std::make_unique<PowerDnsPlugin>(services, std::move(settings).value());
}

std::vector<std::string> addresses(PowerDnsPlugin& plugin, const std::string& name,
                                   const std::string& client = "") {
  auto answers = plugin.lookup(name, "A", client);
  std::vector<std::string> out;
  if (!answers.is_ok()) return {"error: " + answers.status().message()};
  for (const auto& a : *answers) out.push_back(a.content);
  return out;
}

TEST(Plugin, NamesInstancesFromEventsAndForgetsThem) {
  HostRuntime host;
  StateStore& store = host.start_store();
  add_node(store, "0xaaaa", "eu", "203.0.113.1");
  auto plugin = make_plugin(host, plugin_parameters(host.dir()));
  ASSERT_TRUE(plugin->start().is_ok());
  EXPECT_EQ(plugin->network_zone(), "formation.test");
  EXPECT_TRUE(fs::exists(host.dir() / "pdns.sock"));
  EXPECT_TRUE(plugin->http_port().has_value());
  EXPECT_NE(*plugin->http_port(), 0);

  std::vector<std::string> changed;
  std::mutex changed_mutex;
  host.events().subscribe("dns.record_changed", [&](const Event& e) {
    const std::lock_guard lock(changed_mutex);
    changed.push_back(e.payload_json);
  });

  auto instance = add_instance(store, "i1", "shop", "0xaaaa", "10.42.0.5");
  host.events().publish(
      Event{"instance.created",
            R"({"id": "i1", "name": "shop", "owner": ")" + std::string(kOwner) + R"("})", "host"});
  ASSERT_TRUE(eventually([&] { return !addresses(*plugin, "shop.formation.test").empty(); }));
  EXPECT_EQ(addresses(*plugin, "shop.formation.test"), std::vector<std::string>{"203.0.113.1"});
  EXPECT_EQ(addresses(*plugin, "SHOP.Formation.Test.", "10.42.7.7"),
            std::vector<std::string>{"10.42.0.5"});
  EXPECT_EQ(get_instance(store, "i1").dns_name, "shop.formation.test");
  ASSERT_TRUE(eventually([&] {
    const std::lock_guard lock(changed_mutex);
    return !changed.empty();
  }));
  {
    const std::lock_guard lock(changed_mutex);
    EXPECT_NE(changed[0].find("\"fqdn\":\"shop.formation.test\""), std::string::npos);
  }

  host.events().publish(Event{"instance.deleted", R"({"id": "i1"})", "host"});
  ASSERT_TRUE(eventually([&] { return addresses(*plugin, "shop.formation.test").empty(); }));
  EXPECT_TRUE(records_of(store, "i1").empty());

  // Garbage payloads are logged and ignored.
  host.events().publish(Event{"instance.created", "not json", "host"});
  host.events().publish(Event{"instance.deleted", R"({"id": 7})", "host"});
  EXPECT_EQ(plugin->health().state, HealthState::ok);
  plugin->stop();
  EXPECT_FALSE(fs::exists(host.dir() / "pdns.sock"));
}

TEST(Plugin, ReloadMakesAStoreChangeVisibleAtOnce) {
  HostRuntime host;
  StateStore& store = host.start_store();
  auto plugin = make_plugin(host, R"({"zone": "formation.test", "refresh_seconds": 3600,
                                      "connectors": {"unix": {"enabled": false}}})");
  ASSERT_TRUE(plugin->start().is_ok());
  DnsRecord r;
  r.fqdn = "vanity.formation.test";
  r.values = {"192.0.2.77"};
  r.owner = kOwner;
  r.verified = true;
  add_record(store, r);
  EXPECT_TRUE(addresses(*plugin, "vanity.formation.test").empty());  // not reloaded yet
  ASSERT_TRUE(plugin->reload().is_ok());
  EXPECT_EQ(addresses(*plugin, "vanity.formation.test"), std::vector<std::string>{"192.0.2.77"});
  auto zones = plugin->zones();
  ASSERT_TRUE(zones.is_ok());
  EXPECT_EQ(*zones, std::vector<std::string>{"formation.test"});

  auto soa = plugin->lookup("formation.test", "soa", "");
  ASSERT_TRUE(soa.is_ok());
  ASSERT_EQ(soa->size(), 1u);
  EXPECT_EQ((*soa)[0].type, "SOA");
  EXPECT_EQ(plugin->lookup("a..b", "A", "").status().code(), StatusCode::invalid);
  EXPECT_EQ(plugin->lookup("formation.test", "A;", "").status().code(), StatusCode::invalid);
  EXPECT_EQ(plugin->lookup("formation.test", "A", "10.0.0.300").status().code(),
            StatusCode::invalid);
  plugin->stop();
}

TEST(Plugin, RefreshPicksUpOtherHostsChanges) {
  HostRuntime host;
  StateStore& store = host.start_store();
  auto plugin = make_plugin(host, R"({"zone": "formation.test", "refresh_seconds": 1,
                                      "connectors": {"unix": {"enabled": false}}})");
  ASSERT_TRUE(plugin->start().is_ok());
  DnsRecord r;
  r.fqdn = "elsewhere.formation.test";
  r.values = {"192.0.2.88"};
  r.owner = kOwner;
  r.verified = true;
  add_record(store, r);  // no event, no reload(): as if another host wrote it
  EXPECT_TRUE(eventually([&] { return !addresses(*plugin, "elsewhere.formation.test").empty(); }));
  plugin->stop();
}

TEST(Plugin, StartFailsClearly) {
  HostRuntime host;
  // No state store configured.
  auto lonely = make_plugin(host, R"({"connectors": {"unix": {"enabled": false}}})");
  auto st = lonely->start();
  EXPECT_EQ(st.code(), StatusCode::unavailable);
  EXPECT_NE(st.message().find("state-sqlite"), std::string::npos) << st.message();

  host.start_store();
  auto bad_socket =
      make_plugin(host, R"({"connectors": {"unix": {"path": "/nonexistent-dir/x/pdns.sock"}}})");
  st = bad_socket->start();
  EXPECT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("/nonexistent-dir/x/pdns.sock"), std::string::npos) << st.message();
}

// The library as formationd loads it: descriptor, schema defaults and the shipped config.
TEST(Plugin, ShippedConfigStartsUnderTheHostsRegistry) {
  HostRuntime host;
  auto store_lib = host::load_plugin_library(fs::path(PLUGIN_BUILD_DIR) / "state-sqlite.so");
  auto dns_lib = host::load_plugin_library(fs::path(PLUGIN_BUILD_DIR) / "dns-powerdns.so");
  ASSERT_TRUE(store_lib.is_ok()) << store_lib.status().message();
  ASSERT_TRUE(dns_lib.is_ok()) << dns_lib.status().message();
  EXPECT_EQ(dns_lib->descriptor->kind, PluginKind::dns);
  ASSERT_EQ(dns_lib->descriptor->depends_on.size(), 1u);
  EXPECT_EQ(dns_lib->descriptor->depends_on[0], PluginKind::state_store);

  host::PluginCatalog catalog;
  catalog.plugins.emplace("state-sqlite", *store_lib);
  catalog.plugins.emplace("dns-powerdns", *dns_lib);
  auto shipped = host::read_json_file(
      fs::path(FORMATION_SOURCE_DIR) / "etc/formation/plugins.d/dns-powerdns.json",
      "plugins.d/dns-powerdns.json");
  ASSERT_TRUE(shipped.is_ok()) << shipped.status().message();
  auto parameters = std::make_shared<rapidjson::Document>();
  parameters->CopyFrom((*shipped)["parameters"], parameters->GetAllocator());
  host::LoadedConfig config;
  config.plugins.push_back({"plugins.d/dns-powerdns.json", "dns-powerdns", "default", parameters});
  auto empty = std::make_shared<rapidjson::Document>();
  empty->SetObject();
  config.plugins.push_back({"plugins.d/state-sqlite.json", "state-sqlite", "default", empty});
  auto prepared = host::prepare_instances(config, catalog);
  ASSERT_TRUE(prepared.is_ok()) << prepared.status().message();

  host::RuntimeServices runtime = host.runtime();
  host::PluginRegistry* registry_ptr = nullptr;
  runtime.find_plugin = [&](PluginKind k, std::string_view i) {
    return registry_ptr ? registry_ptr->find(k, i) : nullptr;
  };
  host::PluginRegistry registry(runtime);
  registry_ptr = &registry;
  auto started = registry.create_and_start(std::move(prepared).value());
  ASSERT_TRUE(started.is_ok()) << started.message();
  auto* dns = static_cast<Dns*>(registry.find(PluginKind::dns, {}));
  ASSERT_NE(dns, nullptr);
  EXPECT_EQ(dns->network_zone(), "formation.internal");
  auto ns = dns->lookup("formation.internal", "NS", "");
  ASSERT_TRUE(ns.is_ok()) << ns.status().message();
  ASSERT_EQ(ns->size(), 1u);
  EXPECT_EQ((*ns)[0].content, "ns1.formation.internal.");
  EXPECT_TRUE(fs::exists(host.dir() / "dns-powerdns" / "default" / "pdns.sock"));
  registry.stop_all();
}

}  // namespace
}  // namespace formation::dns_powerdns

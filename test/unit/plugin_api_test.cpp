// Unit tests of the plugin SDK: Status/Result, the records' wire names, and every kind
// interface: a plugin implementing only the REQUIRED methods compiles, and each OPTIONAL
// method answers `unsupported` naming "<kind>.<method>".
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "formation/kinds.hpp"
#include "formation/plugin.hpp"
#include "formation/records.hpp"
#include "formation/status.hpp"

namespace formation {
namespace {

using namespace std::chrono_literals;

// ---- Status and Result -----------------------------------------------------------------

TEST(Status, DefaultIsOk) {
  Status status;
  EXPECT_TRUE(status.is_ok());
  EXPECT_EQ(status.code(), StatusCode::ok);
  EXPECT_EQ(status.message(), "");
  EXPECT_EQ(status.to_string(), "ok");
  EXPECT_TRUE(Status::ok().is_ok());
}

TEST(Status, FactoriesSetCodeAndMessage) {
  const std::vector<std::pair<Status, StatusCode>> cases = {
      {Status::not_found("m"), StatusCode::not_found},
      {Status::invalid("m"), StatusCode::invalid},
      {Status::conflict("m"), StatusCode::conflict},
      {Status::unavailable("m"), StatusCode::unavailable},
      {Status::unsupported("m"), StatusCode::unsupported},
      {Status::permission_denied("m"), StatusCode::permission_denied},
      {Status::internal("m"), StatusCode::internal},
  };
  for (const auto& [status, code] : cases) {
    EXPECT_FALSE(status.is_ok());
    EXPECT_EQ(status.code(), code);
    EXPECT_EQ(status.message(), "m");
  }
  EXPECT_EQ(Status::not_found("no such instance").to_string(), "not_found: no such instance");
  EXPECT_EQ(Status(StatusCode::conflict, "").to_string(), "conflict");
}

TEST(Status, WireNamesAreTheApiErrorCodes) {
  EXPECT_EQ(to_string(StatusCode::ok), "ok");
  EXPECT_EQ(to_string(StatusCode::not_found), "not_found");
  EXPECT_EQ(to_string(StatusCode::invalid), "invalid");
  EXPECT_EQ(to_string(StatusCode::conflict), "conflict");
  EXPECT_EQ(to_string(StatusCode::unavailable), "unavailable");
  EXPECT_EQ(to_string(StatusCode::unsupported), "unsupported");
  EXPECT_EQ(to_string(StatusCode::permission_denied), "permission_denied");
  EXPECT_EQ(to_string(StatusCode::internal), "internal");
}

TEST(Status, WireNamesParseBack) {
  for (StatusCode code : kAllStatusCodes) {
    EXPECT_EQ(parse_status_code(to_string(code)), code) << to_string(code);
  }
  EXPECT_EQ(parse_status_code("Not_Found"), std::nullopt);
  EXPECT_EQ(parse_status_code(""), std::nullopt);
}

TEST(Result, HoldsAValue) {
  Result<int> result = 42;
  ASSERT_TRUE(result.is_ok());
  EXPECT_TRUE(result.status().is_ok());
  EXPECT_EQ(result.value(), 42);
  EXPECT_EQ(*result, 42);
  result.value() = 7;
  EXPECT_EQ(*result, 7);
}

TEST(Result, HoldsAFailure) {
  Result<std::string> result = Status::conflict("instance is Stopped, not Started");
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().code(), StatusCode::conflict);
  EXPECT_EQ(result.status().message(), "instance is Stopped, not Started");
}

TEST(Result, MemberAccessAndMoveOnlyValues) {
  Result<std::string> text = std::string("abc");
  EXPECT_EQ(text->size(), 3U);

  Result<std::unique_ptr<int>> owned = std::make_unique<int>(5);
  ASSERT_TRUE(owned.is_ok());
  std::unique_ptr<int> taken = std::move(owned).value();
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(*taken, 5);
}

TEST(Result, BoolAndOptionalValuesAreNotConfusedWithFailure) {
  Result<bool> seen_before = false;
  ASSERT_TRUE(seen_before.is_ok());
  EXPECT_FALSE(seen_before.value());

  Result<std::optional<UsageRecord>> nothing = std::optional<UsageRecord>{};
  ASSERT_TRUE(nothing.is_ok());  // "no data" is not an error
  EXPECT_FALSE(nothing->has_value());
}

// ---- records ---------------------------------------------------------------------------

template <typename E, std::size_t N, typename Parse>
void expect_round_trip(const std::array<E, N>& all, Parse parse) {
  for (E value : all) {
    EXPECT_EQ(parse(to_string(value)), value) << to_string(value);
  }
  EXPECT_EQ(parse("no-such-name"), std::nullopt);
}

TEST(Records, EnumWireNamesRoundTrip) {
  expect_round_trip(kAllInstanceStates, parse_instance_state);
  expect_round_trip(kAllBuildStates, parse_build_state);
  expect_round_trip(kAllOperationStates, parse_operation_state);
  expect_round_trip(kAllAccessLevels, parse_access_level);
  expect_round_trip(kAllDnsRecordTypes, parse_dns_record_type);
  expect_round_trip(kAllMeshPeerKinds, parse_mesh_peer_kind);
  expect_round_trip(kAllOutboxStates, parse_outbox_state);
}

TEST(Records, InstanceAndBuildStatesKeepTheSeedSpelling) {
  EXPECT_EQ(to_string(InstanceState::building), "Building");
  EXPECT_EQ(to_string(InstanceState::built), "Built");
  EXPECT_EQ(to_string(InstanceState::created), "Created");
  EXPECT_EQ(to_string(InstanceState::started), "Started");
  EXPECT_EQ(to_string(InstanceState::stopped), "Stopped");
  EXPECT_EQ(to_string(InstanceState::killed), "Killed");
  EXPECT_EQ(to_string(InstanceState::critical_error), "CriticalError");
  EXPECT_EQ(to_string(BuildState::failed), "Failed");
  EXPECT_EQ(kAllInstanceStates.size(), 7U);
}

TEST(Records, OtherWireNames) {
  EXPECT_EQ(to_string(AccessLevel::operator_), "operator");
  EXPECT_EQ(to_string(AccessLevel::read_only), "read_only");
  EXPECT_EQ(to_string(DnsRecordType::aaaa), "AAAA");
  EXPECT_EQ(to_string(DnsRecordType::cname), "CNAME");
  EXPECT_EQ(to_string(OutboxState::in_flight), "in_flight");
  EXPECT_EQ(to_string(MeshPeerKind::device), "device");
  EXPECT_EQ(to_string(DomainRunState::shut_off), "shut_off");
}

TEST(Records, AccessLevelsAreOrdered) {
  EXPECT_TRUE(includes(AccessLevel::owner, AccessLevel::manager));
  EXPECT_TRUE(includes(AccessLevel::manager, AccessLevel::operator_));
  EXPECT_TRUE(includes(AccessLevel::operator_, AccessLevel::read_only));
  EXPECT_TRUE(includes(AccessLevel::operator_, AccessLevel::operator_));
  EXPECT_FALSE(includes(AccessLevel::read_only, AccessLevel::operator_));
  EXPECT_FALSE(includes(AccessLevel::manager, AccessLevel::owner));
}

TEST(Records, WebhookEventMatching) {
  EXPECT_TRUE(webhook_event_matches("usage", "usage.sample"));
  EXPECT_TRUE(webhook_event_matches("usage.sample", "usage.sample"));
  EXPECT_TRUE(webhook_event_matches("threshold", "threshold.violation"));
  EXPECT_FALSE(webhook_event_matches("usage", "usagex.sample"));
  EXPECT_FALSE(webhook_event_matches("usage.sample", "usage"));
  EXPECT_FALSE(webhook_event_matches("threshold", "usage.sample"));
}

TEST(Records, Defaults) {
  EXPECT_TRUE(Page<Account>{}.last());
  EXPECT_FALSE((Page<Account>{{}, "t1"}.last()));
  EXPECT_EQ(PageRequest{}.limit, 0);
  EXPECT_EQ(Account{}.version, 0);
  EXPECT_EQ(Operation{}.error_code, StatusCode::ok);
  EXPECT_TRUE(is_finished(OperationState::failed));
  EXPECT_FALSE(is_finished(OperationState::running));

  Node node;
  node.capacity = {8, 16384, 200};
  node.allocated = {3, 4096, 50};
  EXPECT_EQ(node.available(), (Resources{5, 12288, 150}));

  Instance instance;
  instance.vcpus = 2;
  instance.memory_mb = 2048;
  instance.disk_gb = 20;
  EXPECT_EQ(instance.resources(), (Resources{2, 2048, 20}));
}

TEST(Records, MoneyIsIntegral) {
  static_assert(std::is_same_v<decltype(LedgerEntry::amount_micro), std::int64_t>);
  static_assert(std::is_same_v<decltype(std::declval<Billing&>().price(UsageRecord{})),
                               Result<std::int64_t>>);
  static_assert(
      std::is_same_v<decltype(std::declval<Billing&>().balance("")), Result<std::int64_t>>);
}

// ---- kinds: minimal plugins with only the REQUIRED methods ------------------------------

class MinimalStateStore final : public StateStore {
 public:
  Result<int> migrate() override { return 3; }
  Result<int> schema_version() override { return 3; }
  Result<std::unique_ptr<Transaction>> begin() override {
    return Status::unavailable("no database in this test");
  }
};

class MinimalVmm final : public Vmm {
 public:
  Status define(const DomainSpec&) override { return Status::ok(); }
  Status start(const std::string&) override { return Status::ok(); }
  Status stop(const std::string&, std::chrono::seconds) override { return Status::ok(); }
  Status reboot(const std::string&) override { return Status::ok(); }
  Status destroy(const std::string&) override { return Status::ok(); }
  Status undefine(const std::string&) override { return Status::ok(); }
  Result<DomainState> state(const std::string& id) override {
    return DomainState{id, DomainRunState::shut_off, "defined"};
  }
  Result<std::vector<DomainState>> list_domains() override { return std::vector<DomainState>{}; }
};

class MinimalImageBuilder final : public ImageBuilder {
 public:
  Result<BuildArtifacts> build(const BuildRequest&, const ProgressCallback& progress) override {
    if (progress) progress(100, "done");
    return BuildArtifacts{};
  }
  Status remove(const std::string&) override { return Status::ok(); }
};

class MinimalMesh final : public Mesh {
 public:
  Result<MeshPeer> allocate_address(MeshPeerKind, const std::string&) override {
    return MeshPeer{};
  }
  Status release_address(const std::string&) override { return Status::ok(); }
  Result<MeshPeer> add_peer(const MeshPeerRequest&) override { return MeshPeer{}; }
  Status remove_peer(const std::string&) override { return Status::ok(); }
  Result<std::vector<MeshPeer>> list_peers(const std::string&) override {
    return std::vector<MeshPeer>{};
  }
  Result<PeerConfig> peer_config_for(const std::string&) override { return PeerConfig{}; }
  Status apply() override { return Status::ok(); }
  Result<LocalInterface> local_interface() override { return LocalInterface{}; }
};

class MinimalDns final : public Dns {
 public:
  std::string network_zone() override { return "formation.test"; }
  Result<std::vector<std::string>> zones() override {
    return std::vector<std::string>{"formation.test"};
  }
  Status reload() override { return Status::ok(); }
};

class MinimalUsageMeter final : public UsageMeter {
 public:
  Result<std::vector<UsageSample>> sample_now() override { return std::vector<UsageSample>{}; }
  Result<UsageSummary> current_usage(const std::string&) override {
    return Status::not_found("no such instance");
  }
  Result<std::vector<UsageSummary>> usage_for_owner(const std::string&) override {
    return std::vector<UsageSummary>{};
  }
};

class MinimalBilling final : public Billing {
 public:
  Result<std::int64_t> price(const UsageRecord&) override { return std::int64_t{0}; }
  Result<LedgerEntry> debit(const std::string&, const UsageRecord&) override {
    return LedgerEntry{};
  }
  Result<std::int64_t> balance(const std::string&) override { return std::int64_t{0}; }
  Result<CreateDecision> may_create(const std::string&, const InstanceRequest&) override {
    return CreateDecision{true, {}};
  }
};

class MinimalExtension final : public Extension {};

// Every kind interface is abstract (except Extension, which has nothing to implement) and
// the minimal plugins are complete.
static_assert(std::is_abstract_v<StateStore> && std::is_abstract_v<Vmm> &&
              std::is_abstract_v<ImageBuilder> && std::is_abstract_v<Mesh> &&
              std::is_abstract_v<Dns> && std::is_abstract_v<UsageMeter> &&
              std::is_abstract_v<Billing>);
static_assert(!std::is_abstract_v<MinimalStateStore> && !std::is_abstract_v<MinimalVmm> &&
              !std::is_abstract_v<MinimalImageBuilder> && !std::is_abstract_v<MinimalMesh> &&
              !std::is_abstract_v<MinimalDns> && !std::is_abstract_v<MinimalUsageMeter> &&
              !std::is_abstract_v<MinimalBilling> && !std::is_abstract_v<MinimalExtension>);
static_assert(std::is_abstract_v<Transaction> && std::is_abstract_v<AccountRepository> &&
              std::is_abstract_v<GrantRepository> && std::is_abstract_v<InstanceRepository> &&
              std::is_abstract_v<BuildRepository> && std::is_abstract_v<NodeRepository> &&
              std::is_abstract_v<OperationRepository> && std::is_abstract_v<DnsRecordRepository> &&
              std::is_abstract_v<MeshPeerRepository> && std::is_abstract_v<UsageRepository> &&
              std::is_abstract_v<WebhookRepository> && std::is_abstract_v<OutboxRepository> &&
              std::is_abstract_v<LedgerRepository> && std::is_abstract_v<NonceRepository>);
static_assert(std::has_virtual_destructor_v<Transaction>);

// An optional method's answer: unsupported, naming "<kind>.<method>".
void expect_unsupported(const Status& status, const std::string& method) {
  EXPECT_EQ(status.code(), StatusCode::unsupported) << method;
  EXPECT_EQ(status.message(), method + " is not supported by this plugin");
}
template <typename T>
void expect_unsupported(const Result<T>& result, const std::string& method) {
  ASSERT_FALSE(result.is_ok()) << method;
  expect_unsupported(result.status(), method);
}

TEST(Kinds, EachDeclaresItsKind) {
  EXPECT_EQ(StateStore::kKind, PluginKind::state_store);
  EXPECT_EQ(Vmm::kKind, PluginKind::vmm);
  EXPECT_EQ(ImageBuilder::kKind, PluginKind::image_builder);
  EXPECT_EQ(Mesh::kKind, PluginKind::mesh);
  EXPECT_EQ(Dns::kKind, PluginKind::dns);
  EXPECT_EQ(UsageMeter::kKind, PluginKind::usage_meter);
  EXPECT_EQ(Billing::kKind, PluginKind::billing);
  EXPECT_EQ(Extension::kKind, PluginKind::extension);
  // The kind names used in the unsupported messages are the PluginKind wire names.
  EXPECT_EQ(to_string(Vmm::kKind), "vmm");
  EXPECT_EQ(to_string(Mesh::kKind), "mesh");
  EXPECT_EQ(to_string(Dns::kKind), "dns");
  EXPECT_EQ(to_string(Billing::kKind), "billing");
}

TEST(Kinds, PluginDefaultsAreHealthy) {
  MinimalExtension extension;
  Plugin& plugin = extension;
  EXPECT_TRUE(plugin.start().is_ok());
  EXPECT_EQ(plugin.health().state, HealthState::ok);
  plugin.stop();
}

TEST(StateStoreKind, RequiredMethodsAreCallable) {
  MinimalStateStore store;
  auto version = store.migrate();
  ASSERT_TRUE(version.is_ok());
  EXPECT_EQ(*version, 3);
  auto transaction = store.begin();
  EXPECT_EQ(transaction.status().code(), StatusCode::unavailable);
}

TEST(VmmKind, OptionalMethodsAnswerUnsupported) {
  MinimalVmm vmm;
  Vmm& api = vmm;
  expect_unsupported(api.set_vcpus("ab12", 4), "vmm.set_vcpus");
  expect_unsupported(api.set_memory("ab12", 4096), "vmm.set_memory");
  expect_unsupported(api.attach_disk("ab12", 10), "vmm.attach_disk");
  expect_unsupported(api.all_stats(), "vmm.all_stats");
  expect_unsupported(api.host_capacity(), "vmm.host_capacity");
  expect_unsupported(api.subscribe([](const DomainEvent&) {}), "vmm.subscribe");
  expect_unsupported(api.unsubscribe(1), "vmm.unsubscribe");
}

TEST(VmmKind, RequiredMethodsAreCallable) {
  MinimalVmm vmm;
  Vmm& api = vmm;
  EXPECT_TRUE(api.define(DomainSpec{}).is_ok());
  EXPECT_TRUE(api.stop("ab12", 30s).is_ok());
  auto state = api.state("ab12");
  ASSERT_TRUE(state.is_ok());
  EXPECT_EQ(state->instance_id, "ab12");
  EXPECT_EQ(state->state, DomainRunState::shut_off);
}

TEST(ImageBuilderKind, RequiredMethodsAreCallable) {
  MinimalImageBuilder builder;
  ImageBuilder& api = builder;
  int last_percent = -1;
  auto artifacts = api.build(BuildRequest{}, [&](int percent, std::string_view message) {
    last_percent = percent;
    EXPECT_EQ(message, "done");
  });
  EXPECT_TRUE(artifacts.is_ok());
  EXPECT_EQ(last_percent, 100);
  EXPECT_TRUE(api.build(BuildRequest{}, ProgressCallback{}).is_ok());  // progress may be empty
  EXPECT_TRUE(api.remove("00").is_ok());
}

TEST(MeshKind, OptionalMethodsAnswerUnsupported) {
  MinimalMesh mesh;
  Mesh& api = mesh;
  expect_unsupported(api.report_endpoints("ab12", {"192.168.1.5:51820"}, "203.0.113.9:40000"),
                     "mesh.report_endpoints");
  EXPECT_TRUE(api.apply().is_ok());
}

TEST(DnsKind, OptionalMethodsAnswerUnsupported) {
  MinimalDns dns;
  Dns& api = dns;
  expect_unsupported(api.lookup("web.formation.test", "A", "10.42.0.2"), "dns.lookup");
  expect_unsupported(api.check_verification("example.org", "token"), "dns.check_verification");
  auto zones = api.zones();
  ASSERT_TRUE(zones.is_ok());
  EXPECT_EQ(*zones, std::vector<std::string>{"formation.test"});
}

TEST(UsageMeterKind, RequiredMethodsAreCallable) {
  MinimalUsageMeter meter;
  UsageMeter& api = meter;
  auto samples = api.sample_now();
  ASSERT_TRUE(samples.is_ok());
  EXPECT_TRUE(samples->empty());
  EXPECT_EQ(api.current_usage("ab12").status().code(), StatusCode::not_found);
  auto owned = api.usage_for_owner("0x" + std::string(40, 'a'));
  ASSERT_TRUE(owned.is_ok());
  EXPECT_TRUE(owned->empty());
}

TEST(BillingKind, OptionalMethodsAnswerUnsupported) {
  MinimalBilling billing;
  Billing& api = billing;
  const std::string address = "0x" + std::string(40, 'b');
  expect_unsupported(api.credit(address, 5'000'000, "promo"), "billing.credit");
  expect_unsupported(api.ledger(address, PageRequest{}), "billing.ledger");
  auto decision = api.may_create(address, InstanceRequest{2, 2048, 20});
  ASSERT_TRUE(decision.is_ok());
  EXPECT_TRUE(decision->allowed);
}

// ---- HostServices::find<Kind>() uses each interface's kKind -----------------------------

class FakeHost final : public HostServices {
 public:
  std::map<PluginKind, Plugin*> plugins;

  [[nodiscard]] std::string_view plugin_name() const override { return "fake"; }
  [[nodiscard]] std::string_view instance_name() const override { return "default"; }
  std::shared_ptr<spdlog::logger> logger() override { return nullptr; }
  [[nodiscard]] const rapidjson::Value& parameters() const override { std::abort(); }
  [[nodiscard]] std::filesystem::path data_dir() const override { return {}; }
  EventBus& events() override { std::abort(); }
  Timers& timers() override { std::abort(); }
  BlockingPool& blocking_pool() override { std::abort(); }
  Metrics& metrics() override { std::abort(); }
  Status add_route(Route) override { return Status::ok(); }
  Plugin* find_plugin(PluginKind kind, std::string_view) override {
    auto it = plugins.find(kind);
    return it == plugins.end() ? nullptr : it->second;
  }
};

TEST(Kinds, HostFindsEachKindByItsKKind) {
  MinimalStateStore store;
  MinimalVmm vmm;
  MinimalImageBuilder builder;
  MinimalMesh mesh;
  MinimalDns dns;
  MinimalUsageMeter meter;
  MinimalBilling billing;
  MinimalExtension extension;
  FakeHost host;
  host.plugins = {
      {PluginKind::state_store, &store},
      {PluginKind::vmm, &vmm},
      {PluginKind::image_builder, &builder},
      {PluginKind::mesh, &mesh},
      {PluginKind::dns, &dns},
      {PluginKind::usage_meter, &meter},
      {PluginKind::billing, &billing},
      {PluginKind::extension, &extension},
  };
  EXPECT_EQ(host.find<StateStore>(), &store);
  EXPECT_EQ(host.find<Vmm>(), &vmm);
  EXPECT_EQ(host.find<ImageBuilder>(), &builder);
  EXPECT_EQ(host.find<Mesh>(), &mesh);
  EXPECT_EQ(host.find<Dns>(), &dns);
  EXPECT_EQ(host.find<UsageMeter>(), &meter);
  EXPECT_EQ(host.find<Billing>(), &billing);
  EXPECT_EQ(host.find<Extension>(), &extension);

  host.plugins.erase(PluginKind::dns);
  EXPECT_EQ(host.find<Dns>(), nullptr);
}

}  // namespace
}  // namespace formation

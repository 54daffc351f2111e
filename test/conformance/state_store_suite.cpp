// StateStore conformance: the behaviour every state plugin must show (state-sqlite and
// state-postgres run it unchanged). It runs against a started store that may be shared
// with other runs, so every key is random hex and every filter is narrowed to this run's
// rows; what can be removed is removed at the end of each check. Run it against a test
// database: the purge checks (operations, outbox) remove every finished row older than now,
// whoever wrote it, as the host's own housekeeping does.
#include <algorithm>
#include <barrier>
#include <chrono>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "check_support.hpp"
#include "conformance.hpp"
#include "formation/kinds/state_store.hpp"

namespace formation::conformance {
namespace {

using namespace std::chrono_literals;

std::string random_address() { return "0x" + random_hex(40); }

// Whole seconds, so that every store keeps it exactly.
TimePoint seconds_from_now(std::int64_t s) {
  auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  return TimePoint(now + std::chrono::seconds(s));
}

#define BEGIN_TX(var)                \
  auto var##_result = store.begin(); \
  REQUIRE_OK(var##_result, "begin"); \
  Transaction& var = **var##_result  // NOLINT(bugprone-macro-parentheses)

Instance make_instance(const std::string& owner) {
  Instance i;
  i.id = random_hex(16);
  i.name = "conformance";
  i.owner = owner;
  i.build_id = random_hex(64);
  i.node_id = random_address();
  i.state = InstanceState::created;
  i.vcpus = 2;
  i.memory_mb = 1024;
  i.disk_gb = 10;
  i.extra_disks_gb = {5, 7};
  return i;
}

// ---- checks ------------------------------------------------------------------------------

std::string check_migrate(StateStore& store) {
  auto first = store.migrate();
  REQUIRE_OK(first, "migrate()");
  auto second = store.migrate();
  REQUIRE_OK(second, "second migrate()");
  auto version = store.schema_version();
  REQUIRE_OK(version, "schema_version()");
  REQUIRE(*first > 0, "schema version is 0 after migrate()");
  REQUIRE(*first == *second && *second == *version, "versions differ: " + std::to_string(*first) +
                                                        ", " + std::to_string(*second) + ", " +
                                                        std::to_string(*version));
  return {};
}

std::string check_accounts(StateStore& store) {
  BEGIN_TX(tx);
  auto& repo = tx.accounts();
  Account a;
  a.address = random_address();
  a.name = "alice";
  a.plan = "default";
  auto created = repo.create(a);
  REQUIRE_OK(created, "create");
  REQUIRE(created->version == 1, "a created row has version 1");
  REQUIRE(created->name == "alice" && created->plan == "default", "create returns the fields");
  REQUIRE_CODE(repo.create(a), StatusCode::conflict, "create of an existing address");
  auto got = repo.get(a.address);
  REQUIRE_OK(got, "get");
  REQUIRE(got->name == "alice", "get returns what was stored");
  auto changed = *got;
  changed.name = "alice2";
  changed.plan = "pro";
  auto updated = repo.update(changed);
  REQUIRE_OK(updated, "update");
  REQUIRE(updated->version == 2 && updated->name == "alice2" && updated->plan == "pro",
          "update stores the fields and version + 1");
  REQUIRE_CODE(repo.update(changed), StatusCode::conflict, "update with a stale version");
  REQUIRE(repo.get(a.address)->name == "alice2", "a stale update must not overwrite");
  auto listed = repo.list({1000, ""});
  REQUIRE_OK(listed, "list");
  REQUIRE(std::any_of(listed->items.begin(), listed->items.end(),
                      [&](const Account& x) { return x.address == a.address; }) ||
              !listed->last(),
          "list shows the account");
  REQUIRE_OK(repo.remove(a.address), "remove");
  REQUIRE_CODE(repo.get(a.address), StatusCode::not_found, "get after remove");
  REQUIRE_CODE(repo.remove(a.address), StatusCode::not_found, "remove of a missing account");
  Account ghost;
  ghost.address = random_address();
  ghost.version = 1;
  REQUIRE_CODE(repo.update(ghost), StatusCode::not_found, "update of a missing account");
  REQUIRE_OK(tx.commit(), "commit");
  return {};
}

std::string check_instances(StateStore& store) {
  BEGIN_TX(tx);
  auto& repo = tx.instances();
  std::string owner = random_address();
  std::string grantee = random_address();
  auto one = make_instance(owner);
  auto two = make_instance(owner);
  two.state = InstanceState::started;
  two.formnet_ip = "10.42.0.9";
  auto c1 = repo.create(one);
  REQUIRE_OK(c1, "create");
  REQUIRE(c1->version == 1 && c1->extra_disks_gb == one.extra_disks_gb && !c1->formnet_ip,
          "create returns the fields");
  REQUIRE_OK(repo.create(two), "create a second");
  REQUIRE_CODE(repo.create(one), StatusCode::conflict, "create of an existing id");
  auto got = repo.get(two.id);
  REQUIRE_OK(got, "get");
  REQUIRE(got->formnet_ip == two.formnet_ip && got->state == InstanceState::started &&
              got->owner == owner && got->build_id == two.build_id,
          "get returns what was stored");

  InstanceFilter by_owner;
  by_owner.owner = owner;
  auto listed = repo.list(by_owner, {});
  REQUIRE_OK(listed, "list by owner");
  REQUIRE(listed->items.size() == 2,
          "list by owner finds 2, got " + std::to_string(listed->items.size()));
  REQUIRE(listed->items[0].id < listed->items[1].id, "list is ordered by id");
  auto started = by_owner;
  started.state = InstanceState::started;
  REQUIRE(repo.list(started, {})->items.size() == 1, "owner AND state narrows to 1");
  InstanceFilter by_node;
  by_node.node_id = one.node_id;
  REQUIRE(repo.list(by_node, {})->items.size() == 1, "filter by node");
  InstanceFilter by_build;
  by_build.build_id = one.build_id;
  REQUIRE(repo.list(by_build, {})->items.size() == 1, "filter by build");

  auto totals = repo.totals(by_owner);
  REQUIRE_OK(totals, "totals");
  REQUIRE(totals->count == 2 && totals->resources.vcpus == 4 &&
              totals->resources.memory_mb == 2048 && totals->resources.disk_gb == 44,
          "totals sum vcpus, memory and every disk (want 2/4/2048/44, got " +
              std::to_string(totals->count) + "/" + std::to_string(totals->resources.vcpus) + "/" +
              std::to_string(totals->resources.memory_mb) + "/" +
              std::to_string(totals->resources.disk_gb) + ")");

  // Grants live on instances.
  auto& grants = tx.grants();
  Grant g;
  g.instance_id = one.id;
  g.address = grantee;
  g.level = AccessLevel::operator_;
  g.granted_by = owner;
  auto put = grants.put(g);
  REQUIRE_OK(put, "grant put");
  REQUIRE(put->level == AccessLevel::operator_, "grant put returns the level");
  g.level = AccessLevel::manager;
  REQUIRE_OK(grants.put(g), "grant put replaces");
  REQUIRE(grants.get(one.id, grantee)->level == AccessLevel::manager, "grant replaced");
  REQUIRE(grants.list_for_instance(one.id)->size() == 1, "one grant listed");
  auto owner_grant = g;
  owner_grant.level = AccessLevel::owner;
  REQUIRE_CODE(grants.put(owner_grant), StatusCode::invalid, "a grant of owner");
  auto orphan = g;
  orphan.instance_id = random_hex(16);
  REQUIRE_CODE(grants.put(orphan), StatusCode::not_found, "a grant on a missing instance");
  InstanceFilter accessible;
  accessible.accessible_by = grantee;
  auto visible = repo.list(accessible, {});
  REQUIRE(visible.is_ok() && visible->items.size() == 1 && visible->items[0].id == one.id,
          "accessible_by finds the granted instance");
  accessible.accessible_by = owner;
  REQUIRE(repo.list(accessible, {})->items.size() == 2, "accessible_by includes owned ones");

  auto changed = *c1;
  changed.name = "renamed";
  changed.extra_disks_gb = {5, 7, 9};
  auto updated = repo.update(changed);
  REQUIRE_OK(updated, "update");
  REQUIRE(
      updated->version == 2 && updated->name == "renamed" && updated->extra_disks_gb.size() == 3,
      "update stores the fields and version + 1");
  REQUIRE_CODE(repo.update(changed), StatusCode::conflict, "update with a stale version");

  REQUIRE_OK(repo.remove(one.id), "remove");
  REQUIRE_CODE(repo.get(one.id), StatusCode::not_found, "get after remove");
  REQUIRE_CODE(grants.get(one.id, grantee), StatusCode::not_found,
               "grants are removed with their instance");
  REQUIRE_OK(repo.remove(two.id), "remove the second");
  REQUIRE_CODE(repo.remove(two.id), StatusCode::not_found, "remove of a missing instance");
  REQUIRE_OK(tx.commit(), "commit");
  return {};
}

std::string check_grants_remove(StateStore& store) {
  BEGIN_TX(tx);
  auto inst = make_instance(random_address());
  REQUIRE_OK(tx.instances().create(inst), "create instance");
  Grant g;
  g.instance_id = inst.id;
  g.address = random_address();
  g.granted_by = inst.owner;
  REQUIRE_OK(tx.grants().put(g), "put");
  REQUIRE_OK(tx.grants().remove(inst.id, g.address), "remove");
  REQUIRE_CODE(tx.grants().remove(inst.id, g.address), StatusCode::not_found,
               "remove of a missing grant");
  REQUIRE(tx.grants().list_for_instance(inst.id)->empty(), "no grants left");
  REQUIRE_OK(tx.instances().remove(inst.id), "cleanup");
  REQUIRE_OK(tx.commit(), "commit");
  return {};
}

std::string check_transition(StateStore& store) {
  BEGIN_TX(tx);
  auto& repo = tx.instances();
  auto inst = make_instance(random_address());
  inst.state = InstanceState::stopped;
  REQUIRE_OK(repo.create(inst), "create");
  auto wrong = repo.transition(inst.id, InstanceState::started, InstanceState::stopped, "");
  REQUIRE_CODE(wrong, StatusCode::conflict, "transition from a state the row is not in");
  REQUIRE(wrong.status().message().find("Stopped") != std::string::npos,
          "the conflict names the current state: " + wrong.status().message());
  auto moved = repo.transition(inst.id, InstanceState::stopped, InstanceState::critical_error,
                               "disk vanished");
  REQUIRE_OK(moved, "transition from the right state");
  REQUIRE(moved->state == InstanceState::critical_error && moved->error == "disk vanished",
          "transition sets state and error");
  REQUIRE(moved->version == 2, "transition bumps the version");
  REQUIRE_CODE(repo.transition(random_hex(16), InstanceState::stopped, InstanceState::started, ""),
               StatusCode::not_found, "transition of a missing instance");
  REQUIRE_OK(repo.remove(inst.id), "cleanup");
  REQUIRE_OK(tx.commit(), "commit");
  return {};
}

std::string check_builds(StateStore& store) {
  BEGIN_TX(tx);
  auto& repo = tx.builds();
  Build b;
  b.build_id = random_hex(64);
  b.owner = random_address();
  b.name = "web";
  b.manifest_json = R"({"name":"web"})";
  auto created = repo.create(b);
  REQUIRE_OK(created, "create");
  REQUIRE(created->version == 1 && created->state == BuildState::building, "create fields");
  REQUIRE_CODE(repo.create(b), StatusCode::conflict, "create of an existing build_id");
  auto changed = *created;
  changed.state = BuildState::built;
  changed.artifacts = {"/a/seed.iso", "/a/ctx.tar", "/a/base.qcow2"};
  auto updated = repo.update(changed);
  REQUIRE_OK(updated, "update");
  REQUIRE(updated->state == BuildState::built && updated->artifacts == changed.artifacts &&
              updated->version == 2,
          "update stores the fields");
  REQUIRE_CODE(repo.update(changed), StatusCode::conflict, "update with a stale version");
  auto listed = repo.list(b.owner, {});
  REQUIRE_OK(listed, "list by owner");
  REQUIRE(listed->items.size() == 1 && listed->items[0].build_id == b.build_id,
          "list by owner finds it");
  REQUIRE_OK(repo.remove(b.build_id), "remove");
  REQUIRE_CODE(repo.get(b.build_id), StatusCode::not_found, "get after remove");
  REQUIRE_OK(tx.commit(), "commit");
  return {};
}

std::string check_nodes(StateStore& store) {
  BEGIN_TX(tx);
  auto& repo = tx.nodes();
  Node n;
  n.id = random_address();
  n.region = "eu-west";
  n.public_ip = "203.0.113.7";
  n.endpoint = "https://n1.example.net:3004";
  n.capacity = {8, 16384, 200};
  auto up = repo.upsert(n);
  REQUIRE_OK(up, "upsert (create)");
  REQUIRE(up->capacity == n.capacity && up->allocated == Resources{}, "upsert fields");
  auto reserved = repo.reserve(n.id, {6, 8192, 100});
  REQUIRE_OK(reserved, "reserve within capacity");
  REQUIRE(reserved->allocated == (Resources{6, 8192, 100}), "reserve adds to allocated");
  auto too_much = repo.reserve(n.id, {4, 1, 1});
  REQUIRE_CODE(too_much, StatusCode::conflict, "reserve beyond capacity");
  REQUIRE(too_much.status().message().find('2') != std::string::npos,
          "the conflict names what is short: " + too_much.status().message());
  n.region = "eu-east";
  auto again = repo.upsert(n);
  REQUIRE_OK(again, "upsert (replace)");
  REQUIRE(again->region == "eu-east" && again->allocated == (Resources{6, 8192, 100}),
          "upsert keeps allocated");
  REQUIRE_OK(repo.heartbeat(n.id, seconds_from_now(0)), "heartbeat");
  REQUIRE_CODE(repo.heartbeat(random_address(), seconds_from_now(0)), StatusCode::not_found,
               "heartbeat of a missing node");
  auto released = repo.release(n.id, {10, 100, 100});
  REQUIRE_OK(released, "release");
  REQUIRE(released->allocated == (Resources{0, 8092, 0}), "release never goes below zero");
  REQUIRE_CODE(repo.reserve(random_address(), {1, 1, 1}), StatusCode::not_found,
               "reserve on a missing node");
  REQUIRE_OK(repo.remove(n.id), "remove");
  REQUIRE_CODE(repo.get(n.id), StatusCode::not_found, "get after remove");
  REQUIRE_OK(tx.commit(), "commit");
  return {};
}

std::string check_operations(StateStore& store) {
  BEGIN_TX(tx);
  auto& repo = tx.operations();
  Operation o;
  o.id = random_hex(16);
  o.kind = "build";
  o.target_id = random_hex(16);
  o.owner = random_address();
  auto created = repo.create(o);
  REQUIRE_OK(created, "create");
  REQUIRE(created->state == OperationState::pending && created->version == 1, "create fields");
  REQUIRE_CODE(repo.create(o), StatusCode::conflict, "create of an existing id");
  auto done = *created;
  done.state = OperationState::failed;
  done.progress = 100;
  done.error_code = StatusCode::unavailable;
  done.error_message = "node gone";
  auto updated = repo.update(done);
  REQUIRE_OK(updated, "update");
  REQUIRE(updated->error_code == StatusCode::unavailable && updated->progress == 100,
          "update stores the fields");
  REQUIRE_CODE(repo.update(done), StatusCode::conflict, "update with a stale version");
  OperationFilter f;
  f.owner = o.owner;
  f.state = OperationState::failed;
  REQUIRE(repo.list(f, {})->items.size() == 1, "list by owner and state");
  f.state = OperationState::running;
  REQUIRE(repo.list(f, {})->items.empty(), "filter by state excludes it");
  auto purged = repo.purge_finished(seconds_from_now(2));
  REQUIRE_OK(purged, "purge_finished");
  REQUIRE(*purged >= 1, "purge_finished removes it");
  REQUIRE_CODE(repo.get(o.id), StatusCode::not_found, "get after purge");
  REQUIRE_OK(tx.commit(), "commit");
  return {};
}

std::string check_dns(StateStore& store) {
  BEGIN_TX(tx);
  auto& repo = tx.dns_records();
  auto serial0 = repo.change_serial();
  REQUIRE_OK(serial0, "change_serial");
  REQUIRE(*serial0 >= 1, "change_serial starts at 1 or more");
  std::string zone = random_hex(12) + ".formation.test";
  std::string instance = random_hex(16);
  DnsRecord a;
  a.fqdn = "web." + zone;
  a.type = DnsRecordType::a;
  a.values = {"192.0.2.1", "192.0.2.2"};
  a.owner = random_address();
  a.instance_id = instance;
  a.verified = true;
  auto created = repo.create(a);
  REQUIRE_OK(created, "create");
  REQUIRE(created->values == a.values && created->verified && created->instance_id == instance,
          "create fields");
  REQUIRE_CODE(repo.create(a), StatusCode::conflict, "create of an existing (fqdn, type)");
  auto txt = a;
  txt.type = DnsRecordType::txt;
  txt.values = {"hello world"};
  txt.instance_id.reset();
  txt.verified = false;
  REQUIRE_OK(repo.create(txt), "create another type at the same name");
  auto other = a;
  other.fqdn = "x" + random_hex(6) + ".test";
  other.instance_id.reset();
  REQUIRE_OK(repo.create(other), "create outside the zone");
  REQUIRE(repo.at(a.fqdn)->size() == 2, "at() returns every type at the name");
  DnsRecordFilter f;
  f.zone = zone;
  auto in_zone = repo.list(f, {});
  REQUIRE_OK(in_zone, "list by zone");
  REQUIRE(in_zone->items.size() == 2,
          "zone filter finds the 2 names under it, got " + std::to_string(in_zone->items.size()));
  f.verified = false;
  REQUIRE(repo.list(f, {})->items.size() == 1, "zone AND verified");
  auto changed = *created;
  changed.ttl = 60;
  auto updated = repo.update(changed);
  REQUIRE_OK(updated, "update");
  REQUIRE(updated->ttl == 60 && updated->version == 2, "update stores the fields");
  REQUIRE_CODE(repo.update(changed), StatusCode::conflict, "update with a stale version");
  auto serial1 = repo.change_serial();
  REQUIRE(serial1.is_ok() && *serial1 > *serial0, "change_serial grows with writes");
  auto removed = repo.remove_for_instance(instance);
  REQUIRE(removed.is_ok() && *removed == 1, "remove_for_instance removes the one record");
  REQUIRE_CODE(repo.get(a.fqdn, DnsRecordType::a), StatusCode::not_found, "get after removal");
  REQUIRE_OK(repo.remove(txt.fqdn, DnsRecordType::txt), "remove");
  REQUIRE_OK(repo.remove(other.fqdn, other.type), "remove");
  REQUIRE_CODE(repo.remove(txt.fqdn, DnsRecordType::txt), StatusCode::not_found,
               "remove of a missing record");
  REQUIRE_OK(tx.commit(), "commit");
  return {};
}

std::string random_mesh_address() {
  std::mt19937 rng{std::random_device{}()};
  return "10." + std::to_string(rng() % 256) + "." + std::to_string(rng() % 256) + "." +
         std::to_string(rng() % 256) + "/" + random_hex(8);  // unique even if the IP repeats
}

std::string check_mesh(StateStore& store) {
  BEGIN_TX(tx);
  auto& repo = tx.mesh_peers();
  auto serial0 = repo.change_serial();
  REQUIRE_OK(serial0, "change_serial");
  MeshPeer p;
  p.id = random_hex(16);
  p.kind = MeshPeerKind::device;
  p.owner = random_address();
  p.public_key = random_hex(43) + "=";
  p.address = random_mesh_address();
  p.endpoints = {"198.51.100.1:51820"};
  auto created = repo.create(p);
  REQUIRE_OK(created, "create");
  REQUIRE(created->endpoints == p.endpoints && created->version == 1, "create fields");
  auto same_id = p;
  same_id.address = random_mesh_address();
  same_id.public_key = random_hex(43) + "=";
  REQUIRE_CODE(repo.create(same_id), StatusCode::conflict, "create of an existing id");
  auto same_address = p;
  same_address.id = random_hex(16);
  same_address.public_key = random_hex(43) + "=";
  auto clash = repo.create(same_address);
  REQUIRE_CODE(clash, StatusCode::conflict, "create with a taken address");
  REQUIRE(clash.status().message().find("address") != std::string::npos,
          "the conflict names the address: " + clash.status().message());
  auto same_key = p;
  same_key.id = random_hex(16);
  same_key.address = random_mesh_address();
  REQUIRE_CODE(repo.create(same_key), StatusCode::conflict, "create with a taken public key");
  // Reservations (empty keys) do not clash with each other.
  auto r1 = p;
  r1.id = random_hex(16);
  r1.address = random_mesh_address();
  r1.public_key.clear();
  auto r2 = r1;
  r2.id = random_hex(16);
  r2.address = random_mesh_address();
  REQUIRE_OK(repo.create(r1), "create a reservation");
  REQUIRE_OK(repo.create(r2), "create a second reservation");
  REQUIRE(repo.get_by_address(p.address)->id == p.id, "get_by_address");
  REQUIRE(repo.get_by_public_key(p.public_key)->id == p.id, "get_by_public_key");
  REQUIRE_CODE(repo.get_by_address(random_mesh_address()), StatusCode::not_found,
               "get_by_address of a free address");
  auto addresses = repo.addresses();
  REQUIRE_OK(addresses, "addresses");
  REQUIRE(std::count(addresses->begin(), addresses->end(), r1.address) == 1,
          "addresses() includes reservations");
  MeshPeerFilter f;
  f.owner = p.owner;
  REQUIRE(repo.list(f, {})->items.size() == 3, "list by owner");
  auto moved = *created;
  moved.address = random_mesh_address();
  REQUIRE_CODE(repo.update(moved), StatusCode::conflict, "update that changes the address");
  auto changed = *created;
  changed.endpoints = {"198.51.100.2:51820", "[2001:db8::1]:51820"};
  auto updated = repo.update(changed);
  REQUIRE_OK(updated, "update");
  REQUIRE(updated->endpoints == changed.endpoints && updated->version == 2, "update fields");
  REQUIRE_CODE(repo.update(changed), StatusCode::conflict, "update with a stale version");
  auto serial1 = repo.change_serial();
  REQUIRE(serial1.is_ok() && *serial1 > *serial0, "change_serial grows with writes");
  for (const auto& id : {p.id, r1.id, r2.id}) REQUIRE_OK(repo.remove(id), "remove");
  REQUIRE_CODE(repo.get(p.id), StatusCode::not_found, "get after remove");
  REQUIRE_OK(tx.commit(), "commit");
  return {};
}

std::string check_usage(StateStore& store) {
  BEGIN_TX(tx);
  auto& repo = tx.usage();
  std::string instance = random_hex(16);
  std::string owner = random_address();
  auto base = seconds_from_now(-3600);
  for (int i = 0; i < 3; ++i) {
    UsageRecord u;
    u.instance_id = instance;
    u.owner = owner;
    u.period = {base + std::chrono::minutes(i), base + std::chrono::minutes(i + 1)};
    u.vcpus = 1 + i;
    u.memory_mb = 512;
    u.cpu_seconds = 10;
    u.storage_gb = 5 + i;
    u.network_egress_bytes = 100;
    auto added = repo.add(u);
    REQUIRE_OK(added, "add");
    REQUIRE(*added, "a new record is stored");
    if (i == 0) {
      u.cpu_seconds = 99;
      auto repeat = repo.add(u);
      REQUIRE_OK(repeat, "add again");
      REQUIRE(!*repeat, "adding the same (instance, period.start) again is a no-op");
    }
  }
  UsageFilter f;
  f.instance_id = instance;
  auto listed = repo.list(f, {2, ""});
  REQUIRE_OK(listed, "list");
  REQUIRE(listed->items.size() == 2 && !listed->last(), "first page of 2");
  REQUIRE(listed->items[0].period.start == base && listed->items[0].cpu_seconds == 10,
          "ordered by period.start; the repeat did not overwrite");
  auto rest = repo.list(f, {2, listed->next_page_token});
  REQUIRE(rest.is_ok() && rest->items.size() == 1 && rest->last(), "second page of 1");
  auto latest = repo.latest(instance);
  REQUIRE_OK(latest, "latest");
  REQUIRE(*latest && (*latest)->vcpus == 3, "latest is the newest record");
  REQUIRE(!*repo.latest(random_hex(16)), "latest of an instance without records is nullopt");
  auto total = repo.total(f);
  REQUIRE_OK(total, "total");
  REQUIRE(*total, "total of matching records");
  REQUIRE((*total)->period.start == base && (*total)->period.end == base + std::chrono::minutes(3),
          "total spans the earliest start to the latest end");
  REQUIRE((*total)->cpu_seconds == 30 && (*total)->network_egress_bytes == 300,
          "total sums the measurements");
  REQUIRE((*total)->vcpus == 3 && (*total)->storage_gb == 7, "total keeps the latest allocation");
  f.from = base + std::chrono::minutes(1);
  f.to = base + std::chrono::minutes(2);
  REQUIRE(repo.list(f, {})->items.size() == 1, "from/to narrow by period.start");
  UsageFilter nobody;
  nobody.owner = random_address();
  REQUIRE(!*repo.total(nobody), "total of nothing is nullopt");
  REQUIRE_OK(tx.commit(), "commit");
  return {};
}

std::string check_thresholds(StateStore& store) {
  const std::string owner = random_address();
  const std::string other = random_address();
  UsageThreshold t;
  t.id = random_hex(16);
  t.owner = owner;
  t.name = "cpu-hot";
  t.resource = "cpu";
  t.kind = "percent";
  t.limit = 0.125;
  // Milliseconds: what every store keeps of a time.
  t.created_at = seconds_from_now(0) + std::chrono::milliseconds(123);
  {
    BEGIN_TX(tx);
    auto& repo = tx.thresholds();
    auto created = repo.create(t);
    REQUIRE_OK(created, "threshold create");
    auto got = repo.get(t.id);
    REQUIRE_OK(got, "threshold get");
    REQUIRE(got->owner == owner && got->name == "cpu-hot" && got->resource == "cpu" &&
                got->kind == "percent" && got->limit == 0.125 && !got->instance_id &&
                got->created_at == t.created_at,
            "threshold fields round trip");
    auto same_name = t;
    same_name.id = random_hex(16);
    same_name.limit = 50;
    REQUIRE_CODE(repo.create(same_name), StatusCode::conflict, "the owner's name twice");
    REQUIRE_CODE(repo.get(same_name.id), StatusCode::not_found, "a refused create wrote nothing");
    REQUIRE_CODE(repo.create(t), StatusCode::conflict, "the same id twice");
    for (const char* name : {"a", "b"}) {
      auto more = t;
      more.id = random_hex(16);
      more.name = name;
      more.kind = "absolute";
      more.instance_id = random_hex(16);
      auto made = repo.create(more);
      REQUIRE_OK(made, "threshold with an instance");
      REQUIRE(made->instance_id == more.instance_id, "instance_id round trip");
    }
    auto theirs = t;
    theirs.id = random_hex(16);
    theirs.owner = other;
    REQUIRE_OK(repo.create(theirs), "the same name for another owner");
    REQUIRE_OK(tx.commit(), "commit");
  }
  BEGIN_TX(tx);
  auto& repo = tx.thresholds();
  auto first = repo.list(owner, PageRequest{2, ""});
  REQUIRE_OK(first, "list page 1");
  REQUIRE(first->items.size() == 2 && !first->next_page_token.empty(), "a page of 2 of 3");
  auto second = repo.list(owner, PageRequest{2, first->next_page_token});
  REQUIRE_OK(second, "list page 2");
  REQUIRE(second->items.size() == 1 && second->last(), "the last page");
  std::set<std::string> ids;
  for (const auto& x : first->items) ids.insert(x.id);
  for (const auto& x : second->items) ids.insert(x.id);
  REQUIRE(ids.size() == 3 && ids.contains(t.id), "three distinct thresholds of the owner");
  REQUIRE(first->items[0].id < first->items[1].id && first->items[1].id < second->items[0].id,
          "ordered by id");
  std::set<std::string> owners;
  PageRequest page{100, ""};
  while (true) {
    auto all = repo.list(std::nullopt, page);
    REQUIRE_OK(all, "list of every owner");
    for (const auto& x : all->items) owners.insert(x.owner);
    if (all->last()) break;
    page.page_token = all->next_page_token;
  }
  REQUIRE(owners.contains(owner) && owners.contains(other), "the list of all has both owners");
  REQUIRE_OK(repo.remove(t.id), "remove");
  REQUIRE_CODE(repo.get(t.id), StatusCode::not_found, "get after remove");
  REQUIRE_CODE(repo.remove(t.id), StatusCode::not_found, "remove twice");
  for (const auto& id : ids) {
    if (id != t.id) REQUIRE_OK(repo.remove(id), "cleanup");
  }
  auto others = repo.list(other, {});
  REQUIRE_OK(others, "list of the other owner");
  for (const auto& x : others->items) REQUIRE_OK(repo.remove(x.id), "cleanup");
  REQUIRE_OK(tx.commit(), "commit");

  BEGIN_TX(rolled);
  auto gone = t;
  gone.id = random_hex(16);
  gone.name = "rolled-back";
  REQUIRE_OK(rolled.thresholds().create(gone), "create before a rollback");
  REQUIRE_OK(rolled.rollback(), "rollback");
  BEGIN_TX(after);
  REQUIRE_CODE(after.thresholds().get(gone.id), StatusCode::not_found,
               "a rolled-back create leaves nothing");
  return "";
}

std::string check_webhooks_and_outbox(StateStore& store) {
  BEGIN_TX(tx);
  auto& hooks = tx.webhooks();
  auto& outbox = tx.outbox();
  Webhook w;
  w.id = random_hex(16);
  w.owner = random_address();
  w.url = "https://receiver.example/hook";
  w.events = {"usage", "threshold.violation"};
  w.secret = random_hex(32);
  auto created = hooks.create(w);
  REQUIRE_OK(created, "webhook create");
  REQUIRE(created->secret == w.secret && created->events == w.events, "webhook fields");
  REQUIRE_CODE(hooks.create(w), StatusCode::conflict, "webhook create of an existing id");
  REQUIRE(hooks.list(w.owner, {})->items.size() == 1, "webhook list by owner");
  REQUIRE(hooks.subscribed(w.owner, "usage.sample")->size() == 1, "family subscription");
  REQUIRE(hooks.subscribed(w.owner, "threshold.violation")->size() == 1, "exact subscription");
  REQUIRE(hooks.subscribed(w.owner, "instance.created")->empty(), "unsubscribed event");

  auto now = seconds_from_now(0);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    OutboxEntry e;
    e.id = random_hex(16);
    e.webhook_id = w.id;
    e.event_type = "usage.sample";
    e.payload_json = "{}";
    e.idempotency_key = random_hex(32);
    e.next_attempt_at = now - std::chrono::seconds(10 - i);
    auto queued = outbox.enqueue(e);
    REQUIRE_OK(queued, "enqueue");
    REQUIRE(*queued, "a new entry is stored");
    if (i == 0) {
      auto again = e;
      again.id = random_hex(16);
      REQUIRE(outbox.enqueue(again).is_ok() && !*outbox.enqueue(again),
              "enqueue of the same idempotency key is a no-op");
    }
    ids.push_back(e.id);
  }
  auto claimed = outbox.claim_due(now, 1000, now + std::chrono::seconds(30));
  REQUIRE_OK(claimed, "claim_due");
  std::vector<OutboxEntry> mine;
  for (const auto& e : *claimed) {
    if (e.webhook_id == w.id) mine.push_back(e);
  }
  REQUIRE(mine.size() == 3,
          "claim_due returns the 3 due entries, got " + std::to_string(mine.size()));
  REQUIRE(mine[0].id == ids[0] && mine[2].id == ids[2], "oldest next_attempt_at first");
  REQUIRE(mine[0].state == OutboxState::in_flight && mine[0].attempts == 1 &&
              mine[0].next_attempt_at == now + std::chrono::seconds(30),
          "claimed entries are in_flight with the lease and attempts + 1");
  auto twice = outbox.claim_due(now, 1000, now + std::chrono::seconds(30));
  REQUIRE_OK(twice, "claim_due again");
  REQUIRE(std::none_of(twice->begin(), twice->end(),
                       [&](const OutboxEntry& e) { return e.webhook_id == w.id; }),
          "a leased entry is not claimed again before its lease expires");
  REQUIRE_OK(outbox.mark_delivered(ids[0]), "mark_delivered");
  REQUIRE_OK(outbox.mark_failed(ids[1], "503 from receiver", now - std::chrono::seconds(1)),
             "mark_failed");
  REQUIRE_OK(outbox.mark_dead(ids[2], "gave up"), "mark_dead");
  REQUIRE_CODE(outbox.mark_delivered(random_hex(16)), StatusCode::not_found,
               "mark_delivered of a missing entry");
  auto listed = outbox.list(w.id, {});
  REQUIRE_OK(listed, "outbox list");
  REQUIRE(listed->items.size() == 3, "outbox list of the webhook");
  for (const auto& e : listed->items) {
    if (e.id == ids[1]) {
      REQUIRE(e.state == OutboxState::pending && e.last_error == "503 from receiver",
              "mark_failed puts it back to pending with the error");
    }
    if (e.id == ids[2]) REQUIRE(e.state == OutboxState::dead, "mark_dead");
    if (e.id == ids[0]) REQUIRE(e.state == OutboxState::delivered, "mark_delivered");
  }
  auto retry = outbox.claim_due(now, 1000, now + std::chrono::seconds(30));
  REQUIRE(retry.is_ok() &&
              std::count_if(retry->begin(), retry->end(),
                            [&](const OutboxEntry& e) { return e.id == ids[1]; }) == 1 &&
              std::none_of(retry->begin(), retry->end(),
                           [&](const OutboxEntry& e) { return e.id == ids[0] || e.id == ids[2]; }),
          "a failed entry is due again; delivered and dead ones are not");
  auto purged = outbox.purge(seconds_from_now(2));
  REQUIRE(purged.is_ok() && *purged >= 2, "purge removes delivered and dead entries");
  REQUIRE_OK(hooks.remove(w.id), "webhook remove");
  REQUIRE(outbox.list(w.id, {})->items.empty(), "removing a webhook removes its outbox");
  REQUIRE_CODE(hooks.get(w.id), StatusCode::not_found, "webhook get after remove");
  REQUIRE_OK(tx.commit(), "commit");
  return {};
}

std::string check_ledger(StateStore& store) {
  BEGIN_TX(tx);
  auto& repo = tx.ledger();
  std::string address = random_address();
  REQUIRE(repo.balance(address).is_ok() && *repo.balance(address) == 0, "empty balance is 0");
  LedgerEntry credit;
  credit.id = random_hex(16);
  credit.address = address;
  credit.amount_micro = 5'000'000;
  credit.reason = "admin credit: conformance";
  REQUIRE_OK(repo.append(credit), "append a credit");
  REQUIRE_CODE(repo.append(credit), StatusCode::conflict, "append of an existing id");
  LedgerEntry debit;
  debit.id = random_hex(16);
  debit.address = address;
  debit.amount_micro = -1'250'000;
  debit.reason = "usage";
  debit.instance_id = random_hex(16);
  debit.period = Period{seconds_from_now(-60), seconds_from_now(0)};
  auto stored = repo.append(debit);
  REQUIRE_OK(stored, "append a usage debit");
  REQUIRE(stored->period == debit.period && stored->instance_id == debit.instance_id,
          "a debit keeps its instance and period");
  auto repeat = debit;
  repeat.id = random_hex(16);
  auto again = repo.append(repeat);
  REQUIRE_OK(again, "a repeated debit is harmless");
  REQUIRE(again->id == debit.id, "a repeated debit returns the existing entry");
  repeat.amount_micro = -2;
  REQUIRE_CODE(repo.append(repeat), StatusCode::conflict, "a repeated debit of another amount");
  auto balance = repo.balance(address);
  REQUIRE(balance.is_ok() && *balance == 3'750'000,
          "balance sums the entries, got " + std::to_string(balance.is_ok() ? *balance : -1));
  auto page1 = repo.list(address, {1, ""});
  REQUIRE_OK(page1, "list");
  REQUIRE(page1->items.size() == 1 && !page1->last(), "first page of 1");
  auto page2 = repo.list(address, {1, page1->next_page_token});
  REQUIRE(page2.is_ok() && page2->items.size() == 1 && page2->last(), "second page of 1");
  REQUIRE(page1->items[0].id != page2->items[0].id, "pages do not repeat");
  REQUIRE(page1->items[0].created_at >= page2->items[0].created_at, "newest first");
  REQUIRE_OK(tx.commit(), "commit");
  return {};
}

std::string check_nonces(StateStore& store) {
  BEGIN_TX(tx);
  auto& repo = tx.nonces();
  std::string address = random_address();
  std::string nonce = random_hex(32);
  auto first = repo.remember(address, nonce, seconds_from_now(300));
  REQUIRE_OK(first, "remember");
  REQUIRE(*first, "a new nonce is remembered (true)");
  auto second = repo.remember(address, nonce, seconds_from_now(300));
  REQUIRE_OK(second, "remember again");
  REQUIRE(!*second, "the same nonce again is a replay (false)");
  auto other = repo.remember(random_address(), nonce, seconds_from_now(300));
  REQUIRE(other.is_ok() && *other, "the same nonce from another address is new");
  std::string stale = random_hex(32);
  REQUIRE(*repo.remember(address, stale, seconds_from_now(-10)), "remember an expired nonce");
  auto reused = repo.remember(address, stale, seconds_from_now(-10));
  REQUIRE(reused.is_ok() && *reused, "an expired nonce may be used again");
  // Only nonces that expired already are purged: live ones of other users stay.
  auto purged = repo.purge_expired(seconds_from_now(0));
  REQUIRE(purged.is_ok() && *purged >= 1, "purge_expired forgets expired nonces");
  auto live = repo.remember(address, nonce, seconds_from_now(300));
  REQUIRE(live.is_ok() && !*live, "purge_expired keeps nonces that have not expired");
  REQUIRE_OK(tx.commit(), "commit");
  return {};
}

std::string check_rollback(StateStore& store) {
  Account a;
  a.address = random_address();
  {
    BEGIN_TX(tx);
    REQUIRE_OK(tx.accounts().create(a), "create");
    REQUIRE_OK(tx.instances().create(make_instance(a.address)), "create instance");
    REQUIRE_OK(tx.rollback(), "rollback");
    REQUIRE_OK(tx.rollback(), "a second rollback is ok");
    REQUIRE_CODE(tx.commit(), StatusCode::invalid, "commit after rollback");
  }
  BEGIN_TX(check);
  REQUIRE_CODE(check.accounts().get(a.address), StatusCode::not_found,
               "the rolled back account is gone");
  InstanceFilter f;
  f.owner = a.address;
  REQUIRE(check.instances().list(f, {})->items.empty(), "the rolled back instance is gone");
  REQUIRE_OK(check.rollback(), "rollback");
  return {};
}

std::string check_destroy_rolls_back(StateStore& store) {
  Account a;
  a.address = random_address();
  {
    BEGIN_TX(tx);
    REQUIRE_OK(tx.accounts().create(a), "create");
  }  // destroyed without commit
  BEGIN_TX(check);
  REQUIRE_CODE(check.accounts().get(a.address), StatusCode::not_found,
               "an uncommitted account is gone after the transaction is destroyed");
  REQUIRE_OK(check.rollback(), "rollback");
  return {};
}

std::string check_commit_is_visible(StateStore& store) {
  Account a;
  a.address = random_address();
  {
    BEGIN_TX(tx);
    REQUIRE_OK(tx.accounts().create(a), "create");
    REQUIRE_OK(tx.commit(), "commit");
    REQUIRE_CODE(tx.commit(), StatusCode::invalid, "a second commit");
    REQUIRE_OK(tx.rollback(), "rollback after commit is ok");
  }
  BEGIN_TX(check);
  REQUIRE_OK(check.accounts().get(a.address), "the committed account is visible");
  REQUIRE_OK(check.accounts().remove(a.address), "cleanup");
  REQUIRE_OK(check.commit(), "commit");
  return {};
}

std::string check_concurrent_updates(StateStore& store) {
  Account a;
  a.address = random_address();
  a.name = "race";
  {
    BEGIN_TX(tx);
    REQUIRE_OK(tx.accounts().create(a), "create");
    REQUIRE_OK(tx.commit(), "commit");
  }
  std::barrier sync(2);
  Status results[2];
  auto racer = [&](int i) {
    sync.arrive_and_wait();
    auto tx = store.begin();
    if (!tx.is_ok()) {
      results[i] = tx.status();
      return;
    }
    Account mine = a;
    mine.name = "racer " + std::to_string(i);
    mine.version = 1;
    auto updated = (*tx)->accounts().update(mine);
    if (!updated.is_ok()) {
      results[i] = updated.status();
      return;
    }
    std::this_thread::sleep_for(50ms);  // hold the row so the other really races
    results[i] = (*tx)->commit();
  };
  std::thread t0(racer, 0);
  std::thread t1(racer, 1);
  t0.join();
  t1.join();
  int ok = 0;
  int conflict = 0;
  for (const auto& r : results) {
    if (r.is_ok()) ++ok;
    if (r.code() == StatusCode::conflict) ++conflict;
  }
  std::string seen = results[0].to_string() + " / " + results[1].to_string();
  REQUIRE(ok == 1 && conflict == 1, "want one ok and one conflict, got " + seen);
  BEGIN_TX(check);
  auto stored = check.accounts().get(a.address);
  REQUIRE_OK(stored, "get");
  REQUIRE(stored->version == 2, "the winner's update is the only one stored");
  REQUIRE_OK(check.accounts().remove(a.address), "cleanup");
  REQUIRE_OK(check.commit(), "commit");
  return {};
}

std::string check_pagination(StateStore& store) {
  std::string owner = random_address();
  std::set<std::string> created;
  {
    BEGIN_TX(tx);
    for (int i = 0; i < 25; ++i) {
      auto inst = make_instance(owner);
      REQUIRE_OK(tx.instances().create(inst), "create");
      created.insert(inst.id);
    }
    REQUIRE_OK(tx.commit(), "commit");
  }
  InstanceFilter f;
  f.owner = owner;
  std::vector<std::string> seen;
  std::vector<std::size_t> sizes;
  std::string token;
  std::string failure;
  Instance intruder;
  for (int page = 0; page < 5; ++page) {
    auto tx = store.begin();
    REQUIRE_OK(tx, "begin");
    auto listed = (*tx)->instances().list(f, {10, token});
    REQUIRE_OK(listed, "list page " + std::to_string(page + 1));
    sizes.push_back(listed->items.size());
    for (const auto& i : listed->items) seen.push_back(i.id);
    if (page == 0) {
      // A row committed between pages, ahead of the position, must not shift later pages
      // (an OFFSET would repeat a row).
      intruder = make_instance(owner);
      intruder.id = "0" + random_hex(15);
      if (intruder.id < listed->items.back().id) {
        REQUIRE_OK((*tx)->instances().create(intruder), "create between pages");
      } else {
        intruder.id.clear();
      }
      REQUIRE_CODE((*tx)->instances().list(f, {10, "not-a-token"}), StatusCode::invalid,
                   "a page token the store did not issue");
      REQUIRE_CODE((*tx)->instances().list(f, {-1, ""}), StatusCode::invalid, "a negative limit");
    }
    token = listed->next_page_token;
    REQUIRE_OK((*tx)->commit(), "commit");
    if (token.empty()) break;
  }
  std::string shape;
  for (auto s : sizes) shape += std::to_string(s) + " ";
  if (sizes != std::vector<std::size_t>{10, 10, 5})
    failure = "page sizes " + shape + "(want 10 10 5)";
  std::set<std::string> unique(seen.begin(), seen.end());
  if (!intruder.id.empty()) {
    unique.erase(intruder.id);  // it sorts before page 2, so only page 1 could hold it
    created.insert(intruder.id);
  }
  if (failure.empty() && unique.size() != seen.size()) failure = "a row appeared twice";
  std::set<std::string> expected = created;
  expected.erase(intruder.id);
  if (failure.empty() && unique != expected) failure = "rows missing from the pages";
  if (failure.empty() && !std::is_sorted(seen.begin(), seen.end())) failure = "pages out of order";
  BEGIN_TX(cleanup);
  for (const auto& id : created) REQUIRE_OK(cleanup.instances().remove(id), "cleanup");
  REQUIRE_OK(cleanup.commit(), "commit");
  return failure;
}

std::vector<CheckResult> state_store_suite_impl(Subject& subject) {
  auto& store = static_cast<StateStore&>(subject.plugin);
  std::vector<CheckResult> out;
  auto add = [&](const std::string& name, std::string (*check)(StateStore&)) {
    run_check(out, "state_store: " + name, [&] { return check(store); });
  };
  add("migrate() twice is idempotent and schema_version() is stable", check_migrate);
  add("accounts: create, get, list, update (compare-and-set), remove", check_accounts);
  add("instances and grants: create, get, list filters, totals, update, remove", check_instances);
  add("grants: remove", check_grants_remove);
  add("instances: transition from a wrong expected state is conflict", check_transition);
  add("builds: create, get, list by owner, update (compare-and-set), remove", check_builds);
  add("nodes: upsert, heartbeat, reserve within capacity, release, remove", check_nodes);
  add("operations: create, update, list filters, purge_finished", check_operations);
  add("dns_records: create, at, zone filter, update, remove, change_serial", check_dns);
  add("mesh_peers: create, unique id/address/key, lookups, update, remove, change_serial",
      check_mesh);
  add("usage: add is idempotent, list pages, latest, total", check_usage);
  add("webhooks and outbox: subscribe, enqueue once, claim, mark, purge",
      check_webhooks_and_outbox);
  add("thresholds: create, unique name per owner, get, list pages by id, remove", check_thresholds);
  add("ledger: append, exactly-once usage debits, balance, newest first", check_ledger);
  add("nonces: remember twice gives true then false; expiry and purge", check_nonces);
  add("a rolled back transaction leaves nothing", check_rollback);
  add("destroying an uncommitted transaction rolls it back", check_destroy_rolls_back);
  add("a committed transaction is visible; commit twice is invalid", check_commit_is_visible);
  add("concurrent updates with the same version: one wins, the other conflicts",
      check_concurrent_updates);
  add("pagination: 25 rows with limit 10 give 3 stable pages, no duplicates or gaps",
      check_pagination);
  return out;
}

}  // namespace

std::vector<CheckResult> state_store_suite(Subject& subject) {
  return state_store_suite_impl(subject);
}

}  // namespace formation::conformance

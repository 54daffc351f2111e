// state-postgres against a real PostgreSQL 15 (started by the ctest fixture `postgres`):
// what only a shared server can show — concurrent starts, several hosts, restarts — plus a
// smoke test of the repositories. The full StateStore contract is the conformance suite.
#include <gtest/gtest.h>
#include <spdlog/logger.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include "migrations.hpp"
#include "store.hpp"

namespace formation::postgres {
namespace {

std::map<std::string, std::string> server_env() {
  std::map<std::string, std::string> env;
  std::ifstream in(PG_ENV_FILE);
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return env;
}

std::string as_postgres(const std::string& command) { return "runuser -u postgres -- " + command; }

// Runs SQL as the superuser over the fixture's unix socket.
int psql(const std::string& sql) {
  auto env = server_env();
  auto socket_dir = env["PGDATA"].substr(0, env["PGDATA"].rfind('/'));
  auto command = as_postgres(env["BINDIR"] + "/psql -h " + socket_dir + " -p " + env["PORT"] +
                             " -U postgres -d postgres -qc \"" + sql + "\" >/dev/null");
  return std::system(command.c_str());  // NOLINT(cert-env33-c): test harness
}

// A fresh database owned by `formation`; returns its DSN.
std::string fresh_database(const std::string& name) {
  psql("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  EXPECT_EQ(psql("CREATE DATABASE " + name + " OWNER formation"), 0);
  auto dsn = server_env()["DSN"];
  return dsn.substr(0, dsn.rfind('/') + 1) + name;
}

std::unique_ptr<PgStore> make_store(const std::string& dsn, int pool_size = 2) {
  Config config;
  config.dsn = dsn;
  config.pool_size = pool_size;
  config.connect_timeout_s = 3;
  return std::make_unique<PgStore>(config, std::make_shared<spdlog::logger>("test"));
}

// A transaction that must open.
std::unique_ptr<Transaction> open(PgStore& store) {
  auto t = store.begin();
  EXPECT_TRUE(t.is_ok()) << t.status().to_string();
  return t.is_ok() ? std::move(t).value() : nullptr;
}

Account account(const std::string& address, const std::string& name) {
  Account a;
  a.address = address;
  a.name = name;
  return a;
}

TEST(StatePostgres, MigrationsApplyOnceWhenTwoHostsStartTogether) {
  auto dsn = fresh_database("t_migrations");
  auto a = make_store(dsn);
  auto b = make_store(dsn);
  Status sa;
  Status sb;
  std::thread ta([&] { sa = a->start(); });
  std::thread tb([&] { sb = b->start(); });
  ta.join();
  tb.join();
  ASSERT_TRUE(sa.is_ok()) << sa.to_string();
  ASSERT_TRUE(sb.is_ok()) << sb.to_string();
  EXPECT_EQ(*a->schema_version(), latest_schema_version());
  EXPECT_EQ(*b->migrate(), latest_schema_version());  // idempotent

  pqxx::connection c(dsn);
  pqxx::work w(c);
  EXPECT_EQ(w.exec("SELECT count(*) FROM schema_migrations")[0][0].as<int>(),
            latest_schema_version());
}

TEST(StatePostgres, NonceRememberedAcrossHosts) {
  auto dsn = fresh_database("t_nonces");
  auto host1 = make_store(dsn);
  auto host2 = make_store(dsn);
  ASSERT_TRUE(host1->start().is_ok());
  ASSERT_TRUE(host2->start().is_ok());
  auto expires = std::chrono::system_clock::now() + std::chrono::minutes(5);
  auto address = std::string("0x") + std::string(40, 'a');
  {
    auto t = open(*host1);
    auto first = t->nonces().remember(address, "n-1", expires);
    ASSERT_TRUE(first.is_ok()) << first.status().to_string();
    EXPECT_TRUE(*first);
    ASSERT_TRUE(t->commit().is_ok());
  }
  {
    auto t = open(*host2);
    auto again = t->nonces().remember(address, "n-1", expires);
    ASSERT_TRUE(again.is_ok()) << again.status().to_string();
    EXPECT_FALSE(*again);
    EXPECT_TRUE(*t->nonces().remember(address, "n-2", expires));
    ASSERT_TRUE(t->commit().is_ok());
  }
  // Many hosts racing for one nonce: exactly one wins.
  std::atomic<int> wins = 0;
  std::vector<std::thread> racers;
  racers.reserve(8);
  for (int i = 0; i < 8; ++i) {
    racers.emplace_back([&, i] {
      auto& store = (i % 2 == 0) ? host1 : host2;
      auto t = store->begin();
      ASSERT_TRUE(t.is_ok()) << t.status().to_string();
      auto won = (*t)->nonces().remember(address, "raced", expires);
      ASSERT_TRUE(won.is_ok()) << won.status().to_string();
      if ((*t)->commit().is_ok() && *won) ++wins;
    });
  }
  for (auto& r : racers) r.join();
  EXPECT_EQ(wins.load(), 1);
}

TEST(StatePostgres, MeshAddressUniqueAcrossHosts) {
  auto dsn = fresh_database("t_mesh");
  auto host1 = make_store(dsn);
  auto host2 = make_store(dsn);
  ASSERT_TRUE(host1->start().is_ok());
  ASSERT_TRUE(host2->start().is_ok());
  MeshPeer p;
  p.id = "aa01";
  p.address = "10.42.0.7";
  auto t1 = open(*host1);
  ASSERT_TRUE(t1->mesh_peers().create(p).is_ok());
  ASSERT_TRUE(t1->commit().is_ok());
  p.id = "bb02";
  auto t2 = open(*host2);
  auto clash = t2->mesh_peers().create(p);
  ASSERT_EQ(clash.status().code(), StatusCode::conflict);
  EXPECT_NE(clash.status().message().find("10.42.0.7"), std::string::npos);
  // The transaction is still usable after the conflict.
  p.address = "10.42.0.8";
  EXPECT_TRUE(t2->mesh_peers().create(p).is_ok());
  EXPECT_TRUE(t2->commit().is_ok());
}

TEST(StatePostgres, RepositoriesSmoke) {
  auto dsn = fresh_database("t_smoke");
  auto store = make_store(dsn);
  ASSERT_TRUE(store->start().is_ok());
  auto t = open(*store);
  for (char c : std::string("cab")) {
    ASSERT_TRUE(t->accounts().create(account(std::string("0x") + std::string(40, c), "n")).is_ok());
  }
  EXPECT_EQ(
      t->accounts().create(account(std::string("0x") + std::string(40, 'a'), "x")).status().code(),
      StatusCode::conflict);
  auto page = t->accounts().list({.limit = 2, .page_token = ""});
  ASSERT_TRUE(page.is_ok()) << page.status().to_string();
  ASSERT_EQ(page->items.size(), 2U);
  EXPECT_EQ(page->items[0].address[2], 'a');
  auto rest = t->accounts().list({.limit = 2, .page_token = page->next_page_token});
  ASSERT_TRUE(rest.is_ok());
  ASSERT_EQ(rest->items.size(), 1U);
  EXPECT_TRUE(rest->last());
  EXPECT_EQ(t->accounts().list({.limit = 2, .page_token = "junk"}).status().code(),
            StatusCode::invalid);

  auto a = *t->accounts().get(std::string("0x") + std::string(40, 'a'));
  a.name = "renamed";
  auto updated = t->accounts().update(a);
  ASSERT_TRUE(updated.is_ok());
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(t->accounts().update(a).status().code(), StatusCode::conflict);  // stale version
  ASSERT_TRUE(t->commit().is_ok());
  EXPECT_EQ(t->commit().code(), StatusCode::invalid);

  // Rolled back writes leave nothing.
  {
    auto r = open(*store);
    ASSERT_TRUE(
        r->accounts().create(account(std::string("0x") + std::string(40, 'd'), "n")).is_ok());
  }
  auto check = open(*store);
  EXPECT_EQ(check->accounts().get(std::string("0x") + std::string(40, 'd')).status().code(),
            StatusCode::not_found);

  Instance i;
  i.id = "1f";
  i.owner = a.address;
  i.vcpus = 2;
  i.memory_mb = 512;
  i.disk_gb = 10;
  i.extra_disks_gb = {5, 7};
  ASSERT_TRUE(check->instances().create(i).is_ok());
  auto totals = check->instances().totals({.owner = a.address});
  ASSERT_TRUE(totals.is_ok()) << totals.status().to_string();
  EXPECT_EQ(totals->resources.disk_gb, 22);
  auto moved =
      check->instances().transition("1f", InstanceState::stopped, InstanceState::started, "");
  EXPECT_EQ(moved.status().code(), StatusCode::conflict);
  EXPECT_NE(moved.status().message().find("Created"), std::string::npos);

  Node n;
  n.id = "0xnode";
  n.capacity = {4, 4096, 100};
  ASSERT_TRUE(check->nodes().upsert(n).is_ok());
  EXPECT_TRUE(check->nodes().reserve("0xnode", {3, 1024, 10}).is_ok());
  auto short_of = check->nodes().reserve("0xnode", {3, 1024, 10});
  EXPECT_NE(short_of.status().message().find("needs 2 more vCPUs"), std::string::npos);

  auto serial = *check->dns_records().change_serial();
  DnsRecord d;
  d.fqdn = "web.example.net";
  d.values = {"10.0.0.1"};
  ASSERT_TRUE(check->dns_records().create(d).is_ok());
  EXPECT_EQ(*check->dns_records().change_serial(), serial + 1);
  EXPECT_EQ(check->dns_records().list({.zone = "example.net"}, {})->items.size(), 1U);
  EXPECT_TRUE(check->dns_records().list({.zone = "ample.net"}, {})->items.empty());
  ASSERT_TRUE(check->commit().is_ok());
}

TEST(StatePostgres, ReconnectsAfterServerRestart) {
  auto dsn = fresh_database("t_restart");
  auto store = make_store(dsn, 2);
  ASSERT_TRUE(store->start().is_ok());
  {
    auto t = open(*store);
    ASSERT_TRUE(
        t->accounts().create(account(std::string("0x") + std::string(40, 'e'), "n")).is_ok());
    ASSERT_TRUE(t->commit().is_ok());
  }
  EXPECT_EQ(store->health().state, HealthState::ok);
  auto env = server_env();
  auto restart = as_postgres(env["BINDIR"] + "/pg_ctl -D " + env["PGDATA"] +
                             " restart -m fast -w -t 30 >/dev/null");
  ASSERT_EQ(std::system(restart.c_str()), 0);  // NOLINT(cert-env33-c)

  // The pooled connection died with the server; begin() replaces it transparently.
  auto t = store->begin();
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  auto got = (*t)->accounts().get(std::string("0x") + std::string(40, 'e'));
  EXPECT_TRUE(got.is_ok()) << got.status().to_string();
  EXPECT_TRUE((*t)->commit().is_ok());
  EXPECT_EQ(store->health().state, HealthState::ok);
}

TEST(StatePostgres, BadDsnIsUnavailableAndKeepsThePasswordSecret) {
  auto store = make_store("postgresql://formation:sekrit-pw@127.0.0.1:1/formation");
  auto started = store->start();
  EXPECT_EQ(started.code(), StatusCode::unavailable);
  EXPECT_NE(started.message().find("127.0.0.1:1"), std::string::npos) << started.message();
  EXPECT_EQ(started.message().find("sekrit-pw"), std::string::npos) << started.message();
  EXPECT_EQ(store->begin().status().code(), StatusCode::unavailable);
}

}  // namespace
}  // namespace formation::postgres

// The SQLite specifics of state-sqlite: WAL, file placement, migrations, busy handling.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "db.hpp"
#include "migrations.hpp"
#include "paging.hpp"
#include "settings.hpp"
#include "transaction.hpp"

namespace fs = std::filesystem;
using namespace formation;
using namespace formation::sqlite;

namespace {

class StateSqlite : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("state-sqlite-test-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  ConnectionOptions options(std::chrono::milliseconds busy = std::chrono::milliseconds(5000)) {
    return {dir_ / "state.sqlite3", busy};
  }
  std::unique_ptr<Connection> open(
      std::chrono::milliseconds busy = std::chrono::milliseconds(5000)) {
    auto conn = Connection::open(options(busy));
    EXPECT_TRUE(conn.is_ok()) << conn.status().to_string();
    return std::move(conn).value();
  }

  fs::path dir_;
};

TEST_F(StateSqlite, JournalModeIsWalAndForeignKeysAreOn) {
  auto db = open();
  std::string mode;
  ASSERT_TRUE(
      db->query("PRAGMA journal_mode", {}, [&](const Row& r) { mode = r.text(0); }).is_ok());
  EXPECT_EQ(mode, "wal");
  EXPECT_EQ(db->scalar("PRAGMA foreign_keys")->value_or(0), 1);
  ASSERT_TRUE(apply_migrations(*db).is_ok());
  EXPECT_TRUE(fs::exists(dir_ / "state.sqlite3-wal"));
}

TEST_F(StateSqlite, RelativePathIsUnderTheDataDir) {
  rapidjson::Document params;
  params.Parse(R"({"path": "sub.sqlite3", "busy_timeout_ms": 250})");
  auto o = options_from(params, dir_);
  EXPECT_EQ(o.path, dir_ / "sub.sqlite3");
  EXPECT_EQ(o.busy_timeout, std::chrono::milliseconds(250));

  params.Parse("{}");
  o = options_from(params, dir_);
  EXPECT_EQ(o.path, dir_ / "state.sqlite3");
  EXPECT_EQ(o.busy_timeout, std::chrono::milliseconds(5000));

  params.Parse(R"({"path": "/var/lib/x.sqlite3"})");
  EXPECT_EQ(options_from(params, dir_).path, fs::path("/var/lib/x.sqlite3"));
}

TEST_F(StateSqlite, MigrationsAreVersionedAndIdempotent) {
  auto db = open();
  EXPECT_EQ(*read_schema_version(*db), 0);
  int expected = 1;
  for (const auto& m : migrations()) EXPECT_EQ(m.version, expected++) << m.name;
  auto v = apply_migrations(*db);
  ASSERT_TRUE(v.is_ok()) << v.status().to_string();
  EXPECT_EQ(*v, latest_schema_version());
  auto rows = db->scalar("SELECT COUNT(*) FROM schema_migrations");
  EXPECT_EQ(rows->value_or(0), static_cast<std::int64_t>(migrations().size()));
  auto again = apply_migrations(*db);
  ASSERT_TRUE(again.is_ok()) << again.status().to_string();
  EXPECT_EQ(*again, *v);
  EXPECT_EQ(db->scalar("SELECT COUNT(*) FROM schema_migrations")->value_or(0),
            static_cast<std::int64_t>(migrations().size()));
}

TEST_F(StateSqlite, NewerSchemaIsAConflict) {
  auto db = open();
  ASSERT_TRUE(apply_migrations(*db).is_ok());
  ASSERT_TRUE(db->run("INSERT INTO schema_migrations VALUES (999, 'future', 0)").is_ok());
  auto v = apply_migrations(*db);
  ASSERT_FALSE(v.is_ok());
  EXPECT_EQ(v.status().code(), StatusCode::conflict) << v.status().to_string();
}

TEST_F(StateSqlite, SecondWriterTimesOutAsUnavailable) {
  auto first = open(std::chrono::milliseconds(100));
  auto second = open(std::chrono::milliseconds(100));
  ASSERT_TRUE(first->exec("BEGIN IMMEDIATE").is_ok());
  auto started = std::chrono::steady_clock::now();
  auto st = second->exec("BEGIN IMMEDIATE");
  auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(st.code(), StatusCode::unavailable) << st.to_string();
  EXPECT_GE(waited, std::chrono::milliseconds(80));
  ASSERT_TRUE(first->exec("COMMIT").is_ok());
  EXPECT_TRUE(second->exec("BEGIN IMMEDIATE").is_ok());
  EXPECT_TRUE(second->exec("ROLLBACK").is_ok());
}

TEST_F(StateSqlite, SecondWriterWaitsForTheFirstWithinTheBusyTimeout) {
  auto pool = std::make_shared<ConnectionPool>(options());
  {
    auto conn = pool->acquire();
    ASSERT_TRUE(conn.is_ok());
    ASSERT_TRUE(apply_migrations(**conn).is_ok());
  }
  auto first = begin_transaction(pool);
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  Account a;
  a.address = "0x00000000000000000000000000000000000000aa";
  a.name = "first";
  ASSERT_TRUE((*first)->accounts().create(a).is_ok());
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_TRUE((*first)->commit().is_ok());
  });
  auto second = begin_transaction(pool);  // blocks until the commit above
  releaser.join();
  ASSERT_TRUE(second.is_ok()) << second.status().to_string();
  auto seen = (*second)->accounts().get(a.address);
  ASSERT_TRUE(seen.is_ok()) << seen.status().to_string();
  EXPECT_EQ(seen->version, 1);
  EXPECT_TRUE((*second)->rollback().is_ok());
}

TEST_F(StateSqlite, TimestampsAreUnixMilliseconds) {
  auto db = open();
  ASSERT_TRUE(apply_migrations(*db).is_ok());
  auto pool = std::make_shared<ConnectionPool>(options());
  auto tx = begin_transaction(pool);
  ASSERT_TRUE(tx.is_ok());
  Account a;
  a.address = "0x00000000000000000000000000000000000000bb";
  auto before = to_ms(std::chrono::system_clock::now());
  ASSERT_TRUE((*tx)->accounts().create(a).is_ok());
  ASSERT_TRUE((*tx)->commit().is_ok());
  auto stored = db->scalar("SELECT created_at FROM accounts WHERE address = ?", {a.address});
  ASSERT_TRUE(stored.is_ok() && *stored);
  EXPECT_GE(**stored, before);
  EXPECT_LT(**stored, before + 60'000);
}

TEST(StateSqlitePaging, TokensRoundTripAndAreScoped) {
  auto token = make_page_token("accounts", {"0xabc"});
  auto key = parse_page_token("accounts", token, 1);
  ASSERT_TRUE(key.is_ok());
  EXPECT_EQ(key->at(0), "0xabc");
  EXPECT_EQ(parse_page_token("builds", token, 1).status().code(), StatusCode::invalid);
  EXPECT_EQ(parse_page_token("accounts", "garbage", 1).status().code(), StatusCode::invalid);
  EXPECT_EQ(page_limit({-1, ""}).status().code(), StatusCode::invalid);
  EXPECT_EQ(*page_limit({0, ""}), 100);
  EXPECT_EQ(*page_limit({5000, ""}), 1000);
}

}  // namespace

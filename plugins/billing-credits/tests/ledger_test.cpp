// The plugin over the real state-sqlite plugin: every usage record is debited exactly once
// (repeated, concurrent, by event, by sweep), the balance is credits minus priced usage,
// and creates are refused on an empty balance or over the plan's limits.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "billing_credits.hpp"
#include "pricing.hpp"
#include "support/plugin_runtime.hpp"
#include "usage_event.hpp"

namespace formation::billing_credits {
namespace {

using namespace std::chrono_literals;

const std::string kAlice = "0x" + std::string(40, 'a');
const std::string kBob = "0x" + std::string(40, 'b');

class BillingLedger : public ::testing::Test {
 protected:
  BillingLedger()
      : dir_(std::filesystem::temp_directory_path() /
             ("billing-ledger-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name())),
        runtime_(dir_),
        store_(runtime_.start_store(PLUGIN_BUILD_DIR, "state-sqlite", "{}")) {}
  ~BillingLedger() override { std::filesystem::remove_all(dir_); }

  void add_account(const std::string& address, const std::string& plan = "default") {
    auto tx = store_.begin();
    ASSERT_TRUE(tx.is_ok());
    Account a;
    a.address = address;
    a.name = "t";
    a.plan = plan;
    a.created_at = std::chrono::system_clock::now();
    a.updated_at = a.created_at;
    ASSERT_TRUE((*tx)->accounts().create(a).is_ok());
    ASSERT_TRUE((*tx)->commit().is_ok());
  }

  void add_instance(const std::string& id, const std::string& owner, std::int64_t vcpus) {
    auto tx = store_.begin();
    ASSERT_TRUE(tx.is_ok());
    Instance i;
    i.id = id;
    i.name = id;
    i.owner = owner;
    i.build_id = "b";
    i.node_id = "n";
    i.vcpus = vcpus;
    i.memory_mb = 1024;
    i.disk_gb = 5;
    i.created_at = std::chrono::system_clock::now();
    i.updated_at = i.created_at;
    auto created = (*tx)->instances().create(i);
    ASSERT_TRUE(created.is_ok()) << created.status().to_string();
    ASSERT_TRUE((*tx)->commit().is_ok());
  }

  // A record of `instance` for the `n`-th 30 s period after a fixed start, stored.
  UsageRecord add_usage(const std::string& instance, const std::string& owner, int n,
                        TimePoint base = TimePoint(1'800'000'000s)) {
    UsageRecord r;
    r.instance_id = instance;
    r.owner = owner;
    r.period.start = base + n * 30s;
    r.period.end = r.period.start + 30s;
    r.vcpus = 1 + n % 3;
    r.memory_mb = std::int64_t{512} * (1 + n % 4);
    r.storage_gb = 10;
    r.network_egress_bytes = std::int64_t{1'000'003} * n;
    r.created_at = std::chrono::system_clock::now();
    auto tx = store_.begin();
    EXPECT_TRUE(tx.is_ok());
    EXPECT_TRUE((*tx)->usage().add(r).is_ok());
    EXPECT_TRUE((*tx)->commit().is_ok());
    return r;
  }

  // A started instance with `parameters`; stopped by the runtime.
  BillingCreditsPlugin& make_billing(const std::string& parameters = "{}") {
    auto& billing =
        runtime_.make<BillingCreditsPlugin>("billing-credits", parameters, settings_from);
    if (auto st = billing.start(); !st.is_ok()) throw std::runtime_error(st.message());
    return billing;
  }

  std::vector<LedgerEntry> all_entries(BillingCreditsPlugin& billing, const std::string& who) {
    auto page = billing.ledger(who, PageRequest{1000, ""});
    EXPECT_TRUE(page.is_ok());
    return page.is_ok() ? page->items : std::vector<LedgerEntry>{};
  }

  std::filesystem::path dir_;
  testing::PluginRuntime runtime_;
  StateStore& store_;
};

TEST_F(BillingLedger, TheBalanceIsCreditsMinusThePricesOfEveryRecord) {
  add_account(kAlice);
  auto& billing = make_billing(R"({"sweep_interval_seconds": 0})");
  ASSERT_TRUE(billing.credit(kAlice, 5'000'000, "welcome").is_ok());
  std::int64_t priced = 0;
  for (int n = 0; n < 20; ++n) {
    auto r = add_usage("i1", kAlice, n);
    priced += *billing.price(r);
    auto debited = billing.debit(kAlice, r);
    ASSERT_TRUE(debited.is_ok()) << debited.status().to_string();
    EXPECT_EQ(debited->amount_micro, -*billing.price(r));
  }
  EXPECT_GT(priced, 0);
  EXPECT_EQ(*billing.balance(kAlice), 5'000'000 - priced);
  const auto entries = all_entries(billing, kAlice);
  EXPECT_EQ(entries.size(), 21U);
  std::int64_t sum = 0;
  for (const auto& e : entries) sum += e.amount_micro;
  EXPECT_EQ(sum, 5'000'000 - priced);
}

TEST_F(BillingLedger, ARepeatedDebitWritesOnce) {
  auto& billing = make_billing(R"({"sweep_interval_seconds": 0})");
  auto r = add_usage("i1", kAlice, 1);
  auto first = billing.debit(kAlice, r);
  ASSERT_TRUE(first.is_ok());
  for (int i = 0; i < 5; ++i) {
    auto again = billing.debit(kAlice, r);
    ASSERT_TRUE(again.is_ok());
    EXPECT_EQ(again->id, first->id);
  }
  EXPECT_EQ(all_entries(billing, kAlice).size(), 1U);
  EXPECT_EQ(*billing.balance(kAlice), -*billing.price(r));
}

TEST_F(BillingLedger, ConcurrentDebitsOfOnePeriodWriteOnce) {
  auto& billing = make_billing(R"({"sweep_interval_seconds": 0})");
  // Two plugin instances over one store stand for two hosts.
  auto& other = make_billing(R"({"sweep_interval_seconds": 0})");
  std::vector<UsageRecord> records;
  records.reserve(5);
  for (int n = 0; n < 5; ++n) records.push_back(add_usage("i1", kAlice, n));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      auto& b = t % 2 == 0 ? billing : other;
      for (const auto& r : records) {
        if (!b.debit(kAlice, r).is_ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(all_entries(billing, kAlice).size(), records.size());
  std::int64_t priced = 0;
  for (const auto& r : records) priced += *billing.price(r);
  EXPECT_EQ(*billing.balance(kAlice), -priced);
}

TEST_F(BillingLedger, ADebitOfAnotherAmountForADebitedPeriodIsAConflict) {
  auto& cheap = make_billing(R"({"prices": {"vcpu_second": 1}})");
  auto& dear = make_billing(R"({"prices": {"vcpu_second": 100}})");
  auto r = add_usage("i1", kAlice, 1);
  ASSERT_TRUE(cheap.debit(kAlice, r).is_ok());
  EXPECT_EQ(dear.debit(kAlice, r).status().code(), StatusCode::conflict);
  EXPECT_EQ(all_entries(cheap, kAlice).size(), 1U);
}

TEST_F(BillingLedger, AUsageSampleEventDebitsItsStoredRecordAndAnnounces) {
  add_account(kAlice);
  auto& billing = make_billing(R"({"sweep_interval_seconds": 0})");
  ASSERT_TRUE(billing.credit(kAlice, 1, "tiny").is_ok());
  std::mutex mutex;
  std::vector<std::string> seen;
  runtime_.events().subscribe("billing.", [&](const Event& e) {
    std::lock_guard lock(mutex);
    seen.push_back(e.type);
  });
  auto r = add_usage("i9", kAlice, 2);
  const std::string payload =
      R"({"event_type": "usage.sample", "version": 1, "instance_id": "i9", "user_id": ")" + kAlice +
      R"(", "metrics": {}, "period": {"start": ")" + format_rfc3339_utc(r.period.start) +
      R"(", "end": ")" + format_rfc3339_utc(r.period.end) + R"("}})";
  runtime_.events().publish(Event{"usage.sample", payload, "metering-usage/default"});
  runtime_.events().publish(Event{"usage.sample", payload, "metering-usage/default"});
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mutex);
      if (seen.size() >= 2) break;
    }
    std::this_thread::sleep_for(10ms);
  }
  std::this_thread::sleep_for(200ms);  // the repeated event must not add anything
  EXPECT_EQ(*billing.balance(kAlice), 1 - *billing.price(r));
  std::lock_guard lock(mutex);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), "billing.debited"), 1);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), "billing.balance_exhausted"), 1);
}

TEST_F(BillingLedger, TheSweepDebitsRecordsNoEventDebited) {
  auto& billing = make_billing(R"({"sweep_interval_seconds": 0})");
  const auto recent =
      std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now() - 10min);
  std::int64_t priced = 0;
  for (int n = 0; n < 4; ++n) priced += *billing.price(add_usage("i1", kBob, n, recent));
  ASSERT_TRUE(billing.debit(kBob, add_usage("i2", kBob, 0, recent)).is_ok());
  priced += *billing.price(add_usage("i2", kBob, 0, recent));
  auto swept = billing.sweep();
  ASSERT_TRUE(swept.is_ok()) << swept.status().to_string();
  EXPECT_EQ(*swept, 4);
  EXPECT_EQ(*billing.balance(kBob), -priced);
  EXPECT_EQ(*billing.sweep(), 0);
}

TEST_F(BillingLedger, AnEmptyBalanceRefusesACreateInWords) {
  add_account(kAlice);
  auto& billing = make_billing();
  auto decision = billing.may_create(kAlice, InstanceRequest{1, 1024, 5});
  ASSERT_TRUE(decision.is_ok());
  EXPECT_FALSE(decision->allowed);
  ASSERT_EQ(decision->missing.size(), 1U);
  EXPECT_EQ(decision->missing[0], "balance is 0 credits (an admin credits the account)");
  ASSERT_TRUE(billing.credit(kAlice, 2'000'000, "").is_ok());
  EXPECT_TRUE(billing.may_create(kAlice, InstanceRequest{1, 1024, 5})->allowed);
}

TEST_F(BillingLedger, PlanLimitsCountTheAccountsInstancesAndVcpus) {
  add_account(kAlice, "small");
  auto& billing =
      make_billing(R"({"plans": {"default": {}, "small": {"max_instances": 2, "max_vcpus": 4}}})");
  ASSERT_TRUE(billing.credit(kAlice, 10'000'000, "").is_ok());
  add_instance("i1", kAlice, 2);
  add_instance("other", kBob, 16);  // another account's instances do not count
  auto ok = billing.may_create(kAlice, InstanceRequest{2, 1024, 5});
  ASSERT_TRUE(ok.is_ok());
  EXPECT_TRUE(ok->allowed);
  auto too_big = billing.may_create(kAlice, InstanceRequest{3, 1024, 5});
  EXPECT_FALSE(too_big->allowed);
  ASSERT_EQ(too_big->missing.size(), 1U);
  EXPECT_EQ(too_big->missing[0], "plan 'small' allows 4 vCPUs, 5 requested (2 in use)");
  add_instance("i2", kAlice, 1);
  auto too_many = billing.may_create(kAlice, InstanceRequest{1, 1024, 5});
  EXPECT_FALSE(too_many->allowed);
  ASSERT_EQ(too_many->missing.size(), 1U);
  EXPECT_EQ(too_many->missing[0], "plan 'small' allows 2 instances, 2 exist");
}

TEST_F(BillingLedger, AnUnknownPlanIsRefusedInWords) {
  add_account(kAlice, "gold");
  auto& billing = make_billing();
  ASSERT_TRUE(billing.credit(kAlice, 10'000'000, "").is_ok());
  auto decision = billing.may_create(kAlice, InstanceRequest{1, 1024, 5});
  EXPECT_FALSE(decision->allowed);
  ASSERT_EQ(decision->missing.size(), 1U);
  EXPECT_EQ(decision->missing[0], "plan 'gold' is not offered on this network");
}

TEST_F(BillingLedger, EnforceFalseAllowsWhatWouldBeRefused) {
  add_account(kAlice);
  auto& billing = make_billing(R"({"enforce": false})");
  auto decision = billing.may_create(kAlice, InstanceRequest{1, 1024, 5});
  ASSERT_TRUE(decision.is_ok());
  EXPECT_TRUE(decision->allowed);
}

TEST_F(BillingLedger, CreditsNeedAnAccountAndAPositiveAmount) {
  auto& billing = make_billing();
  EXPECT_EQ(billing.credit(kBob, 1, "").status().code(), StatusCode::not_found);
  add_account(kBob);
  EXPECT_EQ(billing.credit(kBob, 0, "").status().code(), StatusCode::invalid);
  EXPECT_EQ(billing.credit(kBob, -5, "").status().code(), StatusCode::invalid);
  auto entry = billing.credit(kBob, 3, "promo");
  ASSERT_TRUE(entry.is_ok());
  EXPECT_EQ(entry->reason, "admin credit: promo");
  EXPECT_EQ(*billing.balance(kBob), 3);
}

}  // namespace
}  // namespace formation::billing_credits

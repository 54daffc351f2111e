// The credit routes and the 402 on instance create (docs/api.md "Credits and ledger")
// against formationd as a process with state-sqlite, billing-credits enforcing, the
// cloud-init builder and vmm-libvirt on libvirt's test driver; and the same routes on a
// daemon without a Billing plugin (501).
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "build_context.hpp"
#include "signed_daemon.hpp"

namespace formation::testing {
namespace {

// The plan every account has here: small enough that a test can exceed it.
constexpr int kPlanMaxVcpus = 2;

class BillingProcess : public SignedDaemonTest {
 protected:
  static void SetUpTestSuite() {
    make_config("\"node\": {\"capacity\": {\"vcpus\": 8, \"memory_mb\": 8192, \"disk_gb\": 100}}");
    add_instance_plugins();
    // No sweep: the ledger holds only what the tests write.
    config_->add_plugin_file(
        "billing-credits.json",
        "{\"plugin\": \"billing-credits\", \"parameters\": {\"enforce\": true, "
        "\"sweep_interval_seconds\": 0, \"plans\": {\"default\": {\"max_instances\": 10, "
        "\"max_vcpus\": " +
            std::to_string(kPlanMaxVcpus) + "}}}}\n");
    start_daemon();
  }

  // A new tenant with an account.
  static Key tenant() {
    Key k = random_key();
    auto created = call(k, "POST", "/v1/accounts", R"({"name": "tenant"})");
    EXPECT_EQ(created.status, 201) << created.body;
    return k;
  }

  static Reply credit(const Key& by, const std::string& address, const std::string& body) {
    return call(by, "POST", "/v1/accounts/" + address + "/credits", body);
  }

  static std::int64_t balance_of(const Key& k) {
    auto r = call(k, "GET", "/v1/accounts/" + k.address + "/credits");
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) return -1;
    return (*r.json)["balance_micro"].GetInt64();
  }

  static std::size_t instances_of(const Key& k) {
    auto r = call(k, "GET", "/v1/instances");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? (*r.json)["instances"].Size() : 0;
  }
};

TEST_F(BillingProcess, AnAdminsCreditShowsInTheBalanceAndTheLedger) {
  Key me = tenant();
  auto fresh = call(me, "GET", "/v1/accounts/" + me.address + "/credits");
  ASSERT_EQ(fresh.status, 200) << fresh.body;
  EXPECT_EQ(fresh.str("address"), me.address);
  EXPECT_EQ((*fresh.json)["balance_micro"].GetInt64(), 0);
  EXPECT_EQ(fresh.str("balance"), "0.000000");
  EXPECT_EQ(fresh.str("plan"), "default");

  auto first = credit(*admin_, me.address, R"({"amount_micro": 12500000, "reason": "promo"})");
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ((*first.json)["amount_micro"].GetInt64(), 12500000);
  EXPECT_EQ(first.str("amount"), "12.500000");
  EXPECT_EQ(first.str("address"), me.address);
  EXPECT_NE(first.str("reason").find("promo"), std::string::npos) << first.body;
  EXPECT_FALSE(first.str("id").empty());

  auto shown = call(me, "GET", "/v1/accounts/" + me.address + "/credits");
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_EQ((*shown.json)["balance_micro"].GetInt64(), 12500000);
  EXPECT_EQ(shown.str("balance"), "12.500000");

  // A second credit; the ledger lists both, newest first, a page at a time.
  ASSERT_EQ(credit(*admin_, me.address, R"({"amount_micro": 1})").status, 201);
  EXPECT_EQ(balance_of(me), 12500001);
  auto ledger = call(me, "GET", "/v1/accounts/" + me.address + "/ledger");
  ASSERT_EQ(ledger.status, 200) << ledger.body;
  const auto& items = (*ledger.json)["items"];
  ASSERT_EQ(items.Size(), 2U) << ledger.body;
  EXPECT_EQ(items[0]["amount_micro"].GetInt64(), 1);
  EXPECT_EQ(items[1]["amount_micro"].GetInt64(), 12500000);
  EXPECT_EQ(std::string(items[1]["id"].GetString()), first.str("id"));
  EXPECT_TRUE(items[0]["instance_id"].IsNull());
  EXPECT_EQ(ledger.str("next_page_token"), "");

  auto page1 = call(me, "GET", "/v1/accounts/" + me.address + "/ledger?limit=1");
  ASSERT_EQ(page1.status, 200) << page1.body;
  ASSERT_EQ((*page1.json)["items"].Size(), 1U);
  const std::string token = page1.str("next_page_token");
  ASSERT_FALSE(token.empty()) << page1.body;
  auto page2 =
      call(me, "GET", "/v1/accounts/" + me.address + "/ledger?limit=1&page_token=" + token);
  ASSERT_EQ(page2.status, 200) << page2.body;
  ASSERT_EQ((*page2.json)["items"].Size(), 1U);
  EXPECT_EQ((*page2.json)["items"][0]["amount_micro"].GetInt64(), 12500000);
}

TEST_F(BillingProcess, OnlyAnAdminCredits) {
  Key me = tenant();
  Key other = tenant();
  for (const Key* who : {&me, &other}) {
    auto r = credit(*who, me.address, R"({"amount_micro": 1000000})");
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_EQ(r.code, "permission_denied");
  }
  EXPECT_EQ(balance_of(me), 0);
}

TEST_F(BillingProcess, ATenantReadsOnlyItsOwnCredits) {
  Key me = tenant();
  Key other = tenant();
  for (const char* route : {"/credits", "/ledger"}) {
    auto refused = call(other, "GET", "/v1/accounts/" + me.address + route);
    EXPECT_EQ(refused.status, 403) << route << ": " << refused.body;
    EXPECT_EQ(refused.code, "permission_denied") << route;
    EXPECT_EQ(call(*admin_, "GET", "/v1/accounts/" + me.address + route).status, 200) << route;
  }
}

TEST_F(BillingProcess, BadCreditsAre400NamingTheField) {
  Key me = tenant();
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"amount_micro": 0})", "amount_micro"},
      {R"({"amount_micro": -5})", "amount_micro"},
      {R"({"amount_micro": 1.5})", "amount_micro"},
      {R"({"amount_micro": "10"})", "amount_micro"},
      {R"({"amount_micro": 99999999999999999999})", "amount_micro"},
      {R"({"amount_micro": 1000000000000000001})", "amount_micro"},
      {R"({"reason": "no amount"})", "amount_micro"},
      {R"({"amount_micro": 1, "reason": ")" + std::string(300, 'x') + R"("})", "reason"},
      {R"({"amount_micro": 1, "currency": "EUR"})", "currency"},
      {R"([1])", "body"},
      {"not json", "body"},
  };
  for (const auto& [body, field] : bad) {
    auto r = credit(*admin_, me.address, body);
    EXPECT_EQ(r.status, 400) << body << ": " << r.body;
    EXPECT_EQ(r.code, "invalid") << body;
    EXPECT_NE(r.message.find(field), std::string::npos) << body << ": " << r.message;
  }
  EXPECT_EQ(balance_of(me), 0);

  auto bad_address = credit(*admin_, "0x1234", R"({"amount_micro": 1})");
  EXPECT_EQ(bad_address.status, 400) << bad_address.body;
  EXPECT_NE(bad_address.message.find("address"), std::string::npos) << bad_address.message;
  auto nobody = credit(*admin_, random_key().address, R"({"amount_micro": 1})");
  EXPECT_EQ(nobody.status, 404) << nobody.body;
  auto bad_limit = call(me, "GET", "/v1/accounts/" + me.address + "/ledger?limit=0");
  EXPECT_EQ(bad_limit.status, 400) << bad_limit.body;
}

TEST_F(BillingProcess, AnEmptyBalanceRefusesACreateWith402UntilCredited) {
  Key me = tenant();
  const std::string build_id = build_image(me);
  ASSERT_FALSE(build_id.empty());
  const std::string body = R"({"build_id": ")" + build_id + R"("})";

  auto refused = call(me, "POST", "/v1/instances", body);
  ASSERT_EQ(refused.status, 402) << refused.body;
  EXPECT_EQ(refused.code, "payment_required");
  const auto& error = (*refused.json)["error"];
  ASSERT_TRUE(error.HasMember("missing") && error["missing"].IsArray()) << refused.body;
  ASSERT_GT(error["missing"].Size(), 0U) << refused.body;
  EXPECT_NE(std::string(error["missing"][0].GetString()).find("balance"), std::string::npos)
      << refused.body;
  EXPECT_TRUE(error["request_id"].IsString() && error["request_id"].GetStringLength() > 0);
  EXPECT_EQ(instances_of(me), 0U);

  ASSERT_EQ(credit(*admin_, me.address, R"({"amount_micro": 5000000})").status, 201);
  auto created = call(me, "POST", "/v1/instances", body);
  ASSERT_EQ(created.status, 202) << created.body;
  EXPECT_EQ(instances_of(me), 1U);
  auto done = wait_operation(me, (*created.json)["operation"]["id"].GetString());
  EXPECT_EQ(done.str("state"), "succeeded") << done.body;

  auto deleted = call(
      me, "DELETE", "/v1/instances/" + std::string((*created.json)["instance"]["id"].GetString()));
  ASSERT_EQ(deleted.status, 202) << deleted.body;
  EXPECT_EQ(wait_operation(me, (*deleted.json)["operation"]["id"].GetString()).str("state"),
            "succeeded");
}

TEST_F(BillingProcess, ThePlansVcpuLimitRefusesABiggerCreate) {
  Key me = tenant();
  ASSERT_EQ(credit(*admin_, me.address, R"({"amount_micro": 5000000})").status, 201);
  const std::string build_id = build_image(me);
  ASSERT_FALSE(build_id.empty());
  auto refused = call(
      me, "POST", "/v1/instances",
      R"({"build_id": ")" + build_id + R"(", "vcpus": )" + std::to_string(kPlanMaxVcpus + 1) + "}");
  ASSERT_EQ(refused.status, 402) << refused.body;
  const auto& missing = (*refused.json)["error"]["missing"];
  ASSERT_EQ(missing.Size(), 1U) << refused.body;
  EXPECT_NE(std::string(missing[0].GetString()).find("vCPUs"), std::string::npos) << refused.body;
  EXPECT_EQ(instances_of(me), 0U);
  // Bad input is still 400, before billing is asked.
  EXPECT_EQ(call(me, "POST", "/v1/instances", R"({"build_id": ")" + build_id + R"(", "vcpus": 0})")
                .status,
            400);
}

// ---- without a Billing plugin ------------------------------------------------------------

class NoBillingProcess : public SignedDaemonTest {
 protected:
  static void SetUpTestSuite() {
    make_config();
    start_daemon();
  }
};

TEST_F(NoBillingProcess, EveryCreditRouteIs501) {
  Key me = random_key();
  ASSERT_EQ(call(me, "POST", "/v1/accounts", R"({"name": "tenant"})").status, 201);
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"GET", "/credits"}, {"POST", "/credits"}, {"GET", "/ledger"}};
  for (const auto& [method, suffix] : routes) {
    for (const Key* who : {&me, admin_}) {
      auto r = call(*who, method, "/v1/accounts/" + me.address + suffix,
                    method == "POST" ? R"({"amount_micro": 1})" : "");
      EXPECT_EQ(r.status, 501) << method << " " << suffix << ": " << r.body;
      EXPECT_EQ(r.code, "unsupported") << method << " " << suffix;
      EXPECT_NE(r.message.find("billing-credits"), std::string::npos) << r.message;
    }
  }
}

}  // namespace
}  // namespace formation::testing

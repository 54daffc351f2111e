// Usage end to end: formationd with vmm-libvirt on libvirt's test driver, metering-usage
// every second with a threshold, and a webhook to a real loopback receiver. An instance
// created through the API is metered: GET /v1/instances/{id}/usage and GET /v1/usage show
// it to its owner (and to no one else), `form usage` prints it, and the threshold's
// violation reaches the owner's webhook, signed.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../webhooks/receiver.hpp"
#include "signed_daemon.hpp"
#include "webhooks/delivery_keys.hpp"

namespace formation::testing {
namespace {

std::int64_t millis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

class UsageProcess : public SignedDaemonTest {
 protected:
  static void SetUpTestSuite() {
    make_config("\"node\": {\"capacity\": {\"vcpus\": 4, \"memory_mb\": 4096, \"disk_gb\": 50}}");
    add_instance_plugins();
    // The test driver's CPU counter runs with the wall clock, so any running instance uses
    // more than 0.01 CPU seconds per period: the threshold is crossed at the first period.
    config_->add_plugin_file(
        "metering-usage.json",
        R"({"plugin": "metering-usage", "parameters": {"period_seconds": 1, "thresholds": [)"
        R"({"name": "busy", "resource": "cpu", "kind": "absolute", "limit": 0.01}]}})"
        "\n");
    // Only vCPU-seconds cost (1000 micro-credits each), so a period's price is
    // vcpus x its length in milliseconds: computed here from the stored record, not by the
    // plugin's code. Creates are not refused.
    config_->add_plugin_file(
        "billing-credits.json",
        R"({"plugin": "billing-credits", "parameters": {"enforce": false, "prices": )"
        R"({"vcpu_second": 1000, "memory_gb_second": 0, "disk_gb_second": 0, "egress_gb": 0}}})"
        "\n");
    start_daemon();
  }

  // GET /v1/instances/{id}/usage until its last period is there (20 s at most).
  static Reply metered(const Key& k, const std::string& id) {
    Reply r;
    for (int i = 0; i < 200; ++i) {
      r = call(k, "GET", "/v1/instances/" + id + "/usage");
      if (r.status != 200 || (*r.json)["last_period"].IsObject()) return r;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return r;
  }
};

// `form --api URL --key FILE args`: exit status and what it printed (stdout and stderr).
std::pair<int, std::string> form(const std::string& api, const std::string& key_file,
                                 const std::string& args) {
  // The key file is encrypted; form reads its passphrase from the environment when it has
  // no terminal.
  const std::string command = "FORM_PASSPHRASE='usage test' " + std::string(FORM_BINARY) +
                              " --api " + api + " --key " + key_file + " " + args + " 2>&1";
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, ""};
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), static_cast<int>(buf.size()), pipe) != nullptr) out += buf.data();
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST_F(UsageProcess, AnInstanceIsMeteredAndItsOwnerSeesItsUsage) {
  Key me = random_key();
  const std::string id = create_instance(me);
  ASSERT_FALSE(id.empty());

  auto usage = metered(me, id);
  ASSERT_EQ(usage.status, 200) << usage.body;
  const auto& doc = *usage.json;
  EXPECT_EQ(usage.str("instance_id"), id);
  EXPECT_EQ(usage.str("owner"), me.address);
  ASSERT_TRUE(doc["last_period"].IsObject()) << "no period metered within 20 s: " << usage.body;
  const auto& last = doc["last_period"]["metrics"];
  const auto& total = doc["since_creation"]["metrics"];
  for (const char* m : {"cpu_seconds", "cpu_percent_avg", "memory_gb", "memory_percent",
                        "storage_gb", "network_egress_mb", "network_ingress_mb", "gpu_seconds"}) {
    ASSERT_TRUE(last[m].IsNumber()) << m << " in " << usage.body;
    EXPECT_GE(last[m].GetDouble(), 0) << m;
    EXPECT_GE(total[m].GetDouble() + 1e-9,
              m == std::string("cpu_seconds") ? last[m].GetDouble() : 0)
        << m;
  }
  EXPECT_GT(last["cpu_seconds"].GetDouble(), 0) << usage.body;
  EXPECT_LE(last["cpu_percent_avg"].GetDouble(), 100);

  // The list has it; a stranger sees neither the instance's usage nor anything in its list.
  auto mine = call(me, "GET", "/v1/usage");
  ASSERT_EQ(mine.status, 200) << mine.body;
  ASSERT_EQ((*mine.json)["items"].Size(), 1U) << mine.body;
  EXPECT_EQ(std::string((*mine.json)["items"][0]["instance_id"].GetString()), id);
  Key stranger = random_key();
  EXPECT_EQ(call(stranger, "GET", "/v1/instances/" + id + "/usage").status, 404);
  auto theirs = call(stranger, "GET", "/v1/usage");
  ASSERT_EQ(theirs.status, 200);
  EXPECT_EQ((*theirs.json)["items"].Size(), 0U);
  EXPECT_EQ(call(stranger, "GET", "/v1/usage?owner=" + me.address).status, 403);
  auto as_admin = call(*admin_, "GET", "/v1/usage?owner=" + me.address);
  ASSERT_EQ(as_admin.status, 200) << as_admin.body;
  EXPECT_EQ((*as_admin.json)["items"].Size(), 1U);
  auto bad = call(me, "GET", "/v1/usage?owner=bob");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.message.find("owner"), std::string::npos) << bad.message;
}

// Metered periods become debits end to end: each stored usage record is debited once, at
// its price, and the balance the API shows is the ledger's sum.
TEST_F(UsageProcess, EveryMeteredPeriodIsDebitedOnceAtItsPrice) {
  Key me = random_key();
  ASSERT_EQ(call(me, "POST", "/v1/accounts", R"({"name": "metered"})").status, 201);
  const std::string id = create_instance(me);
  ASSERT_FALSE(id.empty());

  std::vector<LedgerEntry> debits;
  for (int i = 0; i < 300 && debits.size() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto tx = store_->store->begin();
    ASSERT_TRUE(tx.is_ok());
    auto page = (*tx)->ledger().list(me.address, PageRequest{100, ""});
    ASSERT_TRUE(page.is_ok()) << page.status().to_string();
    debits = page->items;
  }
  ASSERT_GE(debits.size(), 3U) << "three periods were not debited within 30 s";

  std::map<std::int64_t, UsageRecord> records;  // by period start, in ms
  {
    auto tx = store_->store->begin();
    ASSERT_TRUE(tx.is_ok());
    UsageFilter filter;
    filter.instance_id = id;
    auto page = (*tx)->usage().list(filter, PageRequest{100, ""});
    ASSERT_TRUE(page.is_ok());
    for (const auto& r : page->items) records[millis(r.period.start)] = r;
  }
  std::set<std::int64_t> debited;
  std::int64_t sum = 0;
  for (const auto& d : debits) {
    ASSERT_TRUE(d.period.has_value() && d.instance_id.has_value()) << d.reason;
    EXPECT_EQ(*d.instance_id, id);
    const std::int64_t start = millis(d.period->start);
    EXPECT_TRUE(debited.insert(start).second) << "period debited twice: " << start;
    ASSERT_TRUE(records.contains(start)) << "a debit without a usage record";
    const auto& r = records.at(start);
    EXPECT_EQ(d.amount_micro, -(r.vcpus * (millis(r.period.end) - start)));
    EXPECT_LT(d.amount_micro, 0);
    sum += d.amount_micro;
  }
  auto credits = call(me, "GET", "/v1/accounts/" + me.address + "/credits");
  ASSERT_EQ(credits.status, 200) << credits.body;
  // Debits keep coming while the instance runs: the balance is at most what was summed.
  EXPECT_LE((*credits.json)["balance_micro"].GetInt64(), sum);
  auto ledger = call(me, "GET", "/v1/accounts/" + me.address + "/ledger?limit=100");
  ASSERT_EQ(ledger.status, 200) << ledger.body;
  std::int64_t listed = 0;
  for (const auto& e : (*ledger.json)["items"].GetArray()) listed += e["amount_micro"].GetInt64();
  auto after = call(me, "GET", "/v1/accounts/" + me.address + "/credits");
  ASSERT_EQ(after.status, 200);
  EXPECT_GE(listed, (*after.json)["balance_micro"].GetInt64());
  EXPECT_LE(listed, (*credits.json)["balance_micro"].GetInt64());
}

TEST_F(UsageProcess, FormUsagePrintsATableAndJson) {
  // A key `form` imports from its hex, so that the test signs as the same account.
  std::string hex;
  Key me;
  do {
    hex = random_hex(32);
  } while (!identity::parse_private_key(hex).is_ok());
  me = key_from(hex);
  const auto hex_file = config_->dir() / ("key-" + random_hex(4) + ".hex");
  std::ofstream(hex_file) << hex << "\n";
  const auto key_file = (config_->dir() / ("key-" + random_hex(4) + ".json")).string();
  const std::string api = daemon_->url();
  ASSERT_EQ(form(api, key_file, "key import --private-key-file " + hex_file.string()).first, 0);

  const std::string id = create_instance(me);
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE((*metered(me, id).json)["last_period"].IsObject());

  auto [status, table] = form(api, key_file, "usage");
  EXPECT_EQ(status, 0) << table;
  EXPECT_NE(table.find("INSTANCE"), std::string::npos) << table;
  EXPECT_NE(table.find("CPU S"), std::string::npos) << table;
  EXPECT_NE(table.find(id), std::string::npos) << table;
  EXPECT_NE(table.find("since "), std::string::npos) << table;

  auto [json_status, json] = form(api, key_file, "--output json usage " + id);
  EXPECT_EQ(json_status, 0) << json;
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  ASSERT_FALSE(doc.HasParseError()) << json;
  EXPECT_EQ(std::string(doc["instance_id"].GetString()), id);

  auto [missing_status, missing] = form(api, key_file, "usage 0123456789abcdef");
  EXPECT_EQ(missing_status, 1) << missing;
  EXPECT_NE(missing.find("form instance list"), std::string::npos) << missing;

  // form threshold: add (table and JSON), list, refused limit, remove.
  auto [added_status, added] =
      form(api, key_file, "threshold add cpu-cap --resource cpu --kind absolute --limit 1000");
  EXPECT_EQ(added_status, 0) << added;
  EXPECT_NE(added.find("all your instances"), std::string::npos) << added;
  auto [json_add_status, json_add] =
      form(api, key_file,
           "--output json threshold add one --resource memory --kind percent --limit 95 "
           "--instance " +
               id);
  ASSERT_EQ(json_add_status, 0) << json_add;
  rapidjson::Document one;
  one.Parse(json_add.c_str());
  ASSERT_FALSE(one.HasParseError()) << json_add;
  EXPECT_EQ(std::string(one["instance_id"].GetString()), id);
  auto [list_status, listed] = form(api, key_file, "threshold list");
  EXPECT_EQ(list_status, 0) << listed;
  EXPECT_NE(listed.find("cpu-cap"), std::string::npos) << listed;
  EXPECT_NE(listed.find("instance " + id), std::string::npos) << listed;
  auto [bad_status, bad] =
      form(api, key_file, "threshold add x --resource cpu --kind absolute --limit lots");
  EXPECT_EQ(bad_status, 2) << bad;
  auto [refused_status, refused] =
      form(api, key_file, "threshold add x --resource disk --kind absolute --limit 1");
  EXPECT_EQ(refused_status, 1) << refused;
  EXPECT_NE(refused.find("resource"), std::string::npos) << refused;
  auto [removed_status, removed] =
      form(api, key_file, "threshold remove " + std::string(one["id"].GetString()));
  EXPECT_EQ(removed_status, 0) << removed;
  EXPECT_EQ(form(api, key_file, "threshold list").second.find("instance " + id), std::string::npos);
}

TEST_F(UsageProcess, AThresholdViolationReachesTheOwnersWebhookSigned) {
  Receiver receiver;
  receiver.up();
  Key me = random_key();
  auto hook = call(me, "POST", "/v1/webhooks",
                   R"({"url": ")" + receiver.url() + R"(", "events": ["threshold"]})");
  ASSERT_EQ(hook.status, 201) << hook.body;
  const std::string secret = hook.str("secret");
  const std::string id = create_instance(me);
  ASSERT_FALSE(id.empty());

  ASSERT_TRUE(receiver.wait_delivered(1, std::chrono::seconds(30)))
      << "no threshold.violation delivered within 30 s";
  const auto got = receiver.delivered().front();
  EXPECT_EQ(got.headers.at("x-formation-event"), "threshold.violation");
  EXPECT_EQ(got.headers.at("x-formation-signature"), host::webhooks::sign_body(secret, got.body));
  rapidjson::Document doc;
  doc.Parse(got.body.c_str());
  ASSERT_FALSE(doc.HasParseError()) << got.body;
  EXPECT_EQ(std::string(doc["threshold"].GetString()), "busy");
  EXPECT_EQ(std::string(doc["instance_id"].GetString()), id);
  EXPECT_EQ(std::string(doc["user_id"].GetString()), me.address);
  EXPECT_GT(doc["value"].GetDouble(), doc["limit"].GetDouble());
  // Once per crossing: the instance stays busy, so a few more periods bring nothing new.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(receiver.delivered().size(), 1U);
}

// A tenant's own threshold through the API: refused definitions name the field, strangers
// see nothing of it, and a crossing reaches the tenant's webhook with its id.
TEST_F(UsageProcess, ATenantsThresholdIsCheckedAndItsViolationDelivered) {
  Key me = random_key();
  const std::string id = create_instance(me);
  ASSERT_FALSE(id.empty());
  struct Bad {
    std::string body;
    std::string names;
  };
  const Bad bad[] = {
      {R"({"name": "x", "resource": "disk", "kind": "absolute", "limit": 1})", "/resource"},
      {R"({"name": "x", "resource": "storage", "kind": "percent", "limit": 1})", "anyOf"},
      {R"({"name": "x", "resource": "cpu", "kind": "absolute", "limit": -1})", "/limit"},
      {R"({"name": "x", "resource": "cpu", "kind": "absolute"})", "limit"},
      {R"({"name": "x", "resource": "cpu", "kind": "absolute", "limit": 1, "account": "0x)" +
           std::string(40, 'a') + R"("})",
       "account"},
      {"not json", "body"},
  };
  for (const auto& b : bad) {
    auto r = call(me, "POST", "/v1/thresholds", b.body);
    EXPECT_EQ(r.status, 400) << b.body << " -> " << r.body;
    EXPECT_NE(r.message.find(b.names), std::string::npos) << r.message;
  }
  Key stranger = random_key();
  auto theirs = call(stranger, "POST", "/v1/thresholds",
                     R"({"name": "spy", "resource": "cpu", "kind": "absolute", "limit": 1, )"
                     R"("instance_id": ")" +
                         id + R"("})");
  EXPECT_EQ(theirs.status, 404) << theirs.body;

  Receiver receiver;
  receiver.up();
  auto hook = call(me, "POST", "/v1/webhooks",
                   R"({"url": ")" + receiver.url() + R"(", "events": ["threshold"]})");
  ASSERT_EQ(hook.status, 201) << hook.body;
  // "busy" (the operator's) also fires for this instance; the tenant's is told apart by id.
  auto mine = call(me, "POST", "/v1/thresholds",
                   R"({"name": "mine", "resource": "cpu", "kind": "absolute", "limit": 0.001})");
  ASSERT_EQ(mine.status, 201) << mine.body;
  const std::string threshold = mine.str("id");
  EXPECT_EQ(mine.str("scope"), "account");
  EXPECT_EQ(call(me, "POST", "/v1/thresholds",
                 R"({"name": "mine", "resource": "cpu", "kind": "absolute", "limit": 5})")
                .status,
            409);
  EXPECT_EQ(call(stranger, "GET", "/v1/thresholds/" + threshold).status, 404);
  EXPECT_EQ(call(stranger, "DELETE", "/v1/thresholds/" + threshold).status, 404);
  auto listed = call(me, "GET", "/v1/thresholds");
  ASSERT_EQ(listed.status, 200);
  ASSERT_EQ((*listed.json)["thresholds"].Size(), 1U);

  std::string body;
  for (int i = 0; i < 300 && body.empty(); ++i) {
    for (const auto& got : receiver.delivered()) {
      if (got.body.find(threshold) != std::string::npos) body = got.body;
    }
    if (body.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(body.empty()) << "the tenant's threshold raised nothing within 30 s";
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  EXPECT_EQ(std::string(doc["threshold"].GetString()), "mine");
  EXPECT_EQ(std::string(doc["threshold_id"].GetString()), threshold);
  EXPECT_EQ(std::string(doc["scope"].GetString()), "account");
  EXPECT_EQ(std::string(doc["user_id"].GetString()), me.address);

  EXPECT_EQ(call(me, "DELETE", "/v1/thresholds/" + threshold).status, 204);
  EXPECT_EQ(call(me, "GET", "/v1/thresholds/" + threshold).status, 404);
}

}  // namespace
}  // namespace formation::testing

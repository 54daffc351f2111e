// form webhook add | list | remove | deliveries against a real formationd with state-sqlite:
// add -> list shows it -> remove -> list is empty; the secret printed once (and in -o json);
// refused URLs exit non-zero naming the url; usage errors send nothing; another tenant's
// webhook is not found; deliveries (written into the daemon's SQLite file here, as the
// outbox writer would) are shown with their state and last error.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cli.hpp"
#include "daemon_process.hpp"
#include "form_home.hpp"
#include "formation/kinds/state_store.hpp"
#include "signed_daemon.hpp"

namespace {

using form_test::form_run;
using form_test::Outcome;

const char* const kAdminKey = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
const char* const kAdminAddress = "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23";
const char* const kUserKey = "1111111111111111111111111111111111111111111111111111111111111111";
const char* const kOtherKey = "2222222222222222222222222222222222222222222222222222222222222222";
// Nothing listens there: a command that exits 2 with it sent nothing.
const char* const kNowhere = "http://127.0.0.1:9";
// A receiver URL the server accepts; nothing needs to listen for these tests.
const char* const kReceiver = "http://127.0.0.1:9/hooks/usage";

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class FormWebhook : public form_test::FormHome {
 protected:
  static void SetUpTestSuite() {
    config_ = new formation::testing::TempConfig(
        {PLUGIN_BUILD_DIR}, std::string(R"("admins": [")") + kAdminAddress + "\"]");
    db_file_ = config_->dir() / "state.sqlite3";
    config_->add_plugin_file(
        "state-sqlite.json",
        R"({"plugin": "state-sqlite", "parameters": {"path": ")" + db_file_.string() + "\"}}");
    daemon_ = new formation::testing::DaemonProcess(config_->dir());
  }
  static void TearDownTestSuite() {
    delete daemon_;
    delete config_;
    daemon_ = nullptr;
    config_ = nullptr;
  }
  void SetUp() override {
    FormHome::SetUp();
    ASSERT_TRUE(daemon_->started()) << daemon_->startup_output();
    user_key_ = import_key(kUserKey, "user");
    other_key_ = import_key(kOtherKey, "other");
  }
  static Outcome as(const std::string& key, std::vector<std::string> args) {
    args.insert(args.begin(), {"--api", daemon_->url(), "--key", key});
    return form_run(args);
  }
  // The ids `key` sees in `form webhook list -o json`.
  static std::vector<std::string> listed_ids(const std::string& key) {
    std::vector<std::string> ids;
    auto listed = as(key, {"webhook", "list", "-o", "json"});
    EXPECT_EQ(listed.code, 0) << listed.err;
    rapidjson::Document doc;
    doc.Parse(listed.out.c_str());
    EXPECT_TRUE(doc.IsObject() && doc.HasMember("webhooks")) << listed.out;
    if (!doc.IsObject() || !doc.HasMember("webhooks")) return ids;
    for (const auto& h : doc["webhooks"].GetArray()) ids.emplace_back(h["id"].GetString());
    return ids;
  }

  static inline formation::testing::TempConfig* config_ = nullptr;
  static inline std::filesystem::path db_file_;
  static inline formation::testing::DaemonProcess* daemon_ = nullptr;
  std::string user_key_;
  std::string other_key_;
};

TEST_F(FormWebhook, GroupListsItsVerbsAndEveryVerbHasHelp) {
  auto group = form_run({"webhook", "--help"});
  EXPECT_EQ(group.code, 0);
  for (const char* verb : {"add", "list", "remove", "deliveries"}) {
    EXPECT_TRUE(has(group.out, std::string("webhook ") + verb)) << verb << "\n" << group.out;
    auto help = form_run({"webhook", verb, "--help"});
    EXPECT_EQ(help.code, 0) << verb;
    EXPECT_TRUE(has(help.out, "/v1/webhooks")) << verb << "\n" << help.out;
  }
}

TEST_F(FormWebhook, UsageErrorsSendNothing) {
  struct Case {
    std::vector<std::string> args;
    const char* says;
  };
  const std::vector<Case> cases = {
      {{"webhook", "add"}, "wrong number of arguments"},
      {{"webhook", "add", ""}, "must not be empty"},
      {{"webhook", "add", kReceiver, "--events", " , "}, "--events"},
      {{"webhook", "remove"}, "wrong number of arguments"},
      {{"webhook", "remove", ""}, "must not be empty"},
      {{"webhook", "deliveries", "a", "b"}, "wrong number of arguments"},
      {{"webhook", "list", "--limit", "x"}, "--limit"},
      {{"webhook", "add", kReceiver, "--event", "usage"}, "--events"},
  };
  for (auto c : cases) {
    c.args.insert(c.args.begin(), {"--api", kNowhere, "--key", user_key_});
    auto r = form_run(c.args);
    EXPECT_EQ(r.code, 2) << c.args.back() << ": " << r.err;
    EXPECT_TRUE(has(r.err, c.says)) << r.err;
  }
}

TEST_F(FormWebhook, AddListRemoveList) {
  auto added = as(user_key_, {"webhook", "add", kReceiver, "--events", "usage,threshold"});
  ASSERT_EQ(added.code, 0) << added.err;
  EXPECT_TRUE(has(added.out, kReceiver)) << added.out;
  EXPECT_TRUE(has(added.out, "usage,threshold")) << added.out;
  EXPECT_TRUE(has(added.out, "secret")) << added.out;
  EXPECT_TRUE(has(added.err, "will not be shown again")) << added.err;
  const auto ids = listed_ids(user_key_);
  ASSERT_EQ(ids.size(), 1U);
  const std::string& id = ids[0];
  EXPECT_TRUE(has(added.out, id)) << added.out;

  auto listed = as(user_key_, {"webhook", "list"});
  ASSERT_EQ(listed.code, 0) << listed.err;
  EXPECT_TRUE(has(listed.out, "ID")) << listed.out;
  EXPECT_TRUE(has(listed.out, id)) << listed.out;
  EXPECT_TRUE(has(listed.out, kReceiver)) << listed.out;
  EXPECT_FALSE(has(listed.out, "secret")) << listed.out;

  // Nothing was sent yet: an empty list, said on stderr.
  auto deliveries = as(user_key_, {"webhook", "deliveries", id});
  ASSERT_EQ(deliveries.code, 0) << deliveries.err;
  EXPECT_TRUE(has(deliveries.err, "no deliveries yet")) << deliveries.err;
  auto deliveries_json = as(user_key_, {"webhook", "deliveries", id, "-o", "json"});
  ASSERT_EQ(deliveries_json.code, 0) << deliveries_json.err;
  EXPECT_TRUE(has(deliveries_json.out, R"("deliveries":[])")) << deliveries_json.out;

  // Another tenant neither sees nor removes it.
  EXPECT_TRUE(listed_ids(other_key_).empty());
  auto foreign = as(other_key_, {"webhook", "remove", id});
  EXPECT_EQ(foreign.code, 1) << foreign.err;
  EXPECT_TRUE(has(foreign.err, "not_found")) << foreign.err;
  EXPECT_TRUE(has(foreign.err, "form webhook list")) << foreign.err;

  auto removed = as(user_key_, {"webhook", "remove", id});
  ASSERT_EQ(removed.code, 0) << removed.err;
  EXPECT_TRUE(has(removed.out, "removed webhook " + id)) << removed.out;
  EXPECT_TRUE(listed_ids(user_key_).empty());
  auto empty = as(user_key_, {"webhook", "list"});
  EXPECT_EQ(empty.code, 0) << empty.err;
  EXPECT_TRUE(empty.out.empty()) << empty.out;
  EXPECT_TRUE(has(empty.err, "no webhooks")) << empty.err;

  auto again = as(user_key_, {"webhook", "remove", id});
  EXPECT_EQ(again.code, 1) << again.err;
  EXPECT_TRUE(has(again.err, "no webhook " + id)) << again.err;
}

TEST_F(FormWebhook, JsonOutputIsTheApiAnswerWithTheSecret) {
  auto added = as(user_key_, {"-o", "json", "webhook", "add", kReceiver, "--events", "usage"});
  ASSERT_EQ(added.code, 0) << added.err;
  rapidjson::Document doc;
  doc.Parse(added.out.c_str());
  ASSERT_FALSE(doc.HasParseError()) << added.out;
  ASSERT_TRUE(doc.IsObject()) << added.out;
  ASSERT_TRUE(doc.HasMember("secret") && doc["secret"].IsString()) << added.out;
  EXPECT_EQ(std::string(doc["secret"].GetString()).size(), 64U) << added.out;
  EXPECT_EQ(std::string(doc["url"].GetString()), kReceiver);
  ASSERT_TRUE(doc["events"].IsArray());
  ASSERT_EQ(doc["events"].Size(), 1U);
  EXPECT_EQ(std::string(doc["events"][0].GetString()), "usage");
  const std::string id = doc["id"].GetString();
  auto listed = as(user_key_, {"-o", "json", "webhook", "list"});
  EXPECT_FALSE(has(listed.out, doc["secret"].GetString())) << listed.out;
  EXPECT_EQ(as(user_key_, {"webhook", "remove", id}).code, 0);
}

TEST_F(FormWebhook, RefusedUrlsAndEventsExitNonZeroNamingTheField) {
  const std::vector<std::string> bad_urls = {"ftp://127.0.0.1/hook",
                                             "http://169.254.169.254/latest/meta-data"};
  for (const std::string& url : bad_urls) {
    auto refused = as(user_key_, {"webhook", "add", url, "--events", "usage"});
    EXPECT_EQ(refused.code, 1) << url << ": " << refused.err;
    EXPECT_TRUE(has(refused.err, "'url'")) << refused.err;
    EXPECT_TRUE(has(refused.err, "hint: the url must be http:// or https://")) << refused.err;
    EXPECT_TRUE(refused.out.empty()) << refused.out;
  }
  auto bad_event = as(user_key_, {"webhook", "add", kReceiver, "--events", "usage,billing"});
  EXPECT_EQ(bad_event.code, 1) << bad_event.err;
  EXPECT_TRUE(has(bad_event.err, "events[1]")) << bad_event.err;
  EXPECT_TRUE(has(bad_event.err, "billing")) << bad_event.err;
  EXPECT_TRUE(has(bad_event.err, "hint: --events takes")) << bad_event.err;
  EXPECT_TRUE(listed_ids(user_key_).empty());
}

TEST_F(FormWebhook, DeliveriesShowWhatWasSentAndWhatWaits) {
  auto added = as(user_key_, {"-o", "json", "webhook", "add", kReceiver, "--events", "usage"});
  ASSERT_EQ(added.code, 0) << added.err;
  rapidjson::Document doc;
  doc.Parse(added.out.c_str());
  ASSERT_TRUE(doc.IsObject() && doc.HasMember("id")) << added.out;
  const std::string id = doc["id"].GetString();

  formation::testing::InProcessStore store(db_file_);
  ASSERT_TRUE(store.error.empty()) << store.error;
  const auto now = std::chrono::system_clock::now();
  std::vector<std::string> entry_ids;
  {
    auto tx = store.store->begin();
    ASSERT_TRUE(tx.is_ok()) << tx.status().to_string();
    for (int i = 0; i < 2; ++i) {
      formation::OutboxEntry e;
      e.id = std::string(31, 'a') + std::to_string(i);
      e.webhook_id = id;
      e.event_type = "usage.sample";
      e.payload_json = R"({"instance_id": "i-1"})";
      e.idempotency_key = std::string(63, 'b') + std::to_string(i);
      e.next_attempt_at = now;
      e.created_at = now;
      e.updated_at = now;
      auto stored = (*tx)->outbox().enqueue(e);
      ASSERT_TRUE(stored.is_ok()) << stored.status().to_string();
      entry_ids.push_back(e.id);
    }
    ASSERT_TRUE((*tx)
                    ->outbox()
                    .mark_failed(entry_ids[0], "503 from receiver", now + std::chrono::minutes(1))
                    .is_ok());
    ASSERT_TRUE((*tx)->outbox().mark_delivered(entry_ids[1]).is_ok());
    ASSERT_TRUE((*tx)->commit().is_ok());
  }

  auto shown = as(user_key_, {"webhook", "deliveries", id});
  ASSERT_EQ(shown.code, 0) << shown.err;
  EXPECT_TRUE(has(shown.out, "NEXT_ATTEMPT")) << shown.out;
  for (const char* part : {"usage.sample", "pending", "503 from receiver", "delivered"}) {
    EXPECT_TRUE(has(shown.out, part)) << part << "\n" << shown.out;
  }
  for (const std::string& e : entry_ids) EXPECT_TRUE(has(shown.out, e)) << shown.out;
  auto json = as(user_key_, {"-o", "json", "webhook", "deliveries", id, "--all"});
  ASSERT_EQ(json.code, 0) << json.err;
  rapidjson::Document listed;
  listed.Parse(json.out.c_str());
  ASSERT_TRUE(listed.IsObject() && listed["deliveries"].IsArray()) << json.out;
  EXPECT_EQ(listed["deliveries"].Size(), 2U) << json.out;

  // Another tenant cannot read them; once removed, the webhook and its deliveries are gone.
  EXPECT_EQ(as(other_key_, {"webhook", "deliveries", id}).code, 1);
  ASSERT_EQ(as(user_key_, {"webhook", "remove", id}).code, 0);
  auto gone = as(user_key_, {"webhook", "deliveries", id});
  EXPECT_EQ(gone.code, 1) << gone.out;
  EXPECT_TRUE(has(gone.err, "no webhook " + id)) << gone.err;
}

}  // namespace

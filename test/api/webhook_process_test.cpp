// The webhook routes (docs/webhooks.md, docs/api.md) against formationd as a process with
// state-sqlite: refused bodies name the field, the secret is in the create answer and
// nowhere else, other tenants' webhooks are invisible (404, never 403), an admin sees every
// webhook, and the per-account limit is a clear 409.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "signed_daemon.hpp"

namespace formation::testing {
namespace {

const char* const kUrl = "http://127.0.0.1:9/hook";

class WebhookProcess : public SignedDaemonTest {
 protected:
  static void SetUpTestSuite() {
    make_config();
    start_daemon();
  }

  static Reply add(const Key& k, const std::string& url = kUrl,
                   const std::string& events = R"(["usage"])") {
    return call(k, "POST", "/v1/webhooks",
                R"({"url": ")" + url + R"(", "events": )" + events + "}");
  }

  // The ids `k` sees in GET /v1/webhooks (every page).
  static std::set<std::string> listed(const Key& k) {
    std::set<std::string> ids;
    std::string token;
    for (int page = 0; page < 100; ++page) {
      auto r =
          call(k, "GET", "/v1/webhooks?limit=100" + (token.empty() ? "" : "&page_token=" + token));
      EXPECT_EQ(r.status, 200) << r.body;
      if (r.status != 200) return ids;
      for (const auto& h : (*r.json)["webhooks"].GetArray()) ids.insert(h["id"].GetString());
      token = r.str("next_page_token");
      if (token.empty()) break;
    }
    return ids;
  }
};

TEST_F(WebhookProcess, RefusedBodiesAnswer400NamingTheField) {
  Key me = random_key();
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"url": "ftp://127.0.0.1/hook", "events": ["usage"]})", "'url'"},
      {R"({"url": "http://169.254.169.254/latest", "events": ["usage"]})", "'url'"},
      {R"({"url": "http://[fe80::1]/hook", "events": ["usage"]})", "'url'"},
      {R"({"url": "http://metadata.google.internal/", "events": ["usage"]})", "'url'"},
      {R"({"url": "http://user:pw@127.0.0.1/hook", "events": ["usage"]})", "'url'"},
      {R"({"url": "http://127.0.0.1:99999/hook", "events": ["usage"]})", "'url'"},
      {R"({"url": 7, "events": ["usage"]})", "'url'"},
      {R"({"events": ["usage"]})", "'url'"},
      {R"({"url": "http://127.0.0.1/hook"})", "'events'"},
      {R"({"url": "http://127.0.0.1/hook", "events": []})", "'events'"},
      {R"({"url": "http://127.0.0.1/hook", "events": "usage"})", "'events'"},
      {R"({"url": "http://127.0.0.1/hook", "events": ["usage", "billing"]})", "'events[1]'"},
      {R"({"url": "http://127.0.0.1/hook", "events": [1]})", "'events[0]'"},
      {R"({"url": "http://127.0.0.1/hook", "events": ["usage"], "secret": "mine"})", "'secret'"},
      {R"({"url": "http://127.0.0.1/hook", )", "invalid JSON"},
      {R"(["http://127.0.0.1/hook"])", "JSON object"},
  };
  for (const auto& [body, names] : bad) {
    auto r = call(me, "POST", "/v1/webhooks", body);
    EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
    EXPECT_EQ(r.code, "invalid") << body;
    EXPECT_NE(r.message.find(names), std::string::npos) << body << " -> " << r.message;
  }
  EXPECT_TRUE(listed(me).empty());
}

TEST_F(WebhookProcess, TheSecretIsInTheCreateAnswerOnly) {
  Key me = random_key();
  auto created = add(me, kUrl, R"(["usage", "threshold", "usage"])");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = created.str("id");
  const std::string secret = created.str("secret");
  EXPECT_EQ(secret.size(), 64U) << created.body;
  EXPECT_EQ(created.str("owner"), me.address);
  EXPECT_EQ(created.str("url"), kUrl);
  ASSERT_TRUE((*created.json)["events"].IsArray());
  EXPECT_EQ((*created.json)["events"].Size(), 2U) << "repeats are dropped: " << created.body;

  auto shown = call(me, "GET", "/v1/webhooks/" + id);
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_EQ(shown.str("id"), id);
  EXPECT_FALSE(shown.json->HasMember("secret")) << shown.body;
  EXPECT_EQ(shown.body.find(secret), std::string::npos) << shown.body;
  auto list = call(me, "GET", "/v1/webhooks");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.body.find(secret), std::string::npos) << list.body;
  EXPECT_EQ(list.body.find("\"secret\""), std::string::npos) << list.body;
  auto admin_list = call(*admin_, "GET", "/v1/webhooks?limit=100");
  EXPECT_EQ(admin_list.body.find(secret), std::string::npos) << admin_list.body;

  // A second webhook gets its own secret.
  auto other = add(me);
  ASSERT_EQ(other.status, 201) << other.body;
  EXPECT_NE(other.str("secret"), secret);
}

TEST_F(WebhookProcess, OtherTenantsCannotSeeListOrDeleteIt) {
  Key a = random_key();
  Key b = random_key();
  auto created = add(a);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = created.str("id");
  auto own = add(b);
  ASSERT_EQ(own.status, 201) << own.body;

  EXPECT_EQ(listed(a), std::set<std::string>{id});
  EXPECT_EQ(listed(b), std::set<std::string>{own.str("id")});
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/v1/webhooks/" + id},
           {"DELETE", "/v1/webhooks/" + id},
           {"GET", "/v1/webhooks/" + id + "/deliveries"}}) {
    auto r = call(b, method, target);
    EXPECT_EQ(r.status, 404) << method << " " << target << " -> " << r.body;
    EXPECT_EQ(r.code, "not_found");
    // The same answer as for an id that does not exist: nothing tells them apart.
    const std::string missing = std::string(32, 'a');
    auto none = call(b, method, "/v1/webhooks/" + missing + target.substr(13 + id.size()));
    EXPECT_EQ(none.status, 404) << none.body;
  }
  auto still = call(a, "GET", "/v1/webhooks/" + id);
  EXPECT_EQ(still.status, 200) << "B's DELETE removed A's webhook: " << still.body;

  auto removed = call(a, "DELETE", "/v1/webhooks/" + id);
  EXPECT_EQ(removed.status, 204) << removed.body;
  EXPECT_EQ(call(a, "GET", "/v1/webhooks/" + id).status, 404);
  EXPECT_TRUE(listed(a).empty());
}

TEST_F(WebhookProcess, AnAdminSeesEveryWebhook) {
  Key a = random_key();
  Key b = random_key();
  auto ha = add(a);
  auto hb = add(b);
  ASSERT_EQ(ha.status, 201) << ha.body;
  ASSERT_EQ(hb.status, 201) << hb.body;
  const auto all = listed(*admin_);
  EXPECT_EQ(all.count(ha.str("id")), 1U);
  EXPECT_EQ(all.count(hb.str("id")), 1U);
  auto shown = call(*admin_, "GET", "/v1/webhooks/" + ha.str("id"));
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_EQ(shown.str("owner"), a.address);
  EXPECT_EQ(call(*admin_, "GET", "/v1/webhooks/" + hb.str("id") + "/deliveries").status, 200);
  EXPECT_EQ(call(*admin_, "DELETE", "/v1/webhooks/" + hb.str("id")).status, 204);
  EXPECT_TRUE(listed(b).empty());
}

TEST_F(WebhookProcess, PastTheLimitPerAccountIsAClearConflict) {
  Key me = random_key();
  int created = 0;
  Reply refused;
  for (int i = 0; i < 50; ++i) {
    auto r = add(me, std::string(kUrl) + "/" + std::to_string(i));
    if (r.status != 201) {
      refused = r;
      break;
    }
    ++created;
  }
  EXPECT_EQ(created, 20);
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_EQ(refused.code, "conflict");
  EXPECT_NE(refused.message.find("20 webhooks"), std::string::npos) << refused.message;
  EXPECT_NE(refused.message.find("remove one"), std::string::npos) << refused.message;
  EXPECT_EQ(listed(me).size(), 20U);
  // Another account is not affected, and removing one makes room again.
  EXPECT_EQ(add(random_key()).status, 201);
  const std::string first = *listed(me).begin();
  EXPECT_EQ(call(me, "DELETE", "/v1/webhooks/" + first).status, 204);
  EXPECT_EQ(add(me).status, 201);
}

TEST_F(WebhookProcess, BadIdsAnd404sAreClear) {
  Key me = random_key();
  auto upper = call(me, "GET", "/v1/webhooks/ABCDEF");
  EXPECT_EQ(upper.status, 400) << upper.body;
  EXPECT_NE(upper.message.find("webhook id"), std::string::npos) << upper.message;
  auto missing = call(me, "DELETE", "/v1/webhooks/" + std::string(32, 'b'));
  EXPECT_EQ(missing.status, 404) << missing.body;
  EXPECT_NE(missing.message.find("no webhook"), std::string::npos) << missing.message;
  auto unsigned_list = send("GET", "/v1/webhooks", "", {});
  EXPECT_EQ(unsigned_list.status, 401) << unsigned_list.body;
}

}  // namespace
}  // namespace formation::testing

// form dns against a canned loopback server: usage errors, the requests sent (method, path,
// preconditions, JSON body), the challenge of a custom domain, verify's exit codes, hints on
// errors, and the output in both formats.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli.hpp"
#include "form_home.hpp"
#include "scripted_server.hpp"

namespace {

using form_test::form_run;
using form_test::Outcome;
using form_test::request_body;
using form_test::ScriptedServer;

const char* const kKey = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
// Nothing listens there: a command that exits 2 with it sent nothing.
const char* const kNowhere = "http://127.0.0.1:9";

const std::string kVanity =
    R"({"fqdn":"web.formation.test","type":"A","values":["192.0.2.7","192.0.2.8"],"ttl":60,)"
    R"("owner":"0x2c7536e3605d9c16a7a3d7b1898e529396a65c23","verified":true,)"
    R"("created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"})";

const std::string kVerification =
    R"("verification":{"name":"_formation-challenge.example.org","type":"TXT",)"
    R"("value":"b13ecae24dad04b715e1b98cbae38119","hint":"publish this TXT record"})";

const std::string kCustom =
    R"({"fqdn":"example.org","type":"A","values":["192.0.2.9"],"ttl":300,)"
    R"("owner":"0x2c7536e3605d9c16a7a3d7b1898e529396a65c23","verified":false,)" +
    kVerification + "}";

const std::string kFollowing =
    R"({"fqdn":"api.formation.test","type":"A","values":[],"ttl":300,"instance_id":"i-1",)"
    R"("owner":"0x2c7536e3605d9c16a7a3d7b1898e529396a65c23","verified":true})";

std::string error_body(const std::string& code, const std::string& message) {
  return R"({"error":{"code":")" + code + R"(","message":")" + message + R"(","request_id":"r1"}})";
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class FormDns : public form_test::FormHome {
 protected:
  void SetUp() override {
    FormHome::SetUp();
    key_ = import_key(kKey, "key");
  }
  Outcome run_at(const ScriptedServer& server, std::vector<std::string> args) {
    args.insert(args.begin(), {"--api", server.url(), "--key", key_});
    return form_run(args);
  }
  std::string key_;
};

TEST_F(FormDns, GroupListsItsVerbsAndEveryVerbHasHelp) {
  auto group = form_run({"dns", "--help"});
  EXPECT_EQ(group.code, 0);
  for (const char* verb : {"add", "update", "remove", "list", "show", "verify"}) {
    EXPECT_TRUE(has(group.out, std::string("dns ") + verb)) << verb << "\n" << group.out;
    auto help = form_run({"dns", verb, "--help"});
    EXPECT_EQ(help.code, 0) << verb;
    EXPECT_TRUE(has(help.out, "/v1/dns/records")) << verb << "\n" << help.out;
  }
}

TEST_F(FormDns, UsageErrorsSendNothing) {
  struct Case {
    std::vector<std::string> args;
    const char* says;
  };
  const std::vector<Case> cases = {
      {{"dns", "add", "web"}, "needs --instance ID or --type T --value V"},
      {{"dns", "add", "web", "--value", "192.0.2.1"}, "--value needs --type"},
      {{"dns", "add", "web", "--instance", "i-1", "--value", "192.0.2.1"}, "not both"},
      {{"dns", "update", "web"}, "needs --instance ID"},
      {{"dns", "add", "web", "--instance", "i-1", "--ttl", "0"}, "--ttl"},
      {{"dns", "add"}, "wrong number of arguments"},
      {{"dns", "show", "a", "b"}, "wrong number of arguments"},
      {{"dns", "remove", ""}, "must not be empty"},
      {{"dns", "list", "--limit", "x"}, "--limit"},
      {{"dns", "add", "web", "--valeu", "1"}, "--value"},
  };
  for (auto c : cases) {
    c.args.insert(c.args.begin(), {"--api", kNowhere});
    auto r = form_run(c.args);
    EXPECT_EQ(r.code, 2) << c.args.back() << ": " << r.err;
    EXPECT_TRUE(has(r.err, c.says)) << r.err;
  }
}

TEST_F(FormDns, AddSendsAPutThatOnlyCreates) {
  ScriptedServer server({{201, kVanity}});
  auto added = run_at(server, {"dns", "add", "web", "--type", "a", "--value", "192.0.2.7",
                               "--value", "192.0.2.8", "--ttl", "60"});
  ASSERT_EQ(added.code, 0) << added.err;
  ASSERT_EQ(server.requests().size(), 1u);
  const std::string request = server.requests()[0];
  EXPECT_TRUE(request.starts_with("PUT /v1/dns/records/web HTTP/1.1")) << request;
  EXPECT_TRUE(has(request, "If-None-Match: *")) << request;
  EXPECT_FALSE(has(request, "If-Match")) << request;
  EXPECT_EQ(request_body(request), R"({"type":"A","values":["192.0.2.7","192.0.2.8"],"ttl":60})");
  EXPECT_TRUE(has(added.out, "web.formation.test")) << added.out;
  EXPECT_TRUE(has(added.out, "192.0.2.7, 192.0.2.8")) << added.out;
  EXPECT_TRUE(has(added.out, "verified  yes")) << added.out;
  EXPECT_TRUE(added.err.empty()) << added.err;
}

TEST_F(FormDns, AddFollowingAnInstanceAndUpdateOnlyReplaces) {
  ScriptedServer server({{201, kFollowing}});
  auto added = run_at(server, {"dns", "add", "api", "--instance", "i-1"});
  ASSERT_EQ(added.code, 0) << added.err;
  EXPECT_EQ(request_body(server.requests()[0]), R"({"type":"A","instance_id":"i-1"})");
  EXPECT_TRUE(has(added.out, "(follows instance i-1)")) << added.out;

  ScriptedServer again({{200, kVanity}});
  auto updated = run_at(
      again, {"dns", "update", "web.formation.test.", "--type", "A", "--value", "192.0.2.7"});
  ASSERT_EQ(updated.code, 0) << updated.err;
  const std::string request = again.requests()[0];
  EXPECT_TRUE(request.starts_with("PUT /v1/dns/records/web.formation.test. HTTP/1.1")) << request;
  EXPECT_TRUE(has(request, "If-Match: *")) << request;
  EXPECT_FALSE(has(request, "If-None-Match")) << request;
}

TEST_F(FormDns, ACustomDomainPrintsItsChallenge) {
  ScriptedServer server({{201, kCustom}});
  auto added = run_at(server, {"dns", "add", "example.org", "--type", "A", "--value", "192.0.2.9"});
  ASSERT_EQ(added.code, 0) << added.err;
  EXPECT_TRUE(has(added.out, "verified  no")) << added.out;
  EXPECT_TRUE(has(added.err,
                  "_formation-challenge.example.org  TXT  "
                  "\"b13ecae24dad04b715e1b98cbae38119\""))
      << added.err;
  EXPECT_TRUE(has(added.err, "form dns verify example.org")) << added.err;

  // --output json: the server's record as it was sent.
  ScriptedServer json({{201, kCustom}});
  auto as_json = run_at(json, {"--output", "json", "dns", "add", "example.org", "--type", "A",
                               "--value", "192.0.2.9"});
  ASSERT_EQ(as_json.code, 0);
  EXPECT_EQ(as_json.out, kCustom + "\n");
}

TEST_F(FormDns, VerifyExitsZeroOnlyWhenVerified) {
  ScriptedServer pending(
      {{200, R"({"fqdn":"example.org","verified":false,)" + kVerification + "}"}});
  auto not_yet = run_at(pending, {"dns", "verify", "example.org"});
  EXPECT_EQ(not_yet.code, 1);
  EXPECT_TRUE(pending.requests()[0].starts_with("POST /v1/dns/records/example.org/verify "))
      << pending.requests()[0];
  EXPECT_TRUE(has(not_yet.out, "not verified yet")) << not_yet.out;
  EXPECT_TRUE(has(not_yet.out, "_formation-challenge.example.org  TXT")) << not_yet.out;
  EXPECT_TRUE(has(not_yet.out, "b13ecae24dad04b715e1b98cbae38119")) << not_yet.out;

  ScriptedServer done({{200, R"({"fqdn":"example.org","verified":true})"}});
  auto verified = run_at(done, {"dns", "verify", "example.org"});
  EXPECT_EQ(verified.code, 0) << verified.err;
  EXPECT_EQ(verified.out, "verified example.org\n");

  ScriptedServer json({{200, R"({"fqdn":"example.org","verified":true})"}});
  auto as_json = run_at(json, {"-o", "json", "dns", "verify", "example.org"});
  EXPECT_EQ(as_json.code, 0);
  EXPECT_EQ(as_json.out, "{\"fqdn\":\"example.org\",\"verified\":true}\n");
}

TEST_F(FormDns, RemoveShowAndList) {
  ScriptedServer removed({{204, ""}});
  auto r = run_at(removed, {"dns", "remove", "web", "--type", "aaaa"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(removed.requests()[0].starts_with("DELETE /v1/dns/records/web?type=AAAA "))
      << removed.requests()[0];
  EXPECT_EQ(r.out, "removed web AAAA\n");

  ScriptedServer shown({{200, R"({"fqdn":"example.org","records":[)" + kCustom + "]}"}});
  auto s = run_at(shown, {"dns", "show", "example.org"});
  ASSERT_EQ(s.code, 0) << s.err;
  EXPECT_TRUE(has(s.out, "example.org  A     300  no        192.0.2.9")) << s.out;
  EXPECT_TRUE(has(s.err, "_formation-challenge.example.org")) << s.err;

  ScriptedServer pages({{200, R"({"records":[)" + kVanity + R"(],"next_page_token":"t2"})"},
                        {200, R"({"records":[)" + kCustom + R"(],"next_page_token":""})"}});
  auto all = run_at(pages, {"dns", "list", "--zone", "formation.test", "--limit", "1", "--all"});
  ASSERT_EQ(all.code, 0) << all.err;
  const auto requests = pages.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_TRUE(requests[0].starts_with("GET /v1/dns/records?zone=formation.test&limit=1 "))
      << requests[0];
  EXPECT_TRUE(has(requests[1], "page_token=t2")) << requests[1];
  EXPECT_TRUE(has(all.out, "web.formation.test")) << all.out;
  EXPECT_TRUE(has(all.out, "example.org")) << all.out;

  ScriptedServer one({{200, R"({"records":[],"next_page_token":"t2"})"}});
  auto first = run_at(one, {"dns", "list"});
  EXPECT_EQ(first.code, 0);
  EXPECT_TRUE(has(first.err, "--page-token t2")) << first.err;
}

TEST_F(FormDns, ErrorsCarryWhatToDoNext) {
  struct Case {
    std::vector<std::string> args;
    int status;
    const char* code;
    int exit_code;
    const char* hint;
  };
  const std::vector<Case> cases = {
      {{"dns", "add", "web", "--instance", "i-1"}, 409, "conflict", 1, "form dns update web"},
      {{"dns", "update", "web", "--instance", "i-1"}, 404, "not_found", 1, "form dns add web"},
      {{"dns", "add", "web", "--instance", "i-1"},
       403,
       "permission_denied",
       4,
       "choose another name"},
      {{"dns", "verify", "example.org"}, 404, "not_found", 1, "form dns add example.org"},
      {{"dns", "verify", "example.org"}, 503, "unavailable", 1, "try again"},
      {{"dns", "list"}, 501, "unsupported", 1, "no DNS plugin"},
      {{"dns", "add", "web", "--type", "A", "--value", "x"}, 400, "invalid", 1, ""},
  };
  for (const auto& c : cases) {
    ScriptedServer server({{c.status, error_body(c.code, "what went wrong")}});
    auto r = run_at(server, c.args);
    EXPECT_EQ(r.code, c.exit_code) << c.args[1] << " " << c.status << ": " << r.err;
    EXPECT_TRUE(has(r.err, "what went wrong")) << r.err;
    EXPECT_TRUE(has(r.err, c.hint)) << c.args[1] << " " << c.status << ": " << r.err;
  }
}

}  // namespace

// form account create | show | update | delete | list: option parsing and usage errors,
// requests and output against a canned loopback server, and an end-to-end run against a
// real formationd with state-sqlite (skipped while formationd has no accounts routes).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "api_client.hpp"
#include "cli.hpp"
#include "daemon_process.hpp"
#include "form_home.hpp"
#include "identity/signing.hpp"
#include "scripted_server.hpp"

namespace {

namespace fs = std::filesystem;
namespace id = formation::identity;

const char* const kAdminKey = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
const char* const kAdminAddress = "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23";
const char* const kUserKey = "1111111111111111111111111111111111111111111111111111111111111111";

using form_test::form_run;
using form_test::Outcome;

std::string address_of(const char* key_hex) {
  auto key = id::parse_private_key(key_hex);
  return *id::address_from_private_key(*key);
}

using form_test::ScriptedServer;

class FormAccount : public form_test::FormHome {};

const char* const kAccountBody =
    R"({"address":"0x2c7536e3605d9c16a7a3d7b1898e529396a65c23","name":"alice",)"
    R"("created_at":"2026-11-21T07:00:00Z","updated_at":"2026-11-21T07:05:00Z","version":2,)"
    R"("credits_micro":0})";

// ---- usage errors (no server needed) ---------------------------------------------------

TEST_F(FormAccount, GroupListsItsVerbs) {
  auto group = form_run({"account", "--help"});
  EXPECT_EQ(group.code, 0);
  for (const char* verb : {"create", "show", "update", "delete", "list"})
    EXPECT_NE(group.out.find(std::string("account ") + verb), std::string::npos) << verb;
  auto bare = form_run({"account"});
  EXPECT_EQ(bare.code, 2);
  EXPECT_NE(bare.err.find("needs a subcommand"), std::string::npos) << bare.err;
}

TEST_F(FormAccount, CreateNeedsANonEmptyName) {
  auto missing = form_run({"account", "create"});
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("needs --name NAME"), std::string::npos) << missing.err;
  auto empty = form_run({"account", "create", "--name="});
  EXPECT_EQ(empty.code, 2);
  auto extra = form_run({"account", "create", "--name", "a", "surplus"});
  EXPECT_EQ(extra.code, 2);
  EXPECT_NE(extra.err.find("takes no arguments"), std::string::npos) << extra.err;
  auto typo = form_run({"account", "create", "--nme", "a"});
  EXPECT_EQ(typo.code, 2);
  EXPECT_NE(typo.err.find("did you mean '--name'"), std::string::npos) << typo.err;
}

TEST_F(FormAccount, BadAddressesAreUsageErrors) {
  for (const char* bad : {"0x123", "2c7536e3605d9c16a7a3d7b1898e529396a65c2300",
                          "0xZZ7536e3605d9c16a7a3d7b1898e529396a65c23"}) {
    auto shown = form_run({"account", "show", bad});
    EXPECT_EQ(shown.code, 2) << bad;
    EXPECT_NE(shown.err.find("invalid address"), std::string::npos) << shown.err;
  }
  auto two = form_run({"account", "show", kAdminAddress, kAdminAddress});
  EXPECT_EQ(two.code, 2);
  EXPECT_NE(two.err.find("wrong number of arguments"), std::string::npos) << two.err;
}

TEST_F(FormAccount, UpdateNeedsNameAndAPositiveVersion) {
  EXPECT_EQ(form_run({"account", "update", kAdminAddress}).code, 2);
  auto version = form_run({"account", "update", kAdminAddress, "--name", "b", "--if-version", "x"});
  EXPECT_EQ(version.code, 2);
  EXPECT_NE(version.err.find("invalid --if-version"), std::string::npos) << version.err;
  EXPECT_EQ(form_run({"account", "update", "--name", "b", "--if-version", "0"}).code, 2);
}

TEST_F(FormAccount, ListLimitMustBePositive) {
  for (const char* bad : {"0", "-3", "ten", "5x"}) {
    auto listed = form_run({"account", "list", "--limit", bad});
    EXPECT_EQ(listed.code, 2) << bad;
    EXPECT_NE(listed.err.find("invalid --limit"), std::string::npos) << listed.err;
  }
  EXPECT_EQ(form_run({"account", "list", "extra"}).code, 2);
}

TEST_F(FormAccount, OwnAddressNeedsAKeyFile) {
  auto shown = form_run({"account", "show"});
  EXPECT_EQ(shown.code, 4);
  EXPECT_NE(shown.err.find("no key file"), std::string::npos) << shown.err;
}

TEST_F(FormAccount, DeleteWithoutTerminalNeedsYes) {
  if (::isatty(STDIN_FILENO)) GTEST_SKIP() << "stdin is a terminal; the prompt would wait";
  ScriptedServer server({{204, ""}});
  auto refused = form_run({"--api", server.url(), "account", "delete", kAdminAddress});
  EXPECT_EQ(refused.code, 2);
  EXPECT_NE(refused.err.find("stdin is not a terminal"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("--yes"), std::string::npos) << refused.err;
  EXPECT_TRUE(server.requests().empty());
}

// ---- requests and output against a canned server ---------------------------------------

TEST_F(FormAccount, CreateSendsNameAndPrintsTable) {
  const std::string key = import_key(kAdminKey, "admin");
  ScriptedServer server({{201, kAccountBody}});
  auto created =
      form_run({"--api", server.url(), "--key", key, "account", "create", "--name", "al\"ice"});
  ASSERT_EQ(created.code, 0) << created.err;
  ASSERT_EQ(server.requests().size(), 1u);
  const std::string request = server.requests()[0];
  EXPECT_EQ(request.rfind("POST /v1/accounts HTTP/1.1\r\n", 0), 0u) << request;
  EXPECT_NE(request.find("X-Formation-Signature: 0x"), std::string::npos);
  EXPECT_NE(request.find(R"({"name":"al\"ice"})"), std::string::npos) << request;
  EXPECT_EQ(created.out,
            "address        0x2c7536e3605d9c16a7a3d7b1898e529396a65c23\n"
            "name           alice\n"
            "created        2026-11-21T07:00:00Z\n"
            "updated        2026-11-21T07:05:00Z\n"
            "version        2\n"
            "credits micro  0\n");
}

TEST_F(FormAccount, ShowDefaultsToOwnAddressAndJsonIsTheServersBytes) {
  const std::string key = import_key(kAdminKey, "admin");
  ScriptedServer server({{200, kAccountBody}});
  auto shown = form_run({"--api", server.url(), "--key", key, "account", "show", "-o", "json"});
  ASSERT_EQ(shown.code, 0) << shown.err;
  EXPECT_EQ(shown.out, std::string(kAccountBody) + "\n");
  EXPECT_EQ(server.requests()[0].rfind(
                std::string("GET /v1/accounts/") + kAdminAddress + " HTTP/1.1\r\n", 0),
            0u);
  // An address given in EIP-55 case goes out lower case.
  auto upper = form_run({"--api", server.url(), "--key", key, "account", "show",
                         "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"});
  ASSERT_EQ(upper.code, 0) << upper.err;
  EXPECT_EQ(server.requests()[1].rfind(std::string("GET /v1/accounts/") + kAdminAddress, 0), 0u);
}

TEST_F(FormAccount, UpdateSendsPatchWithVersion) {
  const std::string key = import_key(kAdminKey, "admin");
  ScriptedServer server({{200, kAccountBody}});
  auto updated = form_run({"--api", server.url(), "--key", key, "account", "update", "--name",
                           "bob", "--if-version", "2"});
  ASSERT_EQ(updated.code, 0) << updated.err;
  const std::string request = server.requests()[0];
  EXPECT_EQ(request.rfind(std::string("PATCH /v1/accounts/") + kAdminAddress, 0), 0u) << request;
  EXPECT_NE(request.find(R"({"name":"bob","version":2})"), std::string::npos) << request;
}

TEST_F(FormAccount, DeleteWithYes) {
  const std::string key = import_key(kAdminKey, "admin");
  ScriptedServer server({{204, ""}});
  auto deleted = form_run({"--api", server.url(), "--key", key, "account", "delete", "--yes"});
  ASSERT_EQ(deleted.code, 0) << deleted.err;
  EXPECT_EQ(deleted.out, std::string("deleted ") + kAdminAddress + "\n");
  EXPECT_EQ(server.requests()[0].rfind(std::string("DELETE /v1/accounts/") + kAdminAddress, 0), 0u);
  auto json =
      form_run({"--api", server.url(), "--key", key, "-o", "json", "account", "delete", "--yes"});
  EXPECT_EQ(json.out, std::string(R"({"address":")") + kAdminAddress +
                          R"(","deleted":true})"
                          "\n");
}

TEST_F(FormAccount, ListAllFollowsPageTokens) {
  const std::string key = import_key(kAdminKey, "admin");
  ScriptedServer server(
      {{200, R"({"items":[{"address":"0x01","name":"a","version":1}],"next_page_token":"t/1"})"},
       {200, R"({"accounts":[{"address":"0x02","name":"bb","version":3}],"next_page_token":""})"}});
  auto listed =
      form_run({"--api", server.url(), "--key", key, "account", "list", "--all", "--limit", "1"});
  ASSERT_EQ(listed.code, 0) << listed.err;
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].rfind("GET /v1/accounts?limit=1 HTTP/1.1", 0), 0u) << requests[0];
  EXPECT_EQ(requests[1].rfind("GET /v1/accounts?limit=1&page_token=t%2F1 HTTP/1.1", 0), 0u)
      << requests[1];
  EXPECT_EQ(listed.out,
            "ADDRESS  NAME  VERSION  CREATED  UPDATED\n"
            "0x01     a     1\n"
            "0x02     bb    3\n");
}

TEST_F(FormAccount, ListOnePageSaysHowToGetTheNext) {
  const std::string key = import_key(kAdminKey, "admin");
  const std::string body = R"({"items":[{"address":"0x01","name":"a"}],"next_page_token":"abc"})";
  ScriptedServer server({{200, body}});
  auto listed = form_run({"--api", server.url(), "--key", key, "account", "list"});
  ASSERT_EQ(listed.code, 0) << listed.err;
  EXPECT_NE(listed.err.find("--page-token abc"), std::string::npos) << listed.err;
  EXPECT_EQ(server.requests().size(), 1u);
  auto json = form_run({"--api", server.url(), "--key", key, "account", "list", "-o", "json"});
  EXPECT_EQ(json.out, body + "\n");
}

TEST_F(FormAccount, ErrorsCarryAccountHints) {
  const std::string key = import_key(kAdminKey, "admin");
  {
    ScriptedServer server(
        {{403, R"({"error":{"code":"forbidden","message":"no","request_id":"r1"}})"}});
    auto listed = form_run({"--api", server.url(), "--key", key, "account", "list"});
    EXPECT_EQ(listed.code, 4);
    EXPECT_NE(listed.err.find("error: forbidden: no (request r1)"), std::string::npos);
    EXPECT_NE(listed.err.find("only an admin may list"), std::string::npos) << listed.err;
    auto shown = form_run({"--api", server.url(), "--key", key, "account", "show",
                           "0x1111111111111111111111111111111111111111"});
    EXPECT_EQ(shown.code, 4);
    EXPECT_NE(shown.err.find("only the account itself or an admin may show"), std::string::npos)
        << shown.err;
  }
  {
    ScriptedServer server(
        {{404, R"({"error":{"code":"not_found","message":"no account","request_id":"r2"}})"}});
    auto shown = form_run({"--api", server.url(), "--key", key, "account", "show"});
    EXPECT_EQ(shown.code, 1);
    EXPECT_NE(shown.err.find("create it with 'form account create"), std::string::npos)
        << shown.err;
  }
  {
    ScriptedServer server(
        {{401, R"({"error":{"code":"timestamp_skew","message":"off","request_id":"r3"}})"}});
    auto shown = form_run({"--api", server.url(), "--key", key, "account", "show"});
    EXPECT_EQ(shown.code, 4);
    EXPECT_NE(shown.err.find("clock"), std::string::npos) << shown.err;
  }
}

// ---- credits and ledger -------------------------------------------------------------------

TEST_F(FormAccount, CreditsShowsTheBalanceAndJsonIsTheServersBytes) {
  const std::string key = import_key(kAdminKey, "admin");
  const std::string body = std::string(R"({"address":")") + kAdminAddress +
                           R"(","balance_micro":12500000,"balance":"12.500000","plan":"default"})";
  ScriptedServer server({{200, body}});
  auto shown = form_run({"--api", server.url(), "--key", key, "account", "credits"});
  ASSERT_EQ(shown.code, 0) << shown.err;
  EXPECT_EQ(server.requests()[0].rfind(
                std::string("GET /v1/accounts/") + kAdminAddress + "/credits HTTP/1.1\r\n", 0),
            0u)
      << server.requests()[0];
  EXPECT_NE(server.requests()[0].find("X-Formation-Signature: 0x"), std::string::npos);
  EXPECT_EQ(shown.out, std::string("address        ") + kAdminAddress +
                           "\n"
                           "balance        12.500000 credits\n"
                           "balance micro  12500000\n"
                           "plan           default\n");
  auto json = form_run({"--api", server.url(), "--key", key, "-o", "json", "account", "credits"});
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_EQ(json.out, body + "\n");
  auto bad = form_run({"account", "credits", "0x123"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("invalid address"), std::string::npos) << bad.err;
}

TEST_F(FormAccount, CreditSendsExactMicroCreditsAndRefusesBadAmounts) {
  const std::string key = import_key(kAdminKey, "admin");
  const std::string entry =
      R"({"id":"e1","address":"0x1111111111111111111111111111111111111111",)"
      R"("amount_micro":12500000,"amount":"12.500000","reason":"admin credit: promo",)"
      R"("instance_id":null,"period":null,"created_at":"2026-12-07T06:00:00Z"})";
  ScriptedServer server({{201, entry}});
  auto credited =
      form_run({"--api", server.url(), "--key", key, "account", "credit",
                "0x1111111111111111111111111111111111111111", "12.5", "--reason", "promo"});
  ASSERT_EQ(credited.code, 0) << credited.err;
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].rfind(
                "POST /v1/accounts/0x1111111111111111111111111111111111111111/credits ", 0),
            0u)
      << server.requests()[0];
  EXPECT_EQ(form_test::request_body(server.requests()[0]),
            R"({"amount_micro":12500000,"reason":"promo"})");
  EXPECT_NE(credited.out.find("12.500000 credits"), std::string::npos) << credited.out;

  // Bad amounts never reach the server: exit 2, naming AMOUNT.
  for (const char* amount : {"0", "0.0000001", "1x", "1e3", "12,5", "", ".", "1.2.3"}) {
    auto bad = form_run({"--api", "http://127.0.0.1:9", "--key", key, "account", "credit",
                         "0x1111111111111111111111111111111111111111", amount});
    EXPECT_EQ(bad.code, 2) << amount;
    EXPECT_NE(bad.err.find("invalid AMOUNT"), std::string::npos) << amount << ": " << bad.err;
  }
  ScriptedServer refused(
      {{403,
        R"({"error":{"code":"permission_denied","message":"admins only","request_id":"r"}})"}});
  auto denied = form_run({"--api", refused.url(), "--key", key, "account", "credit",
                          "0x1111111111111111111111111111111111111111", "1"});
  EXPECT_NE(denied.code, 0);
  EXPECT_NE(denied.err.find("only an admin may credit"), std::string::npos) << denied.err;
}

TEST_F(FormAccount, LedgerListsEntriesAndFollowsPageTokens) {
  const std::string key = import_key(kAdminKey, "admin");
  ScriptedServer server(
      {{200, R"({"items":[{"id":"b","amount_micro":-36000,"amount":"-0.036000","reason":"usage",)"
             R"("instance_id":"1f2e","period":{"start":"2026-12-07T07:00:00Z",)"
             R"("end":"2026-12-07T08:00:00Z"},"created_at":"2026-12-07T08:00:01Z"}],)"
             R"("next_page_token":"t/1"})"},
       {200, R"({"items":[{"id":"a","amount_micro":5000000,"amount":"5.000000",)"
             R"("reason":"admin credit: promo","instance_id":null,"period":null,)"
             R"("created_at":"2026-12-07T06:00:00Z"}],"next_page_token":""})"}});
  auto listed = form_run({"--api", server.url(), "--key", key, "account", "ledger",
                          "0x1111111111111111111111111111111111111111", "--all", "--limit", "1"});
  ASSERT_EQ(listed.code, 0) << listed.err;
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].rfind(
                "GET /v1/accounts/0x1111111111111111111111111111111111111111/ledger?limit=1 ", 0),
            0u)
      << requests[0];
  EXPECT_NE(requests[1].find("/ledger?limit=1&page_token=t%2F1 HTTP/1.1"), std::string::npos)
      << requests[1];
  EXPECT_EQ(listed.out,
            "CREATED               AMOUNT     REASON               INSTANCE  PERIOD START\n"
            "2026-12-07T08:00:01Z  -0.036000  usage                1f2e      2026-12-07T07:00:00Z\n"
            "2026-12-07T06:00:00Z  5.000000   admin credit: promo\n");
}

TEST_F(FormAccount, CreditsWithoutABillingPluginSaysSo) {
  const std::string key = import_key(kAdminKey, "admin");
  ScriptedServer server(
      {{501, R"({"error":{"code":"unsupported","message":"no billing","request_id":"r5"}})"},
       {501, R"({"error":{"code":"unsupported","message":"no billing","request_id":"r6"}})"}});
  for (const char* verb : {"credits", "ledger"}) {
    auto r = form_run({"--api", server.url(), "--key", key, "account", verb});
    EXPECT_NE(r.code, 0) << verb;
    EXPECT_NE(r.err.find("billing-credits"), std::string::npos) << verb << ": " << r.err;
  }
}

// ---- end to end: a real formationd with state-sqlite -----------------------------------

TEST_F(FormAccount, EndToEndAgainstFormationd) {
  const std::string admin_key = import_key(kAdminKey, "admin");
  const std::string user_key = import_key(kUserKey, "user");
  const std::string user = address_of(kUserKey);

  formation::testing::TempConfig config({PLUGIN_BUILD_DIR},
                                        std::string(R"("admins": [")") + kAdminAddress + "\"]");
  config.add_plugin_file("state-sqlite.json",
                         R"({"plugin": "state-sqlite", "instance": "default", "parameters": {}})");
  formation::testing::DaemonProcess daemon(config.dir());
  ASSERT_TRUE(daemon.started()) << daemon.startup_output();

  {
    form::ApiClient probe(daemon.url(), 10, nullptr);
    form::Response answer =
        probe.send(form::Request::with_body("POST", "/v1/accounts", "{}", form::Auth::kNone));
    if (answer.status == 404)
      GTEST_SKIP() << "formationd has no POST /v1/accounts route yet (answered 404: " << answer.body
                   << "); the accounts API is not in this build";
  }
  const std::string& api = daemon.url();
  auto as_user = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--api", api, "--key", user_key});
    return form_run(args);
  };

  auto created = as_user({"account", "create", "--name", "e2e user", "-o", "json"});
  ASSERT_EQ(created.code, 0) << created.err;
  EXPECT_NE(created.out.find("\"address\":\"" + user + "\""), std::string::npos) << created.out;

  auto shown = as_user({"account", "show"});
  ASSERT_EQ(shown.code, 0) << shown.err;
  EXPECT_NE(shown.out.find("e2e user"), std::string::npos) << shown.out;

  auto updated = as_user({"account", "update", user, "--name", "renamed"});
  ASSERT_EQ(updated.code, 0) << updated.err;
  EXPECT_NE(updated.out.find("renamed"), std::string::npos) << updated.out;
  EXPECT_NE(as_user({"account", "show", "-o", "json"}).out.find("renamed"), std::string::npos);

  // Another account's record: 403 (or 404 when the server hides it).
  auto others = as_user({"account", "show", kAdminAddress});
  EXPECT_NE(others.code, 0);

  // Listing is for admins: the user gets 403 -> exit 4; the admin sees the user.
  auto listed = as_user({"account", "list"});
  EXPECT_EQ(listed.code, 4) << listed.out << listed.err;
  auto admin_list = form_run({"--api", api, "--key", admin_key, "account", "list", "--all"});
  ASSERT_EQ(admin_list.code, 0) << admin_list.err;
  EXPECT_NE(admin_list.out.find(user), std::string::npos) << admin_list.out;

  auto deleted = as_user({"account", "delete", "--yes"});
  ASSERT_EQ(deleted.code, 0) << deleted.err;
  auto gone = as_user({"account", "show"});
  EXPECT_NE(gone.code, 0);
  if (gone.code == 1) {
    EXPECT_NE(gone.err.find("form account create"), std::string::npos) << gone.err;
  }
}

TEST_F(FormAccount, CreditsAndLedgerEndToEndAgainstFormationdWithBilling) {
  const std::string admin_key = import_key(kAdminKey, "admin");
  const std::string user_key = import_key(kUserKey, "user");
  const std::string user = address_of(kUserKey);
  formation::testing::TempConfig config({PLUGIN_BUILD_DIR},
                                        std::string(R"("admins": [")") + kAdminAddress + "\"]");
  config.add_plugin_file("state-sqlite.json",
                         R"({"plugin": "state-sqlite", "instance": "default", "parameters": {}})");
  config.add_plugin_file(
      "billing-credits.json",
      R"({"plugin": "billing-credits", "parameters": {"sweep_interval_seconds": 0}})");
  formation::testing::DaemonProcess daemon(config.dir());
  ASSERT_TRUE(daemon.started()) << daemon.startup_output();
  auto as_user = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--api", daemon.url(), "--key", user_key});
    return form_run(args);
  };
  ASSERT_EQ(as_user({"account", "create", "--name", "billed"}).code, 0);

  auto credits = as_user({"account", "credits"});
  ASSERT_EQ(credits.code, 0) << credits.err;
  EXPECT_NE(credits.out.find("0.000000 credits"), std::string::npos) << credits.out;
  EXPECT_NE(credits.out.find(user), std::string::npos) << credits.out;
  auto json = as_user({"account", "credits", "-o", "json"});
  EXPECT_NE(json.out.find(R"("balance_micro":0)"), std::string::npos) << json.out;
  auto ledger = as_user({"account", "ledger"});
  ASSERT_EQ(ledger.code, 0) << ledger.err;
  EXPECT_EQ(ledger.out, "");
  EXPECT_NE(ledger.err.find("no ledger entries"), std::string::npos) << ledger.err;

  // Another account's credits are refused (403: exit 4) with the account hint; the admin
  // reads them.
  auto others = as_user({"account", "credits", kAdminAddress});
  EXPECT_EQ(others.code, 4) << others.err;
  EXPECT_NE(others.err.find("only the account itself or an admin"), std::string::npos)
      << others.err;
  auto admin = form_run({"--api", daemon.url(), "--key", admin_key, "account", "ledger", user});
  EXPECT_EQ(admin.code, 0) << admin.err;
}

}  // namespace

// formationd as a process with state-sqlite: real signed requests (the client signing
// library), accounts, grants and transfer on instance rows written through the store from
// this process (the same SQLite file, WAL), and the authorisation matrix over every route
// the router lists.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <archive.h>
#include <archive_entry.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "build_context.hpp"
#include "build_id.hpp"
#include "formation/kinds/state_store.hpp"
#include "signed_daemon.hpp"

namespace formation::testing {
namespace {

// The network zone of the test's dns-powerdns.
constexpr const char* kZone = "formation.test";

// A loopback UDP port nothing listens on (bound, then closed): queries to it fail at once.
int closed_udp_port() {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int port = 9;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    socklen_t len = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
  }
  if (fd >= 0) ::close(fd);
  return port;
}

// A folder removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() / ("api-context-" + random_hex(8));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class ApiProcess : public SignedDaemonTest {
 protected:
  static void SetUpTestSuite() {
    make_config();
    config_->add_plugin_file("builder-cloudinit.json",
                             "{\"plugin\": \"builder-cloudinit\", \"parameters\": "
                             "{\"artifact_dir\": \"" +
                                 (config_->dir() / "artifacts").string() + "\"}}\n");
    config_->add_plugin_file(
        "example-echo.json",
        "{\"plugin\": \"example-echo\", \"parameters\": {\"greeting\": \"hi\"}}\n");
    // The real Dns plugin; its verification resolver is a closed loopback port, so checking a
    // challenge fails at once (503) instead of asking the public DNS.
    config_->add_plugin_file(
        "dns-powerdns.json",
        "{\"plugin\": \"dns-powerdns\", \"parameters\": {\"zone\": \"" + std::string(kZone) +
            "\", \"connectors\": {\"unix\": {\"path\": \"" +
            (config_->dir() / "pdns.sock").string() +
            "\"}}, \"verification\": {\"resolvers\": [\"127.0.0.1:" +
            std::to_string(closed_udp_port()) + "\"], \"timeout_ms\": 500}}}\n");
    auto listed = run_formationd({"--config-dir", config_->dir().string(), "--list-routes"});
    routes_ = new std::string(listed.exit_code == 0 ? listed.out : "");
    start_daemon();
  }

  static void TearDownTestSuite() {
    delete routes_;
    routes_ = nullptr;
    SignedDaemonTest::TearDownTestSuite();
  }

  static Status put_account(const std::string& address) {
    auto tx = store_->store->begin();
    if (!tx.is_ok()) return tx.status();
    Account a;
    a.address = address;
    a.name = "t";
    auto created = (*tx)->accounts().create(a);
    if (!created.is_ok() && created.status().code() != StatusCode::conflict) {
      return created.status();
    }
    return (*tx)->commit();
  }

  // An instance owned by `owner` with the given grants; returns its id.
  static std::string put_instance(const std::string& owner,
                                  const std::vector<std::pair<std::string, AccessLevel>>& grants) {
    auto tx = store_->store->begin();
    EXPECT_TRUE(tx.is_ok()) << tx.status().to_string();
    Instance i;
    i.id = random_hex(8);
    i.name = "vm";
    i.owner = owner;
    i.build_id = std::string(64, '0');
    i.vcpus = 1;
    i.memory_mb = 512;
    i.disk_gb = 5;
    auto created = (*tx)->instances().create(i);
    EXPECT_TRUE(created.is_ok()) << created.status().to_string();
    for (const auto& [address, level] : grants) {
      Grant g;
      g.instance_id = i.id;
      g.address = address;
      g.level = level;
      g.granted_by = owner;
      auto put = (*tx)->grants().put(g);
      EXPECT_TRUE(put.is_ok()) << put.status().to_string();
    }
    EXPECT_TRUE((*tx)->commit().is_ok());
    return i.id;
  }

  // A finished build owned by `owner`; returns its id.
  static std::string put_build(const std::string& owner) {
    auto tx = store_->store->begin();
    EXPECT_TRUE(tx.is_ok()) << tx.status().to_string();
    Build b;
    b.build_id = random_hex(32);
    b.owner = owner;
    b.name = "b";
    b.state = BuildState::built;
    b.manifest_json = "{}";
    auto created = (*tx)->builds().create(b);
    EXPECT_TRUE(created.is_ok()) << created.status().to_string();
    EXPECT_TRUE((*tx)->commit().is_ok());
    return b.build_id;
  }

  // A node of the network; returns its id.
  static std::string put_node(const std::string& id) {
    auto tx = store_->store->begin();
    EXPECT_TRUE(tx.is_ok()) << tx.status().to_string();
    Node n;
    n.id = id;
    n.region = "test";
    n.public_ip = "192.0.2.1";
    n.capacity = {4, 8192, 100};
    auto stored = (*tx)->nodes().upsert(n);
    EXPECT_TRUE(stored.is_ok()) << stored.status().to_string();
    EXPECT_TRUE((*tx)->commit().is_ok());
    return id;
  }

  // A running operation started by `owner`; returns its id.
  static std::string put_operation(const std::string& owner) {
    auto tx = store_->store->begin();
    EXPECT_TRUE(tx.is_ok()) << tx.status().to_string();
    Operation op;
    op.id = random_hex(16);
    op.kind = "build";
    op.target_id = random_hex(32);
    op.owner = owner;
    op.state = OperationState::running;
    auto created = (*tx)->operations().create(op);
    EXPECT_TRUE(created.is_ok()) << created.status().to_string();
    EXPECT_TRUE((*tx)->commit().is_ok());
    return op.id;
  }

  // A verified A record at `fqdn` owned by `owner`, written straight to the store.
  static void put_dns_record(const std::string& owner, const std::string& fqdn) {
    auto tx = store_->store->begin();
    ASSERT_TRUE(tx.is_ok()) << tx.status().to_string();
    DnsRecord r;
    r.fqdn = fqdn;
    r.type = DnsRecordType::a;
    r.values = {"192.0.2.1"};
    r.owner = owner;
    r.verified = true;
    auto created = (*tx)->dns_records().create(r);
    ASSERT_TRUE(created.is_ok()) << created.status().to_string();
    ASSERT_TRUE((*tx)->commit().is_ok());
  }

  static Result<Instance> get_instance(const std::string& instance_id) {
    auto tx = store_->store->begin();
    if (!tx.is_ok()) return tx.status();
    return (*tx)->instances().get(instance_id);
  }

  static inline std::string* routes_ = nullptr;
};

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// ---- accounts --------------------------------------------------------------------------

TEST_F(ApiProcess, AccountCreateShowUpdateDelete) {
  Key me = random_key();
  auto created = call(me, "POST", "/v1/accounts", R"({"name": "ada"})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(std::string((*created.json)["address"].GetString()), me.address);
  EXPECT_EQ(std::string((*created.json)["name"].GetString()), "ada");
  EXPECT_EQ((*created.json)["version"].GetInt64(), 1);

  auto again = call(me, "POST", "/v1/accounts", R"({"name": "ada"})");
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(again.code, "conflict");

  // Path addresses compare case-insensitively.
  auto shown = call(me, "GET", "/v1/accounts/0x" + upper(me.address.substr(2)));
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_EQ(std::string((*shown.json)["address"].GetString()), me.address);

  auto updated = call(me, "PATCH", "/v1/accounts/" + me.address, R"({"name": "lovelace"})");
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(std::string((*updated.json)["name"].GetString()), "lovelace");
  EXPECT_EQ((*updated.json)["version"].GetInt64(), 2);

  auto stale = call(me, "PATCH", "/v1/accounts/" + me.address, R"({"name": "x", "version": 1})");
  EXPECT_EQ(stale.status, 409) << stale.body;
  auto fresh = call(me, "PATCH", "/v1/accounts/" + me.address, R"({"name": "y", "version": 2})");
  EXPECT_EQ(fresh.status, 200) << fresh.body;

  auto bad_address = call(me, "GET", "/v1/accounts/0x1234");
  EXPECT_EQ(bad_address.status, 400) << bad_address.body;

  auto deleted = call(me, "DELETE", "/v1/accounts/" + me.address);
  EXPECT_EQ(deleted.status, 204) << deleted.body;
  auto gone = call(me, "GET", "/v1/accounts/" + me.address);
  EXPECT_EQ(gone.status, 404) << gone.body;
}

TEST_F(ApiProcess, AnotherAccountIsForbiddenAndListingIsForAdmins) {
  Key me = random_key();
  Key other = random_key();
  ASSERT_EQ(call(me, "POST", "/v1/accounts", R"({"name": "me"})").status, 201);
  auto peek = call(other, "GET", "/v1/accounts/" + me.address);
  EXPECT_EQ(peek.status, 403) << peek.body;
  EXPECT_EQ(peek.code, "permission_denied");
  EXPECT_EQ(call(other, "PATCH", "/v1/accounts/" + me.address, R"({"name": "x"})").status, 403);
  EXPECT_EQ(call(other, "DELETE", "/v1/accounts/" + me.address).status, 403);
  EXPECT_EQ(call(me, "GET", "/v1/accounts").status, 403);

  auto admin_view = call(*admin_, "GET", "/v1/accounts/" + me.address);
  EXPECT_EQ(admin_view.status, 200) << admin_view.body;

  // Page through every account one at a time: each appears once, ours among them.
  std::set<std::string> seen;
  std::string token;
  for (int pages = 0; pages < 1000; ++pages) {
    std::string target = "/v1/accounts?limit=1" + (token.empty() ? "" : "&page_token=" + token);
    auto page = call(*admin_, "GET", target);
    ASSERT_EQ(page.status, 200) << page.body;
    const auto& items = (*page.json)["accounts"];
    ASSERT_LE(items.Size(), 1u);
    for (const auto& a : items.GetArray())
      EXPECT_TRUE(seen.insert(a["address"].GetString()).second);
    token = (*page.json)["next_page_token"].GetString();
    if (token.empty()) break;
    // Tokens are opaque: percent-encode everything but unreserved characters.
    std::string encoded;
    for (unsigned char c : token) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        encoded += static_cast<char>(c);
      } else {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%%%02X", c);
        encoded += buf;
      }
    }
    token = encoded;
  }
  EXPECT_TRUE(seen.count(me.address)) << "listed " << seen.size();

  EXPECT_EQ(call(*admin_, "GET", "/v1/accounts?limit=0").status, 400);
  EXPECT_EQ(call(*admin_, "GET", "/v1/accounts?limit=101").status, 400);
  EXPECT_EQ(call(*admin_, "GET", "/v1/accounts?limit=x").status, 400);
  EXPECT_EQ(call(*admin_, "GET", "/v1/accounts?page_token=garbage").status, 400);
}

// ---- signatures ------------------------------------------------------------------------

TEST_F(ApiProcess, SignatureFailuresAnswer401WithTheirCode) {
  Key me = random_key();
  const std::string target = "/v1/accounts/" + me.address;
  auto missing = send("GET", target, "", {});
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(missing.code, "signature_missing") << missing.body;

  auto headers = sign(me, "GET", target, "");
  auto bad = headers;
  for (auto& [name, value] : bad) {
    if (name == "X-Formation-Signature") value = "0xzz";
  }
  auto malformed = send("GET", target, "", bad);
  EXPECT_EQ(malformed.status, 401);
  EXPECT_EQ(malformed.code, "signature_malformed") << malformed.body;

  auto wrong = send("GET", target, "", sign(me, "GET", target, "", now_seconds(), target + "x"));
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.code, "address_mismatch") << wrong.body;

  auto skewed = send("GET", target, "", sign(me, "GET", target, "", now_seconds() - 3600));
  EXPECT_EQ(skewed.status, 401);
  EXPECT_EQ(skewed.code, "timestamp_skew") << skewed.body;

  auto first = send("GET", target, "", headers);
  EXPECT_EQ(first.status, 404) << first.body;  // signed fine; no account yet
  auto replay = send("GET", target, "", headers);
  EXPECT_EQ(replay.status, 401);
  EXPECT_EQ(replay.code, "nonce_reused") << replay.body;
}

// ---- bad bodies ------------------------------------------------------------------------

TEST_F(ApiProcess, BadBodiesAnswer400AndWriteNothing) {
  Key me = random_key();
  auto invalid = call(me, "POST", "/v1/accounts",
                      R"({"name": "a",})"
                      "x");
  EXPECT_EQ(invalid.status, 400) << invalid.body;
  EXPECT_EQ(invalid.code, "invalid");
  EXPECT_NE(invalid.message.find("invalid JSON at offset 14"), std::string::npos)
      << invalid.message;

  auto unknown = call(me, "POST", "/v1/accounts", R"({"name": "a", "plan": "gold"})");
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  EXPECT_NE(unknown.message.find("unknown field 'plan'"), std::string::npos) << unknown.message;

  auto type = call(me, "POST", "/v1/accounts", R"({"name": 7})");
  EXPECT_EQ(type.status, 400) << type.body;
  EXPECT_NE(type.message.find("'name'"), std::string::npos) << type.message;

  auto empty_name = call(me, "POST", "/v1/accounts", R"({"name": ""})");
  EXPECT_EQ(empty_name.status, 400) << empty_name.body;

  // Nothing was written by any of them.
  EXPECT_EQ(call(me, "GET", "/v1/accounts/" + me.address).status, 404);
}

// ---- grants and transfer ---------------------------------------------------------------

TEST_F(ApiProcess, GrantsAndTransfer) {
  Key owner = random_key();
  Key friend_ = random_key();
  Key heir = random_key();
  ASSERT_TRUE(put_account(owner.address).is_ok());
  ASSERT_TRUE(put_account(heir.address).is_ok());
  const std::string id = put_instance(owner.address, {});
  const std::string grants = "/v1/instances/" + id + "/grants";

  // Invisible to a stranger; the owner sees an empty list.
  EXPECT_EQ(call(friend_, "GET", grants).status, 404);
  auto empty = call(owner, "GET", grants);
  ASSERT_EQ(empty.status, 200) << empty.body;
  EXPECT_EQ((*empty.json)["grants"].Size(), 0u);

  auto granted = call(owner, "PUT", grants + "/0x" + upper(friend_.address.substr(2)),
                      R"({"level": "operator"})");
  ASSERT_EQ(granted.status, 200) << granted.body;
  EXPECT_EQ(std::string((*granted.json)["address"].GetString()), friend_.address);
  EXPECT_EQ(std::string((*granted.json)["level"].GetString()), "operator");
  EXPECT_EQ(std::string((*granted.json)["granted_by"].GetString()), owner.address);

  auto seen = call(friend_, "GET", grants);
  ASSERT_EQ(seen.status, 200) << seen.body;
  EXPECT_EQ((*seen.json)["grants"].Size(), 1u);
  // An operator cannot grant.
  EXPECT_EQ(call(friend_, "PUT", grants + "/" + heir.address, R"({"level": "read_only"})").status,
            403);
  // Owner is not a grantable level; unknown levels are refused by name.
  auto as_owner = call(owner, "PUT", grants + "/" + heir.address, R"({"level": "owner"})");
  EXPECT_EQ(as_owner.status, 400) << as_owner.body;
  EXPECT_EQ(call(owner, "PUT", grants + "/" + heir.address, R"({"level": "god"})").status, 400);
  EXPECT_EQ(call(owner, "PUT", grants + "/" + heir.address, R"({"levels": "x"})").status, 400);

  // A transfer to an address without an account fails and changes nothing.
  Key nobody = random_key();
  auto refused = call(owner, "POST", "/v1/instances/" + id + "/transfer",
                      R"({"to": ")" + nobody.address + R"("})");
  EXPECT_EQ(refused.status, 400) << refused.body;
  ASSERT_EQ(get_instance(id)->owner, owner.address);
  // Only the owner transfers.
  EXPECT_EQ(call(friend_, "POST", "/v1/instances/" + id + "/transfer",
                 R"({"to": ")" + heir.address + R"("})")
                .status,
            403);

  auto moved = call(owner, "POST", "/v1/instances/" + id + "/transfer",
                    R"({"to": ")" + heir.address + R"("})");
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(std::string((*moved.json)["owner"].GetString()), heir.address);
  EXPECT_EQ(get_instance(id)->owner, heir.address);
  // The old owner keeps nothing; the grant survives; the heir manages.
  EXPECT_EQ(call(owner, "GET", grants).status, 404);
  EXPECT_EQ(call(heir, "GET", grants).status, 200);
  EXPECT_EQ(call(heir, "DELETE", grants + "/" + friend_.address).status, 204);
  EXPECT_EQ(call(friend_, "GET", grants).status, 404);
  EXPECT_EQ(call(heir, "DELETE", grants + "/" + friend_.address).status, 404);
  // An account that still owns an instance cannot be deleted.
  EXPECT_EQ(call(heir, "DELETE", "/v1/accounts/" + heir.address).status, 409);
  EXPECT_EQ(call(heir, "GET", "/v1/instances/ffff/grants").status, 404);
}

// ---- the authorisation matrix ----------------------------------------------------------

enum Case : std::size_t {
  no_signature,
  bad_signature,
  replayed,
  skewed,
  other_account,
  read_only,
  operator_,
  manager,
  owner,
  admin,
  kCases
};
constexpr std::array<const char*, kCases> kCaseNames = {
    "no signature", "bad signature", "replayed", "skewed", "other account",
    "read_only",    "operator",      "manager",  "owner",  "admin"};

enum class Subject { none, account, instance, build, operation, node, dns_name };

struct Expectation {
  Subject subject;
  const char* query;  // appended to the target
  const char* body;
  std::array<int, kCases> status;
};

// Every route the router lists must have a row here: add one with each new route.
// {address} is the owner's account for account routes; for grant routes it is a new
// grantee (PUT) or the read_only grantee (DELETE); {id} is an instance owned by `owner`
// with grants to manager, operator and read_only. "other account" holds no account.
const std::map<std::pair<std::string, std::string>, Expectation>& matrix() {
  static const std::map<std::pair<std::string, std::string>, Expectation> table = {
      {{"GET", "/v1/health"},
       {Subject::none, "", "", {200, 200, 200, 200, 200, 200, 200, 200, 200, 200}}},
      {{"GET", "/metrics"},
       {Subject::none, "", "", {200, 200, 200, 200, 200, 200, 200, 200, 200, 200}}},
      {{"GET", "/v1/echo"},
       {Subject::none, "?message=hi", "", {200, 200, 200, 200, 200, 200, 200, 200, 200, 200}}},
      {{"POST", "/v1/accounts"},
       {Subject::account,
        "",
        R"({"name": "m"})",
        {401, 401, 401, 401, 201, 409, 409, 409, 409, 409}}},
      {{"GET", "/v1/accounts"},
       {Subject::account, "?limit=5", "", {401, 401, 401, 401, 403, 403, 403, 403, 403, 200}}},
      {{"GET", "/v1/accounts/{address}"},
       {Subject::account, "", "", {401, 401, 401, 401, 403, 403, 403, 403, 200, 200}}},
      {{"PATCH", "/v1/accounts/{address}"},
       {Subject::account,
        "",
        R"({"name": "renamed"})",
        {401, 401, 401, 401, 403, 403, 403, 403, 200, 200}}},
      {{"DELETE", "/v1/accounts/{address}"},
       {Subject::account, "", "", {401, 401, 401, 401, 403, 403, 403, 403, 204, 204}}},
      {{"GET", "/v1/instances/{id}/grants"},
       {Subject::instance, "", "", {401, 401, 401, 401, 404, 200, 200, 200, 200, 200}}},
      {{"PUT", "/v1/instances/{id}/grants/{address}"},
       {Subject::instance,
        "",
        R"({"level": "read_only"})",
        {401, 401, 401, 401, 404, 403, 403, 200, 200, 200}}},
      {{"DELETE", "/v1/instances/{id}/grants/{address}"},
       {Subject::instance, "", "", {401, 401, 401, 401, 404, 403, 403, 204, 204, 204}}},
      {{"POST", "/v1/instances/{id}/transfer"},
       {Subject::instance, "", "", {401, 401, 401, 401, 404, 403, 403, 403, 200, 200}}},
      // An empty upload is refused once the signature is good: building needs no account.
      {{"POST", "/v1/builds"},
       {Subject::none, "", "", {401, 401, 401, 401, 400, 400, 400, 400, 400, 400}}},
      {{"GET", "/v1/builds"},
       {Subject::none, "?limit=5", "", {401, 401, 401, 401, 200, 200, 200, 200, 200, 200}}},
      // Builds and operations are the owner's: anyone else is told they do not exist.
      {{"GET", "/v1/builds/{build_id}"},
       {Subject::build, "", "", {401, 401, 401, 401, 404, 404, 404, 404, 200, 200}}},
      {{"GET", "/v1/operations/{id}"},
       {Subject::operation, "", "", {401, 401, 401, 401, 404, 404, 404, 404, 200, 200}}},
      // Instances: authorisation decides first; this config has no VM plugin, so a caller
      // who may act gets 501 (unsupported) where a VM would be touched.
      {{"POST", "/v1/instances"},
       {Subject::none, "", "{}", {401, 401, 401, 401, 400, 400, 400, 400, 400, 400}}},
      {{"GET", "/v1/instances"},
       {Subject::none, "", "", {401, 401, 401, 401, 200, 200, 200, 200, 200, 200}}},
      {{"GET", "/v1/instances/{id}"},
       {Subject::instance, "", "", {401, 401, 401, 401, 404, 200, 200, 200, 200, 200}}},
      {{"DELETE", "/v1/instances/{id}"},
       {Subject::instance, "", "", {401, 401, 401, 401, 404, 403, 403, 403, 501, 501}}},
      {{"POST", "/v1/instances/{id}/start"},
       {Subject::instance, "", "", {401, 401, 401, 401, 404, 403, 501, 501, 501, 501}}},
      {{"POST", "/v1/instances/{id}/stop"},
       {Subject::instance, "", "", {401, 401, 401, 401, 404, 403, 501, 501, 501, 501}}},
      {{"POST", "/v1/instances/{id}/reboot"},
       {Subject::instance, "", "", {401, 401, 401, 401, 404, 403, 501, 501, 501, 501}}},
      {{"POST", "/v1/instances/{id}/resize"},
       {Subject::instance,
        "",
        R"({"vcpus": 2})",
        {401, 401, 401, 401, 404, 403, 403, 501, 501, 501}}},
      {{"POST", "/v1/instances/{id}/disks"},
       {Subject::instance,
        "",
        R"({"size_gb": 1})",
        {401, 401, 401, 401, 404, 403, 403, 501, 501, 501}}},
      {{"GET", "/v1/nodes"},
       {Subject::none, "", "", {401, 401, 401, 401, 200, 200, 200, 200, 200, 200}}},
      {{"GET", "/v1/nodes/{id}"},
       {Subject::node, "", "", {401, 401, 401, 401, 200, 200, 200, 200, 200, 200}}},
      // DNS: {fqdn} is a name under the zone where `owner` holds an A record. Other accounts
      // are told they have nothing there (404) and may not write it (403); admins read and
      // remove anyone's records but write only their own.
      {{"GET", "/v1/dns/records"},
       {Subject::none, "?limit=5", "", {401, 401, 401, 401, 200, 200, 200, 200, 200, 200}}},
      {{"GET", "/v1/dns/records/{fqdn}"},
       {Subject::dns_name, "", "", {401, 401, 401, 401, 404, 404, 404, 404, 200, 200}}},
      {{"PUT", "/v1/dns/records/{fqdn}"},
       {Subject::dns_name,
        "",
        R"({"type": "A", "values": ["192.0.2.2"]})",
        {401, 401, 401, 401, 403, 403, 403, 403, 200, 403}}},
      {{"DELETE", "/v1/dns/records/{fqdn}"},
       {Subject::dns_name, "", "", {401, 401, 401, 401, 404, 404, 404, 404, 204, 204}}},
      {{"POST", "/v1/dns/records/{fqdn}/verify"},
       {Subject::dns_name, "", "", {401, 401, 401, 401, 404, 404, 404, 404, 200, 404}}},
      // The mesh: this config has no Mesh plugin, so whoever gets past the signature is told
      // it is unsupported; the instance join is anonymous (its token is the credential).
      {{"POST", "/v1/mesh/join"},
       {Subject::none, "", "{}", {401, 401, 401, 401, 501, 501, 501, 501, 501, 501}}},
      {{"POST", "/v1/mesh/instance-join"},
       {Subject::none, "", "{}", {501, 501, 501, 501, 501, 501, 501, 501, 501, 501}}},
      {{"GET", "/v1/mesh/peers"},
       {Subject::none, "", "", {401, 401, 401, 401, 501, 501, 501, 501, 501, 501}}},
      {{"GET", "/v1/mesh/peers/{id}/config"},
       {Subject::node, "", "", {401, 401, 401, 401, 501, 501, 501, 501, 501, 501}}},
      {{"POST", "/v1/mesh/endpoints"},
       {Subject::none, "", "{}", {401, 401, 401, 401, 501, 501, 501, 501, 501, 501}}},
      {{"POST", "/v1/mesh/leave"},
       {Subject::none, "", "{}", {401, 401, 401, 401, 501, 501, 501, 501, 501, 501}}},
      // Usage: read access to the instance decides first; this config has no UsageMeter,
      // so whoever may read is told usage is unsupported here.
      {{"GET", "/v1/instances/{id}/usage"},
       {Subject::instance, "", "", {401, 401, 401, 401, 404, 501, 501, 501, 501, 501}}},
      {{"GET", "/v1/usage"},
       {Subject::none, "", "", {401, 401, 401, 401, 501, 501, 501, 501, 501, 501}}},
      // Thresholds: this config has no UsageMeter, so whoever gets past the signature is
      // told none would be checked (test/api/usage_process_test.cpp has the rest).
      {{"POST", "/v1/thresholds"},
       {Subject::none, "", "{}", {401, 401, 401, 401, 501, 501, 501, 501, 501, 501}}},
      {{"GET", "/v1/thresholds"},
       {Subject::none, "", "", {401, 401, 401, 401, 501, 501, 501, 501, 501, 501}}},
      {{"GET", "/v1/thresholds/{id}"},
       {Subject::none, "", "", {401, 401, 401, 401, 501, 501, 501, 501, 501, 501}}},
      {{"DELETE", "/v1/thresholds/{id}"},
       {Subject::none, "", "", {401, 401, 401, 401, 501, 501, 501, 501, 501, 501}}},
      // Webhooks are the caller's own: an empty body is refused once signed; a webhook id
      // that does not exist is not found for anyone.
      {{"POST", "/v1/webhooks"},
       {Subject::none, "", "{}", {401, 401, 401, 401, 400, 400, 400, 400, 400, 400}}},
      {{"GET", "/v1/webhooks"},
       {Subject::none, "", "", {401, 401, 401, 401, 200, 200, 200, 200, 200, 200}}},
      {{"GET", "/v1/webhooks/{id}"},
       {Subject::none, "", "", {401, 401, 401, 401, 404, 404, 404, 404, 404, 404}}},
      {{"DELETE", "/v1/webhooks/{id}"},
       {Subject::none, "", "", {401, 401, 401, 401, 404, 404, 404, 404, 404, 404}}},
      {{"GET", "/v1/webhooks/{id}/deliveries"},
       {Subject::none, "", "", {401, 401, 401, 401, 404, 404, 404, 404, 404, 404}}},
      // Credits: this config has no Billing plugin, so whoever gets past the signature is
      // told it is unsupported (test/api/billing_process_test.cpp has who may do what).
      {{"GET", "/v1/accounts/{address}/credits"},
       {Subject::account, "", "", {401, 401, 401, 401, 501, 501, 501, 501, 501, 501}}},
      {{"POST", "/v1/accounts/{address}/credits"},
       {Subject::account,
        "",
        R"({"amount_micro": 1})",
        {401, 401, 401, 401, 501, 501, 501, 501, 501, 501}}},
      {{"GET", "/v1/accounts/{address}/ledger"},
       {Subject::account, "", "", {401, 401, 401, 401, 501, 501, 501, 501, 501, 501}}},
  };
  return table;
}

const std::map<Case, const char*> kAuthCodes = {{no_signature, "signature_missing"},
                                                {bad_signature, "address_mismatch"},
                                                {replayed, "nonce_reused"},
                                                {skewed, "timestamp_skew"}};

std::string replace(std::string s, const std::string& from, const std::string& to) {
  auto at = s.find(from);
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

TEST_F(ApiProcess, AuthorisationMatrixCoversEveryRoute) {
  std::vector<std::pair<std::string, std::string>> routes;
  std::istringstream lines(*routes_);
  std::string method, pattern, owner_name;
  while (lines >> method >> pattern >> owner_name) routes.emplace_back(method, pattern);
  ASSERT_FALSE(routes.empty()) << "formationd --list-routes listed nothing";

  std::set<std::pair<std::string, std::string>> listed(routes.begin(), routes.end());
  for (const auto& [key, _] : matrix()) {
    EXPECT_TRUE(listed.count(key))
        << "matrix row for a route the router does not list: " << key.first << " " << key.second;
  }

  for (const auto& [m, p] : routes) {
    auto row = matrix().find({m, p});
    if (row == matrix().end()) {
      ADD_FAILURE() << "route " << m << " " << p
                    << " has no row in the authorisation matrix (test/api/api_process_test.cpp)";
      continue;
    }
    const Expectation& e = row->second;
    for (std::size_t c = 0; c < kCases; ++c) {
      // A fresh cast for every case, so that what one request changes never leaks.
      Key owner = random_key(), manager = random_key(), op = random_key(), reader = random_key(),
          other = random_key(), grantee = random_key();
      for (const Key* k : {&owner, &manager, &op, &reader, &grantee, admin_}) {
        ASSERT_TRUE(put_account(k->address).is_ok());
      }
      std::string target = p;
      std::string body = e.body;
      if (e.subject == Subject::account) {
        target = replace(target, "{address}", owner.address);
      } else if (e.subject == Subject::instance) {
        const std::string id =
            put_instance(owner.address, {{manager.address, AccessLevel::manager},
                                         {op.address, AccessLevel::operator_},
                                         {reader.address, AccessLevel::read_only}});
        target = replace(target, "{id}", id);
        target = replace(target, "{address}", m == "PUT" ? grantee.address : reader.address);
        if (p.ends_with("/transfer")) body = R"({"to": ")" + grantee.address + R"("})";
      } else if (e.subject == Subject::build) {
        target = replace(target, "{build_id}", put_build(owner.address));
      } else if (e.subject == Subject::operation) {
        target = replace(target, "{id}", put_operation(owner.address));
      } else if (e.subject == Subject::node) {
        target = replace(target, "{id}", put_node(random_key().address));
      } else if (e.subject == Subject::dns_name) {
        const std::string fqdn = "m" + random_hex(6) + "." + kZone;
        put_dns_record(owner.address, fqdn);
        target = replace(target, "{fqdn}", fqdn);
      }
      target = replace(target, "/v1/webhooks/{id}", "/v1/webhooks/0123456789abcdef");
      target = replace(target, "/v1/thresholds/{id}", "/v1/thresholds/0123456789abcdef");
      target += e.query;

      const Key* caller = &owner;
      switch (static_cast<Case>(c)) {
        case Case::other_account: caller = &other; break;
        case Case::read_only: caller = &reader; break;
        case Case::operator_: caller = &op; break;
        case Case::manager: caller = &manager; break;
        case Case::admin: caller = admin_; break;
        default: break;
      }
      Headers headers;
      switch (static_cast<Case>(c)) {
        case Case::no_signature: break;
        case Case::bad_signature:
          headers = sign(*caller, m, target, body, now_seconds(), target + "/other");
          break;
        case Case::skewed: headers = sign(*caller, m, target, body, now_seconds() - 3600); break;
        case Case::replayed:
          headers = sign(*caller, m, target, body);
          (void)send(m, target, body, headers);
          break;
        default: headers = sign(*caller, m, target, body); break;
      }
      auto reply = send(m, target, body, headers);
      EXPECT_EQ(reply.status, e.status[c])
          << m << " " << p << " / " << kCaseNames[c] << ": " << reply.body;
      auto code = kAuthCodes.find(static_cast<Case>(c));
      if (e.status[c] == 401 && code != kAuthCodes.end()) {
        EXPECT_EQ(reply.code, code->second) << m << " " << p << " / " << kCaseNames[c];
      }
    }
  }
}

// ---- builds ----------------------------------------------------------------------------

std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A context folder packed the way `form pack build` packs it.
std::string packed(const std::filesystem::path& dir) {
  auto archive = std::filesystem::temp_directory_path() / ("api-build-" + random_hex(8) + ".tgz");
  auto index = build_context::pack_directory(dir, archive, ContextLimits{});
  EXPECT_TRUE(index.is_ok()) << index.status().to_string();
  std::string bytes = read_bytes(archive);
  std::filesystem::remove(archive);
  return bytes;
}

// A tar holding `entries` (path -> content) as given, hostile paths included.
std::string raw_tar(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::vector<char> buffer(1 << 20);
  std::size_t used = 0;
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_open_memory(a, buffer.data(), buffer.size(), &used);
  for (const auto& [path, content] : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, path.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(content.size()));
    archive_write_header(a, e);
    archive_write_data(a, content.data(), content.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return {buffer.data(), used};
}

const std::string kMinimalFormfile =
    "NAME api-test\nUSER username:dev passwd:secret\nCOPY hello.txt /srv/hello.txt\n";

TEST_F(ApiProcess, BuildUploadPollFetchAndOnlyTheOwnerSeesIt) {
  Key me = random_key();
  Key other = random_key();
  TempDir dir;
  std::ofstream(dir.path() / "Formfile") << kMinimalFormfile;
  std::ofstream(dir.path() / "hello.txt") << "hello\n";
  const std::string body = packed(dir.path());

  auto accepted = call(me, "POST", "/v1/builds", body);
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  const std::string build_id = (*accepted.json)["build_id"].GetString();
  EXPECT_EQ(build_id, *formfile::build_id(me.address, "api-test"));
  const std::string op_id = (*accepted.json)["operation"]["id"].GetString();

  auto done = wait_operation(me, op_id);
  ASSERT_EQ(done.status, 200) << done.body;
  ASSERT_EQ(std::string((*done.json)["state"].GetString()), "succeeded") << done.body;
  EXPECT_EQ((*done.json)["progress"].GetInt(), 100);

  auto build = call(me, "GET", "/v1/builds/" + build_id);
  ASSERT_EQ(build.status, 200) << build.body;
  EXPECT_EQ(std::string((*build.json)["state"].GetString()), "Built");
  EXPECT_EQ(std::string((*build.json)["owner"].GetString()), me.address);
  ASSERT_TRUE((*build.json)["manifest"].IsObject()) << build.body;
  EXPECT_EQ(build.body.find("secret"), std::string::npos) << "the password leaked: " << build.body;

  // Another account: the build and the operation do not exist for it.
  EXPECT_EQ(call(other, "GET", "/v1/builds/" + build_id).status, 404);
  EXPECT_EQ(call(other, "GET", "/v1/operations/" + op_id).status, 404);
  auto others = call(other, "GET", "/v1/builds");
  ASSERT_EQ(others.status, 200);
  EXPECT_EQ(others.body.find(build_id), std::string::npos);
  EXPECT_NE(call(me, "GET", "/v1/builds").body.find(build_id), std::string::npos);

  // The same NAME again replaces the build: same id, built again.
  auto again = call(me, "POST", "/v1/builds", body);
  ASSERT_EQ(again.status, 202) << again.body;
  EXPECT_EQ(std::string((*again.json)["build_id"].GetString()), build_id);
  auto redone = wait_operation(me, (*again.json)["operation"]["id"].GetString());
  EXPECT_EQ(std::string((*redone.json)["state"].GetString()), "succeeded") << redone.body;
}

TEST_F(ApiProcess, BuildRefusesABadFormfileWithLineAndColumn) {
  Key me = random_key();
  TempDir dir;
  std::ofstream(dir.path() / "Formfile") << "USER username:dev passwd:x\nVCPU two\n";
  auto refused = call(me, "POST", "/v1/builds", packed(dir.path()));
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_NE(refused.message.find("Formfile:2:6"), std::string::npos) << refused.message;
  auto listed = call(me, "GET", "/v1/builds");
  EXPECT_EQ((*listed.json)["builds"].Size(), 0u) << listed.body;
}

TEST_F(ApiProcess, BuildRefusesContextsThatLeaveTheirFolder) {
  Key me = random_key();
  auto escaping = call(me, "POST", "/v1/builds",
                       raw_tar({{"Formfile", kMinimalFormfile}, {"../hello.txt", "x"}}));
  EXPECT_EQ(escaping.status, 400) << escaping.body;
  EXPECT_NE(escaping.message.find(".."), std::string::npos) << escaping.message;
  auto absolute = call(me, "POST", "/v1/builds",
                       raw_tar({{"Formfile", kMinimalFormfile}, {"/etc/hello.txt", "x"}}));
  EXPECT_EQ(absolute.status, 400) << absolute.body;
  auto no_formfile = call(me, "POST", "/v1/builds", raw_tar({{"hello.txt", "x"}}));
  EXPECT_EQ(no_formfile.status, 400) << no_formfile.body;
  EXPECT_NE(no_formfile.message.find("Formfile"), std::string::npos) << no_formfile.message;
  auto garbage = call(me, "POST", "/v1/builds", std::string(4096, 'z'));
  EXPECT_EQ(garbage.status, 400) << garbage.body;
  // Nothing of a refused upload stays on disk.
  const auto work = config_->dir() / "data" / "builds-work";
  if (std::filesystem::exists(work)) {
    EXPECT_TRUE(std::filesystem::is_empty(work)) << work << " still holds uploads";
  }
}

// ---- DNS records -------------------------------------------------------------------------

// A name under the test's zone that no other test uses.
std::string fresh_name(const std::string& prefix = "n") {
  return prefix + random_hex(6) + "." + kZone;
}

// A custom domain that no other test uses.
std::string fresh_domain() { return "d" + random_hex(6) + ".example"; }

std::string a_body(const std::string& address = "192.0.2.10") {
  return R"({"type": "A", "values": [")" + address + R"("]})";
}

TEST_F(ApiProcess, DnsInvalidNamesAnswer400WithWhatIsWrong) {
  Key me = random_key();
  const std::string label64(64, 'a');
  std::string long_name;
  while (long_name.size() < 250) long_name += std::string(60, 'b') + ".";
  long_name += "example";  // 254+ bytes
  struct Case {
    std::string name;
    const char* says;
  };
  const std::vector<Case> cases = {
      {label64 + ".example.org", "at most 63"},
      {long_name, "at most 253"},
      {"a*b.example.org", "may hold only letters"},
      {"a..b.example.org", "empty label"},
      {"org.", "at least two"},
  };
  for (const auto& c : cases) {
    auto r = call(me, "PUT", "/v1/dns/records/" + c.name, a_body());
    EXPECT_EQ(r.status, 400) << c.name << ": " << r.body;
    EXPECT_NE(r.message.find(c.says), std::string::npos) << c.name << ": " << r.message;
  }
  // Bad bodies and values name what is wrong, and write nothing.
  const std::string name = fresh_name();
  for (const char* body :
       {R"({"type": "A", "values": ["300.1.1.1"]})", R"({"type": "MX", "values": ["x"]})",
        R"({"type": "A"})", R"({"type": "A", "values": ["192.0.2.1"], "ttl": 0})", "not json"}) {
    auto r = call(me, "PUT", "/v1/dns/records/" + name, body);
    EXPECT_EQ(r.status, 400) << body << ": " << r.body;
  }
  EXPECT_EQ(call(me, "GET", "/v1/dns/records/" + name).status, 404);
}

TEST_F(ApiProcess, DnsRelativeNamesAreUnderTheZone) {
  Key me = random_key();
  const std::string label = "rel" + random_hex(4);
  auto created = call(me, "PUT", "/v1/dns/records/" + label, a_body());
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(std::string((*created.json)["fqdn"].GetString()), label + "." + kZone);
  EXPECT_TRUE((*created.json)["verified"].GetBool());
  EXPECT_FALSE(created.json->HasMember("verification"));
  EXPECT_EQ((*created.json)["ttl"].GetInt64(), 300);
  EXPECT_EQ(std::string((*created.json)["owner"].GetString()), me.address);
  // The same name, absolute, upper case and with a trailing dot.
  auto shown = call(me, "GET", "/v1/dns/records/" + upper(label) + ".Formation.Test.");
  ASSERT_EQ(shown.status, 200) << shown.body;
  ASSERT_EQ((*shown.json)["records"].Size(), 1u);
  EXPECT_EQ(std::string((*shown.json)["records"][0]["values"][0].GetString()), "192.0.2.10");
}

TEST_F(ApiProcess, DnsOtherTenantsNamesAndReservedNamesAre403) {
  Key alice = random_key(), bob = random_key();
  const std::string name = fresh_name("web");
  ASSERT_EQ(call(alice, "PUT", "/v1/dns/records/" + name, a_body()).status, 201);
  // The name itself (any type), and anything under it.
  for (const std::string& target : {name, "api." + name}) {
    for (const char* body :
         {R"({"type": "A", "values": ["192.0.2.99"]})", R"({"type": "TXT", "values": ["mine"]})"}) {
      auto r = call(bob, "PUT", "/v1/dns/records/" + target, body);
      EXPECT_EQ(r.status, 403) << target << ": " << r.body;
      EXPECT_NE(r.message.find("owned by another account"), std::string::npos) << r.message;
      EXPECT_EQ(r.message.find(alice.address), std::string::npos) << "leaks the owner";
    }
  }
  // Bob sees nothing there and cannot remove it.
  EXPECT_EQ(call(bob, "GET", "/v1/dns/records/" + name).status, 404);
  EXPECT_EQ(call(bob, "DELETE", "/v1/dns/records/" + name).status, 404);
  EXPECT_EQ(call(alice, "GET", "/v1/dns/records/" + name).status, 200);
  // Alice may use names under her own.
  EXPECT_EQ(call(alice, "PUT", "/v1/dns/records/api." + name, a_body()).status, 201);

  for (const std::string& reserved :
       {std::string(kZone), "ns1." + std::string(kZone), "_formation-challenge." + name,
        std::string("_formation-challenge.example.org"), std::string("test")}) {
    auto r = call(bob, "PUT", "/v1/dns/records/" + reserved + ".", a_body());
    EXPECT_EQ(r.status, 403) << reserved << ": " << r.body;
    EXPECT_NE(r.message.find("reserved"), std::string::npos) << r.message;
  }
}

TEST_F(ApiProcess, DnsPreconditionsAndCnameExclusivity) {
  Key me = random_key();
  const std::string name = fresh_name();
  const std::string path = "/v1/dns/records/" + name;
  auto missing = call_with(me, "PUT", path, a_body(), {{"If-Match", "*"}});
  EXPECT_EQ(missing.status, 404) << missing.body;
  EXPECT_NE(missing.message.find("form dns add"), std::string::npos) << missing.message;
  ASSERT_EQ(call_with(me, "PUT", path, a_body(), {{"If-None-Match", "*"}}).status, 201);
  auto again = call_with(me, "PUT", path, a_body(), {{"If-None-Match", "*"}});
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_NE(again.message.find("form dns update"), std::string::npos) << again.message;
  auto replaced = call_with(me, "PUT", path, a_body("192.0.2.20"), {{"If-Match", "*"}});
  ASSERT_EQ(replaced.status, 200) << replaced.body;
  EXPECT_EQ(std::string((*replaced.json)["values"][0].GetString()), "192.0.2.20");
  // Without a header, PUT creates or replaces.
  EXPECT_EQ(call(me, "PUT", path, a_body("192.0.2.21")).status, 200);

  // No CNAME beside other types, and nothing beside a CNAME.
  auto cname = call(me, "PUT", path, R"({"type": "CNAME", "values": ["target.example.org"]})");
  EXPECT_EQ(cname.status, 409) << cname.body;
  EXPECT_NE(cname.message.find("CNAME"), std::string::npos) << cname.message;
  const std::string alias = "/v1/dns/records/" + fresh_name("alias");
  ASSERT_EQ(
      call(me, "PUT", alias, R"({"type": "cname", "values": ["Target.Example.org."]})").status,
      201);
  auto beside = call(me, "PUT", alias, R"({"type": "TXT", "values": ["x"]})");
  EXPECT_EQ(beside.status, 409) << beside.body;
  auto shown = call(me, "GET", alias);
  EXPECT_EQ(std::string((*shown.json)["records"][0]["values"][0].GetString()),
            "target.example.org");
}

TEST_F(ApiProcess, DnsCustomDomainsNeedVerification) {
  Key alice = random_key(), bob = random_key();
  const std::string domain = fresh_domain();
  const std::string path = "/v1/dns/records/" + domain;
  auto claimed = call(alice, "PUT", path, a_body());
  ASSERT_EQ(claimed.status, 201) << claimed.body;
  EXPECT_FALSE((*claimed.json)["verified"].GetBool());
  const auto& v = (*claimed.json)["verification"];
  EXPECT_EQ(std::string(v["name"].GetString()), "_formation-challenge." + domain);
  EXPECT_EQ(std::string(v["type"].GetString()), "TXT");
  EXPECT_EQ(std::string(v["value"].GetString()).size(), 32u);
  EXPECT_NE(std::string(v["hint"].GetString()).find("form dns verify"), std::string::npos);

  // Bob's claim of the same type conflicts; the message says verifying takes it over.
  auto conflict = call(bob, "PUT", path, a_body());
  EXPECT_EQ(conflict.status, 409) << conflict.body;
  EXPECT_NE(conflict.message.find("claimed by another account but not verified"), std::string::npos)
      << conflict.message;
  EXPECT_NE(conflict.message.find("verifying takes it over"), std::string::npos);
  // Another type at the same name is Bob's own unverified claim, with his own challenge.
  auto txt = call(bob, "PUT", path, R"({"type": "TXT", "values": ["bob"]})");
  ASSERT_EQ(txt.status, 201) << txt.body;
  EXPECT_NE(std::string((*txt.json)["verification"]["value"].GetString()),
            std::string(v["value"].GetString()));

  // Verifying asks the (unreachable) resolver: 503 with the reason, nothing changes.
  auto verify = call(alice, "POST", path + "/verify");
  EXPECT_EQ(verify.status, 503) << verify.body;
  EXPECT_NE(verify.message.find("try again"), std::string::npos) << verify.message;
  auto still = call(alice, "GET", path);
  EXPECT_FALSE((*still.json)["records"][0]["verified"].GetBool());

  // Verify without a record: 404 saying what to do.
  auto none = call(random_key(), "POST", "/v1/dns/records/" + fresh_domain() + "/verify");
  EXPECT_EQ(none.status, 404) << none.body;
  EXPECT_NE(none.message.find("form dns add"), std::string::npos) << none.message;

  // A verified record of another account blocks the name and everything under it.
  const std::string taken = fresh_domain();
  put_dns_record(alice.address, taken);
  for (const std::string& n : {taken, "www." + taken}) {
    auto r = call(bob, "PUT", "/v1/dns/records/" + n, a_body());
    EXPECT_EQ(r.status, 403) << n << ": " << r.body;
  }
  // Alice's names under her verified domain are verified at once.
  auto sub = call(alice, "PUT", "/v1/dns/records/www." + taken, a_body());
  ASSERT_EQ(sub.status, 201) << sub.body;
  EXPECT_TRUE((*sub.json)["verified"].GetBool());
  auto done = call(alice, "POST", "/v1/dns/records/" + taken + "/verify");
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_TRUE((*done.json)["verified"].GetBool());
}

TEST_F(ApiProcess, DnsDeleteByTypeAndAll) {
  Key me = random_key();
  const std::string path = "/v1/dns/records/" + fresh_name();
  ASSERT_EQ(call(me, "PUT", path, a_body()).status, 201);
  ASSERT_EQ(call(me, "PUT", path, R"({"type": "TXT", "values": ["hello"]})").status, 201);
  EXPECT_EQ(call(me, "DELETE", path + "?type=txt").status, 204);
  auto left = call(me, "GET", path);
  ASSERT_EQ(left.status, 200);
  ASSERT_EQ((*left.json)["records"].Size(), 1u);
  EXPECT_EQ(std::string((*left.json)["records"][0]["type"].GetString()), "A");
  EXPECT_EQ(call(me, "DELETE", path + "?type=TXT").status, 404);
  EXPECT_EQ(call(me, "DELETE", path + "?type=MX").status, 400);
  EXPECT_EQ(call(me, "DELETE", path + "?kind=A").status, 400);
  EXPECT_EQ(call(me, "DELETE", path).status, 204);
  EXPECT_EQ(call(me, "GET", path).status, 404);
  EXPECT_EQ(call(me, "DELETE", path).status, 404);
}

TEST_F(ApiProcess, DnsListPaginatesAndFilters) {
  Key me = random_key(), other = random_key();
  const std::string parent = fresh_name("p");
  for (const char* label : {"a.", "b.", "c."}) {
    ASSERT_EQ(call(me, "PUT", "/v1/dns/records/" + std::string(label) + parent, a_body()).status,
              201);
  }
  ASSERT_EQ(call(me, "PUT", "/v1/dns/records/" + fresh_name(), a_body()).status, 201);
  ASSERT_EQ(call(other, "PUT", "/v1/dns/records/" + fresh_name(), a_body()).status, 201);

  auto first = call(me, "GET", "/v1/dns/records?zone=" + parent + "&limit=2");
  ASSERT_EQ(first.status, 200) << first.body;
  ASSERT_EQ((*first.json)["records"].Size(), 2u);
  const std::string token = (*first.json)["next_page_token"].GetString();
  ASSERT_FALSE(token.empty());
  auto second = call(me, "GET", "/v1/dns/records?zone=" + parent + "&limit=2&page_token=" + token);
  ASSERT_EQ(second.status, 200) << second.body;
  ASSERT_EQ((*second.json)["records"].Size(), 1u);
  EXPECT_EQ(std::string((*second.json)["records"][0]["fqdn"].GetString()), "c." + parent);
  EXPECT_EQ(std::string((*second.json)["next_page_token"].GetString()), "");

  // Only the caller's own, unless an admin asks.
  auto mine = call(me, "GET", "/v1/dns/records?limit=100");
  ASSERT_EQ(mine.status, 200);
  EXPECT_EQ((*mine.json)["records"].Size(), 4u);
  for (const auto& r : (*mine.json)["records"].GetArray()) {
    EXPECT_EQ(std::string(r["owner"].GetString()), me.address);
  }
  auto admin = call(*admin_, "GET", "/v1/dns/records?zone=" + parent);
  EXPECT_EQ((*admin.json)["records"].Size(), 3u);
  EXPECT_EQ(call(other, "GET", "/v1/dns/records?zone=" + parent).json->operator[]("records").Size(),
            0u);
  EXPECT_EQ(call(me, "GET", "/v1/dns/records?zone=a..b").status, 400);
  EXPECT_EQ(call(me, "GET", "/v1/dns/records?color=red").status, 400);
}

TEST_F(ApiProcess, DnsNamesFollowingInstancesNeedOperatorAccess) {
  Key owner = random_key(), reader = random_key(), op = random_key(), stranger = random_key();
  const std::string id = put_instance(owner.address, {{reader.address, AccessLevel::read_only},
                                                      {op.address, AccessLevel::operator_}});
  const std::string body = R"({"type": "A", "instance_id": ")" + id + R"("})";
  auto unknown = call(owner, "PUT", "/v1/dns/records/" + fresh_name(),
                      R"({"type": "A", "instance_id": "ffffffff"})");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(call(stranger, "PUT", "/v1/dns/records/" + fresh_name(), body).status, 404);
  auto read_only = call(reader, "PUT", "/v1/dns/records/" + fresh_name(), body);
  EXPECT_EQ(read_only.status, 403) << read_only.body;
  EXPECT_NE(read_only.message.find("operator"), std::string::npos) << read_only.message;
  auto followed = call(op, "PUT", "/v1/dns/records/" + fresh_name(), body);
  ASSERT_EQ(followed.status, 201) << followed.body;
  EXPECT_EQ(std::string((*followed.json)["instance_id"].GetString()), id);
  EXPECT_EQ((*followed.json)["values"].Size(), 0u);
  EXPECT_EQ(call(owner, "PUT", "/v1/dns/records/" + fresh_name(), body).status, 201);
}

// What the running dns-powerdns answers PowerDNS for `qname` A: one remote-backend lookup
// over its unix socket, as pdns sends it ("" when the socket cannot be reached).
std::string pdns_lookup(const std::filesystem::path& socket, const std::string& qname) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket.c_str());
  std::string reply;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string request =
        R"({"method":"lookup","parameters":{"qtype":"A","qname":")" + qname +
        R"(.","remote":"127.0.0.1","local":"127.0.0.1","real-remote":"127.0.0.1/32",)"
        R"("zone-id":-1}})"
        "\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      while (reply.find('\n') == std::string::npos) {
        ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
        if (got <= 0) break;
        reply.append(buffer, static_cast<std::size_t>(got));
      }
    }
  }
  ::close(fd);
  return reply;
}

TEST_F(ApiProcess, DnsChangesAreServedOnTheVeryNextQuery) {
  Key me = random_key();
  const auto socket = config_->dir() / "pdns.sock";
  const std::string name = fresh_name("live");
  const std::string path = "/v1/dns/records/" + name;
  EXPECT_EQ(pdns_lookup(socket, name).find("192.0.2.77"), std::string::npos);
  ASSERT_EQ(call(me, "PUT", path, a_body("192.0.2.77")).status, 201);
  EXPECT_NE(pdns_lookup(socket, name).find("192.0.2.77"), std::string::npos)
      << pdns_lookup(socket, name);
  ASSERT_EQ(call(me, "PUT", path, a_body("192.0.2.78")).status, 200);
  const std::string replaced = pdns_lookup(socket, name);
  EXPECT_NE(replaced.find("192.0.2.78"), std::string::npos) << replaced;
  EXPECT_EQ(replaced.find("192.0.2.77"), std::string::npos) << replaced;
  ASSERT_EQ(call(me, "DELETE", path).status, 204);
  EXPECT_EQ(pdns_lookup(socket, name).find("192.0.2.78"), std::string::npos)
      << pdns_lookup(socket, name);
  // An unverified custom domain is not served.
  const std::string domain = fresh_domain();
  ASSERT_EQ(call(me, "PUT", "/v1/dns/records/" + domain, a_body("192.0.2.79")).status, 201);
  EXPECT_EQ(pdns_lookup(socket, domain).find("192.0.2.79"), std::string::npos)
      << pdns_lookup(socket, domain);
}

}  // namespace
}  // namespace formation::testing

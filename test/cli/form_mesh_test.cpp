// form mesh against a canned loopback server: the WireGuard key made here (only its public
// half sent, the private one only in the 0600 config), the wg-quick config written from the
// answer, the requests, the refusals of bad input before any request, and up/down with a
// stand-in wg-quick on PATH (the real one runs in network namespaces in test/e2e).
#include <openssl/evp.h>
#include <rapidjson/document.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "form_home.hpp"
#include "scripted_server.hpp"

namespace {

namespace fs = std::filesystem;
using form_test::form_run;
using form_test::Outcome;
using form_test::request_body;
using form_test::ScriptedServer;

const char* const kKey = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
// Nothing listens there: a command that exits 2 with it sent nothing.
const char* const kNowhere = "http://127.0.0.1:9";

const std::string kNodeKey = "km7aP3TeGowwGBC7I4MEzpT17AyoiLtpGogwwgTW4Uw=";
const std::string kInstanceKey = "JvLVL/IOzqVZDw4FSSZF94CD58qrdxa1Zw1iAd6yzic=";
const std::string kOtherKey = "l4JqWmSS2ZzQk/XJ8479zeHOL0hbAS3Ebryy56eGsWA=";

std::string config_json(const std::string& peers) {
  return R"({"peer_id":"dev-1","address":"10.42.64.7","cidr":"10.42.0.0/16","peers":[)" + peers +
         "]}";
}

const std::string kNodePeer = R"({"peer_id":"0x6a1f","public_key":")" + kNodeKey +
                              R"(","allowed_ips":["10.42.0.1/32"],)"
                              R"("endpoint":"198.51.100.2:51820","persistent_keepalive":25})";
const std::string kInstancePeer = R"({"peer_id":"inst-9","public_key":")" + kInstanceKey +
                                  R"(","allowed_ips":["10.42.128.9/32"],"endpoint":"",)"
                                  R"("persistent_keepalive":0})";

const std::string kJoinAnswer =
    R"({"peer":{"id":"dev-1","kind":"device","owner":"0x2c75","public_key":"x",)"
    R"("address":"10.42.64.7","endpoints":["203.0.113.5:51820"],"node_id":"",)"
    R"("instance_id":null,"version":1},"config":)" +
    config_json(kNodePeer + "," + kInstancePeer) + "}";

const std::string kPeersAnswer =
    R"({"peers":[{"id":"dev-1","kind":"device","address":"10.42.64.7",)"
    R"("endpoints":["203.0.113.5:51820"],"node_id":"","instance_id":null},)"
    R"({"id":"inst-9","kind":"instance","address":"10.42.128.9","endpoints":[],)"
    R"("node_id":"0x6a1f","instance_id":"i-9"}],"next_page_token":""})";

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

unsigned mode_of(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

// The PrivateKey value of a wg-quick config.
std::string private_key_of(const std::string& config) {
  const auto at = config.find("PrivateKey = ");
  if (at == std::string::npos) return {};
  return config.substr(at + 13, config.find('\n', at) - at - 13);
}

// The public key of a base64 X25519 private key, computed independently of form.
std::string public_key_of(const std::string& private_key) {
  std::array<unsigned char, 33> raw{};
  if (EVP_DecodeBlock(raw.data(), reinterpret_cast<const unsigned char*>(private_key.data()),
                      static_cast<int>(private_key.size())) != 33)
    return {};
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, raw.data(), 32), EVP_PKEY_free);
  if (!pkey) return {};
  std::array<unsigned char, 32> pub{};
  std::size_t len = pub.size();
  EVP_PKEY_get_raw_public_key(pkey.get(), pub.data(), &len);
  std::array<unsigned char, 45> text{};
  EVP_EncodeBlock(text.data(), pub.data(), 32);
  return reinterpret_cast<const char*>(text.data());
}

// What the real `wg pubkey` says, when wireguard-tools is installed.
std::optional<std::string> wg_pubkey(const fs::path& dir, const std::string& private_key) {
  if (std::system("command -v wg >/dev/null 2>&1") != 0) return std::nullopt;
  const fs::path in = dir / "wg.key";
  { std::ofstream(in) << private_key << '\n'; }
  std::unique_ptr<FILE, decltype(&pclose)> pipe(
      ::popen(("wg pubkey < " + in.string()).c_str(), "r"), pclose);
  std::string out;
  std::array<char, 128> buffer{};
  while (pipe && std::fgets(buffer.data(), buffer.size(), pipe.get())) out += buffer.data();
  fs::remove(in);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string json_member(const std::string& json, const char* name) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember(name) || !doc[name].IsString())
    return {};
  return doc[name].GetString();
}

class FormMesh : public form_test::FormHome {
 protected:
  void SetUp() override {
    FormHome::SetUp();
    key_ = import_key(kKey, "key");
    mesh_ = home_ / ".config" / "formation" / "mesh";
    if (const char* path = std::getenv("PATH")) path_ = path;
  }
  void TearDown() override {
    ::setenv("PATH", path_.c_str(), 1);
    FormHome::TearDown();
  }
  Outcome run_at(const std::string& url, std::vector<std::string> args) {
    args.insert(args.begin(), {"--api", url, "--key", key_});
    return form_run(args);
  }
  Outcome run_at(const ScriptedServer& server, std::vector<std::string> args) {
    return run_at(server.url(), std::move(args));
  }
  // Joins as formdev0 and returns the config's text.
  std::string join() {
    ScriptedServer server({{201, kJoinAnswer}});
    auto joined = run_at(server, {"mesh", "join"});
    EXPECT_EQ(joined.code, 0) << joined.err;
    return read_text(mesh_ / "formdev0.conf");
  }
  // A wg-quick on PATH that records its arguments and its WG_I_PREFER... variable.
  fs::path fake_wg_quick(int exit_code = 0) {
    const fs::path bin = home_ / "bin";
    fs::create_directories(bin);
    const fs::path script = bin / "wg-quick";
    std::ofstream(script)
        << "#!/bin/sh\necho \"$@ $WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD\" >> "
        << (home_ / "wg-quick.log").string() << "\necho 'wg-quick says hi'\nexit " << exit_code
        << "\n";
    fs::permissions(script, fs::perms::owner_all);
    ::setenv("PATH", (bin.string() + ":/usr/bin:/bin").c_str(), 1);
    return home_ / "wg-quick.log";
  }
  std::string key_;
  fs::path mesh_;
  std::string path_;
};

TEST_F(FormMesh, GroupListsItsVerbsAndEveryVerbHasHelp) {
  auto group = form_run({"mesh", "--help"});
  EXPECT_EQ(group.code, 0);
  for (const char* verb : {"join", "up", "down", "peers", "leave"}) {
    EXPECT_TRUE(has(group.out, std::string("mesh ") + verb)) << verb << "\n" << group.out;
    auto help = form_run({"mesh", verb, "--help"});
    EXPECT_EQ(help.code, 0) << verb;
    EXPECT_TRUE(has(help.out, std::string("Usage: form mesh ") + verb)) << help.out;
  }
  EXPECT_TRUE(has(form_run({"mesh", "join", "--help"}).out, "/v1/mesh/join"));
  EXPECT_TRUE(has(form_run({"mesh", "peers", "--help"}).out, "/v1/mesh/peers"));
}

TEST_F(FormMesh, BadInputIsRefusedBeforeAnyRequest) {
  struct Case {
    std::vector<std::string> args;
    const char* says;
  };
  const std::vector<Case> cases = {
      {{"mesh", "join", "--endpoint", "203.0.113.5"}, "invalid --endpoint '203.0.113.5'"},
      {{"mesh", "join", "--endpoint", "203.0.113.5:0"}, "IP:PORT"},
      {{"mesh", "join", "--endpoint", "203.0.113.5:65536"}, "IP:PORT"},
      {{"mesh", "join", "--endpoint", "example.org:51820"}, "IP:PORT"},
      {{"mesh", "join", "--endpoint", "1.2.3.4:5", "--endpoint", "::1:5"}, "'::1:5'"},
      {{"mesh", "join", "--interface", "a-very-long-interface"}, "invalid --interface"},
      {{"mesh", "join", "--interface", "bad/name"}, "invalid --interface"},
      {{"mesh", "join", "--config", "/tmp/wg.txt"}, "INTERFACE.conf"},
      {{"mesh", "join", "--config", "/tmp/wg0.conf", "--interface", "wg1"}, "not 'wg1'"},
      {{"mesh", "up", "--interface", ""}, "invalid --interface"},
      {{"mesh", "up"}, "form mesh join"},
      {{"mesh", "leave"}, "form mesh join"},
      {{"mesh", "peers", "extra"}, "takes no arguments"},
  };
  for (auto c : cases) {
    c.args.insert(c.args.begin(), {"--api", kNowhere});
    auto r = form_run(c.args);
    EXPECT_EQ(r.code, 2) << c.args.back() << ": " << r.err;
    EXPECT_TRUE(has(r.err, c.says)) << r.err;
  }
  EXPECT_FALSE(fs::exists(mesh_));
}

TEST_F(FormMesh, JoinSendsOnlyThePublicKeyAndWritesAPrivateConfig) {
  ScriptedServer server({{201, kJoinAnswer}});
  auto joined = run_at(server, {"mesh", "join", "--name", "laptop", "--endpoint",
                                "203.0.113.5:51820", "--endpoint", "[2001:db8::5]:51820"});
  ASSERT_EQ(joined.code, 0) << joined.err;

  ASSERT_EQ(server.requests().size(), 1u);
  const std::string request = server.requests()[0];
  EXPECT_TRUE(request.starts_with("POST /v1/mesh/join HTTP/1.1")) << request;
  EXPECT_TRUE(has(request, "X-Formation-Signature: 0x")) << request;
  rapidjson::Document body;
  body.Parse(request_body(request).c_str());
  ASSERT_FALSE(body.HasParseError()) << request_body(request);
  EXPECT_STREQ(body["kind"].GetString(), "device");
  const std::string sent_key = body["public_key"].GetString();
  EXPECT_EQ(sent_key.size(), 44u);
  ASSERT_TRUE(body["endpoints"].IsArray());
  ASSERT_EQ(body["endpoints"].Size(), 2u);
  EXPECT_STREQ(body["endpoints"][0].GetString(), "203.0.113.5:51820");
  EXPECT_STREQ(body["endpoints"][1].GetString(), "[2001:db8::5]:51820");
  EXPECT_FALSE(body.HasMember("name"));  // not a field of the API: a local label

  const fs::path config_path = mesh_ / "formdev0.conf";
  ASSERT_TRUE(fs::exists(config_path));
  EXPECT_EQ(mode_of(config_path), 0600u);
  EXPECT_EQ(mode_of(mesh_), 0700u);
  const std::string config = read_text(config_path);
  const std::string private_key = private_key_of(config);
  ASSERT_EQ(private_key.size(), 44u) << config;
  EXPECT_NE(private_key, sent_key);
  EXPECT_EQ(public_key_of(private_key), sent_key);
  if (auto wg = wg_pubkey(home_, private_key)) {
    EXPECT_EQ(*wg, sent_key);
  }

  EXPECT_TRUE(has(config, "[Interface]\nPrivateKey = " + private_key +
                              "\nAddress = 10.42.64.7/16\nListenPort = 51820\n"))
      << config;
  EXPECT_TRUE(has(config, "[Peer]\nPublicKey = " + kNodeKey +
                              "\nAllowedIPs = 10.42.0.1/32\nEndpoint = 198.51.100.2:51820\n"
                              "PersistentKeepalive = 25\n"))
      << config;
  EXPECT_TRUE(
      has(config, "[Peer]\nPublicKey = " + kInstanceKey + "\nAllowedIPs = 10.42.128.9/32\n"))
      << config;
  EXPECT_FALSE(has(config.substr(config.find(kInstanceKey)), "Endpoint")) << config;
  EXPECT_TRUE(has(config, "laptop")) << config;

  // The private key is nowhere but in the config file.
  EXPECT_FALSE(has(joined.out, private_key));
  EXPECT_FALSE(has(joined.err, private_key));
  EXPECT_FALSE(has(request, private_key));
  const fs::path state = mesh_ / "formdev0.json";
  EXPECT_EQ(mode_of(state), 0600u);
  EXPECT_EQ(json_member(read_text(state), "peer_id"), "dev-1");
  EXPECT_FALSE(has(read_text(state), private_key));

  EXPECT_TRUE(has(joined.out, "10.42.64.7/16")) << joined.out;
  EXPECT_TRUE(has(joined.out, "peers      2")) << joined.out;
  EXPECT_TRUE(has(joined.out, config_path.string())) << joined.out;
  EXPECT_TRUE(has(joined.out, "form mesh up")) << joined.out;
}

TEST_F(FormMesh, JoinWithoutEndpointsAndAsJson) {
  ScriptedServer server({{201, kJoinAnswer}});
  auto joined = run_at(
      server, {"-o", "json", "mesh", "join", "--config", (home_ / "wg" / "mesh1.conf").string()});
  ASSERT_EQ(joined.code, 0) << joined.err;
  EXPECT_EQ(joined.out, kJoinAnswer + "\n");
  rapidjson::Document doc;
  doc.Parse(joined.out.c_str());
  EXPECT_FALSE(doc.HasParseError());
  EXPECT_FALSE(has(request_body(server.requests()[0]), "endpoints"));

  const std::string config = read_text(home_ / "wg" / "mesh1.conf");
  EXPECT_FALSE(has(config, "ListenPort")) << config;
  EXPECT_FALSE(has(joined.out, private_key_of(config)));
  EXPECT_EQ(json_member(read_text(home_ / "wg" / "mesh1.json"), "interface"), "mesh1");
}

TEST_F(FormMesh, JoinTwiceIsRefusedUntilLeave) {
  join();
  auto again = form_run({"--api", kNowhere, "mesh", "join"});
  EXPECT_EQ(again.code, 2) << again.err;
  EXPECT_TRUE(has(again.err, "already joined")) << again.err;
  EXPECT_TRUE(has(again.err, "form mesh leave")) << again.err;
}

TEST_F(FormMesh, AnAnswerThatWouldInjectIntoTheConfigIsRefusedAndUndone) {
  const std::string evil =
      R"({"config":)" +
      config_json(R"({"peer_id":"x","public_key":")" + kNodeKey +
                  R"(","allowed_ips":["10.42.0.1/32\nPostUp = touch /tmp/pwned"]})") +
      "}";
  ScriptedServer server({{201, evil}, {204, ""}});
  auto joined = run_at(server, {"mesh", "join"});
  EXPECT_EQ(joined.code, 1);
  EXPECT_TRUE(has(joined.err, "unexpected answer")) << joined.err;
  EXPECT_TRUE(has(joined.err, "undone")) << joined.err;
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_TRUE(requests[1].starts_with("POST /v1/mesh/leave ")) << requests[1];
  EXPECT_EQ(request_body(requests[1]), R"({"peer_id":"dev-1"})");
  EXPECT_FALSE(fs::exists(mesh_ / "formdev0.conf"));
  EXPECT_FALSE(fs::exists(mesh_ / "formdev0.json"));
}

TEST_F(FormMesh, JoinErrorsCarryHints) {
  ScriptedServer server(
      {{409, R"({"error":{"code":"conflict","message":"range full","request_id":"r1"}})"}});
  auto joined = run_at(server, {"mesh", "join"});
  EXPECT_EQ(joined.code, 1);
  EXPECT_TRUE(has(joined.err, "range full")) << joined.err;
  EXPECT_TRUE(has(joined.err, "hint: ")) << joined.err;
  EXPECT_FALSE(fs::exists(mesh_ / "formdev0.conf"));
}

TEST_F(FormMesh, PeersPrintsRowsAndJson) {
  ScriptedServer server({{200, kPeersAnswer}});
  auto peers = run_at(server, {"mesh", "peers"});
  ASSERT_EQ(peers.code, 0) << peers.err;
  EXPECT_TRUE(server.requests()[0].starts_with("GET /v1/mesh/peers HTTP/1.1"))
      << server.requests()[0];
  EXPECT_TRUE(has(server.requests()[0], "X-Formation-Signature: 0x"));
  EXPECT_TRUE(has(peers.out, "ID      KIND      ADDRESS      ENDPOINTS          NODE    INSTANCE"))
      << peers.out;
  EXPECT_TRUE(has(peers.out, "dev-1   device    10.42.64.7   203.0.113.5:51820  -       -"))
      << peers.out;
  EXPECT_TRUE(has(peers.out, "inst-9  instance  10.42.128.9  -                  0x6a1f  i-9"))
      << peers.out;

  ScriptedServer json({{200, kPeersAnswer}});
  auto as_json = run_at(json, {"--output", "json", "mesh", "peers"});
  ASSERT_EQ(as_json.code, 0) << as_json.err;
  rapidjson::Document doc;
  doc.Parse(as_json.out.c_str());
  ASSERT_FALSE(doc.HasParseError()) << as_json.out;
  EXPECT_EQ(doc["peers"].Size(), 2u);
}

TEST_F(FormMesh, LeavePostsThePeerIdAndRemovesTheFiles) {
  join();
  ScriptedServer server({{204, ""}});
  auto left = run_at(server, {"mesh", "leave"});
  ASSERT_EQ(left.code, 0) << left.err;
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_TRUE(server.requests()[0].starts_with("POST /v1/mesh/leave HTTP/1.1"))
      << server.requests()[0];
  EXPECT_TRUE(has(server.requests()[0], "X-Formation-Signature: 0x"));
  EXPECT_EQ(request_body(server.requests()[0]), R"({"peer_id":"dev-1"})");
  EXPECT_TRUE(has(left.out, "dev-1")) << left.out;
  EXPECT_FALSE(fs::exists(mesh_ / "formdev0.conf"));
  EXPECT_FALSE(fs::exists(mesh_ / "formdev0.json"));
}

TEST_F(FormMesh, LeaveKeepsTheFilesWhenTheApiRefuses) {
  join();
  ScriptedServer server(
      {{404, R"({"error":{"code":"not_found","message":"no such peer","request_id":"r1"}})"}});
  auto left = run_at(server, {"mesh", "leave"});
  EXPECT_EQ(left.code, 1);
  EXPECT_TRUE(has(left.err, "form mesh peers")) << left.err;
  EXPECT_TRUE(fs::exists(mesh_ / "formdev0.conf"));
}

TEST_F(FormMesh, UpWithoutWgQuickSaysWhatToInstall) {
  join();
  ::setenv("PATH", (home_ / "empty").c_str(), 1);
  auto up = form_run({"--api", kNowhere, "mesh", "up"});
  EXPECT_EQ(up.code, 1) << up.err;
  EXPECT_TRUE(has(up.err, "wg-quick is not installed")) << up.err;
  EXPECT_TRUE(has(up.err, "apt-get install wireguard-tools wireguard-go")) << up.err;
}

TEST_F(FormMesh, UpRefreshesThePeersKeepsTheKeyAndRunsWgQuick) {
  const std::string before = join();
  const fs::path log = fake_wg_quick();
  const std::string fresh = config_json(R"({"peer_id":"0x7b2e","public_key":")" + kOtherKey +
                                        R"(","allowed_ips":["10.42.0.2/32"],)"
                                        R"("endpoint":"198.51.100.3:51820"})");
  ScriptedServer server({{200, fresh}});
  auto up = run_at(server, {"mesh", "up"});
  ASSERT_EQ(up.code, 0) << up.err;
  EXPECT_TRUE(server.requests()[0].starts_with("GET /v1/mesh/peers/dev-1/config HTTP/1.1"))
      << server.requests()[0];
  const fs::path config_path = mesh_ / "formdev0.conf";
  const std::string after = read_text(config_path);
  EXPECT_EQ(private_key_of(after), private_key_of(before));
  EXPECT_TRUE(has(after, "Address = 10.42.64.7/16")) << after;
  EXPECT_TRUE(has(after, "PublicKey = " + kOtherKey + "\nAllowedIPs = 10.42.0.2/32\n")) << after;
  EXPECT_FALSE(has(after, kNodeKey)) << after;
  EXPECT_EQ(mode_of(config_path), 0600u);
  EXPECT_EQ(read_text(log), "up " + config_path.string() + " 1\n");
  EXPECT_FALSE(has(up.out, "wg-quick says hi")) << up.out;  // its output is not form's data
  EXPECT_TRUE(has(up.out, "formdev0 is up")) << up.out;

  // Without the API: a warning, and the file as it is.
  auto offline = run_at(kNowhere, {"mesh", "up"});
  ASSERT_EQ(offline.code, 0) << offline.err;
  EXPECT_TRUE(has(offline.err, "warning: ")) << offline.err;
  EXPECT_EQ(read_text(config_path), after);

  auto down = run_at(kNowhere, {"-o", "json", "mesh", "down"});
  ASSERT_EQ(down.code, 0) << down.err;
  EXPECT_EQ(down.out, R"({"interface":"formdev0","address":"10.42.64.7/16","config":")" +
                          config_path.string() + R"(","up":false})" + "\n");
  EXPECT_TRUE(has(read_text(log), "down " + config_path.string() + " 1\n")) << read_text(log);
}

TEST_F(FormMesh, AFailingWgQuickFailsTheCommand) {
  join();
  fake_wg_quick(1);
  auto down = run_at(kNowhere, {"mesh", "down"});
  EXPECT_EQ(down.code, 1);
  EXPECT_TRUE(has(down.err, "wg-quick down")) << down.err;
  EXPECT_TRUE(has(down.err, "failed (exit code 1)")) << down.err;
}

}  // namespace

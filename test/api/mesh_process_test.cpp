// The mesh routes (docs/mesh.md "API") against formationd as a process with state-sqlite
// and the mesh-wireguard plugin told not to touch any interface: joins and what a refused
// join leaves (nothing), who sees whom, leaves, endpoint reports, and instance joins with
// one-time join tokens minted against the daemon's own secret.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <rapidjson/document.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "build_context.hpp"
#include "formation/kinds/state_store.hpp"
#include "mesh/join_token.hpp"
#include "signed_daemon.hpp"

namespace formation::testing {
namespace {

namespace mesh = formation::host::mesh;

// Any 32 bytes are a Curve25519 public key as far as the mesh is concerned.
std::string random_public_key() {
  std::array<unsigned char, 32> raw{};
  for (auto& x : raw) x = static_cast<unsigned char>(rng()());
  std::array<unsigned char, 64> out{};
  const int n = EVP_EncodeBlock(out.data(), raw.data(), static_cast<int>(raw.size()));
  return {reinterpret_cast<const char*>(out.data()), static_cast<std::size_t>(n)};
}

// The base64 bodies of a multipart user-data, decoded and joined (the builder's MIME parts).
std::string decoded_parts(const std::string& mime) {
  std::string out;
  std::size_t at = 0;
  while ((at = mime.find("Content-Transfer-Encoding: base64", at)) != std::string::npos) {
    const auto start = mime.find("\n\n", at);
    const auto end = mime.find("\n--", start);
    if (start == std::string::npos || end == std::string::npos) break;
    std::string b64;
    for (char c : mime.substr(start + 2, end - start - 2)) {
      if (c != '\n' && c != '\r') b64 += c;
    }
    std::string bytes(b64.size(), '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                                  reinterpret_cast<const unsigned char*>(b64.data()),
                                  static_cast<int>(b64.size()));
    if (n > 0) out += bytes.substr(0, static_cast<std::size_t>(n));
    at = end;
  }
  return out;
}

bool in_range(const std::string& address, const std::string& network, int prefix) {
  in_addr a{}, n{};
  if (::inet_pton(AF_INET, address.c_str(), &a) != 1) return false;
  if (::inet_pton(AF_INET, network.c_str(), &n) != 1) return false;
  const std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
  return (ntohl(a.s_addr) & mask) == (ntohl(n.s_addr) & mask);
}

class MeshProcess : public SignedDaemonTest {
 protected:
  static void SetUpTestSuite() { start(false); }

  // With a VM plugin (libvirt's test driver) and an image builder, for instances.
  static void start(bool with_instances) {
    make_config(
        with_instances
            ? "\"node\": {\"capacity\": {\"vcpus\": 4, \"memory_mb\": 4096, \"disk_gb\": 50}}"
            : "");
    config_->add_plugin_file(
        "mesh-wireguard.json",
        "{\"plugin\": \"mesh-wireguard\", \"parameters\": {\"manage_interface\": false}}\n");
    if (with_instances) add_instance_plugins();
    start_daemon();
  }

  static Reply anonymous(const std::string& target, const std::string& body) {
    return send("POST", target, body, {{"Content-Type", "application/json"}});
  }

  static Reply join_device(const Key& k, const std::string& public_key,
                           const std::string& extra = "") {
    return call(k, "POST", "/v1/mesh/join",
                R"({"public_key": ")" + public_key + "\"" + extra + "}");
  }

  // The peer ids `k` sees.
  static std::set<std::string> visible(const Key& k) {
    std::set<std::string> ids;
    auto r = call(k, "GET", "/v1/mesh/peers?limit=100");
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) return ids;
    for (const auto& p : (*r.json)["peers"].GetArray()) ids.insert(p["id"].GetString());
    return ids;
  }

  // An instance of `owner` with a mesh address reserved the way creation reserves it.
  static std::pair<std::string, std::string> put_instance_with_address(const std::string& owner) {
    auto tx = store_->store->begin();
    EXPECT_TRUE(tx.is_ok()) << tx.status().to_string();
    const std::string address =
        "10.42." + std::to_string(128 + rng()() % 120) + "." + std::to_string(2 + rng()() % 250);
    MeshPeer reservation;
    reservation.id = random_hex(8);
    reservation.kind = MeshPeerKind::instance;
    reservation.owner = owner;
    reservation.address = address;
    auto reserved = (*tx)->mesh_peers().create(reservation);
    EXPECT_TRUE(reserved.is_ok()) << reserved.status().to_string();
    Instance i;
    i.id = random_hex(8);
    i.name = "vm";
    i.owner = owner;
    i.build_id = std::string(64, '0');
    i.node_id = "0x" + std::string(40, 'a');
    i.vcpus = 1;
    i.memory_mb = 512;
    i.disk_gb = 5;
    i.formnet_ip = address;
    auto created = (*tx)->instances().create(i);
    EXPECT_TRUE(created.is_ok()) << created.status().to_string();
    EXPECT_TRUE((*tx)->commit().is_ok());
    return {i.id, address};
  }

  static mesh::JoinTokens daemon_tokens() {
    auto tokens = mesh::JoinTokens::open(config_->dir() / "data" / "mesh" / "join-token.key");
    EXPECT_TRUE(tokens.is_ok()) << tokens.status().to_string();
    return tokens.is_ok() ? std::move(tokens).value() : mesh::JoinTokens(std::string(32, 'x'));
  }
};

TEST_F(MeshProcess, DeviceJoinGetsADeviceAddressAndAConfig) {
  Key me = random_key();
  const std::string key = random_public_key();
  auto r = join_device(me, key, R"(, "endpoints": ["203.0.113.5:51820"])");
  ASSERT_EQ(r.status, 201) << r.body;
  const auto& peer = (*r.json)["peer"];
  const auto& config = (*r.json)["config"];
  const std::string address = peer["address"].GetString();
  EXPECT_TRUE(in_range(address, "10.42.64.0", 18)) << address;
  EXPECT_EQ(std::string(peer["kind"].GetString()), "device");
  EXPECT_EQ(std::string(peer["owner"].GetString()), me.address);
  EXPECT_EQ(std::string(peer["public_key"].GetString()), key);
  EXPECT_TRUE(peer["instance_id"].IsNull());
  ASSERT_EQ(peer["endpoints"].Size(), 1U);
  EXPECT_EQ(std::string(peer["endpoints"][0].GetString()), "203.0.113.5:51820");
  for (const char* field : {"id", "node_id", "created_at", "updated_at"}) {
    EXPECT_TRUE(peer.HasMember(field) && peer[field].IsString()) << field;
  }
  EXPECT_TRUE(peer["version"].IsInt64());
  EXPECT_EQ(std::string(config["peer_id"].GetString()), std::string(peer["id"].GetString()));
  EXPECT_EQ(std::string(config["address"].GetString()), address);
  EXPECT_EQ(std::string(config["cidr"].GetString()), "10.42.0.0/16");
  EXPECT_TRUE(config["peers"].IsArray());

  // The same key again is refused, and nothing more is allocated.
  auto again = join_device(me, key);
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(again.code, "conflict");
  EXPECT_EQ(visible(me).size(), 1U);

  auto reread =
      call(me, "GET", "/v1/mesh/peers/" + std::string(peer["id"].GetString()) + "/config");
  ASSERT_EQ(reread.status, 200) << reread.body;
  EXPECT_EQ(reread.str("address"), address);
}

TEST_F(MeshProcess, RefusedJoinsAnswer400AndAllocateNothing) {
  Key me = random_key();
  const std::string key = random_public_key();
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"public_key": "abc"})", "public_key"},
      {R"({"public_key": ")" + std::string(43, '!') + R"(="})", "public_key"},
      {R"({"public_key": ")" + key + R"(", "endpoints": ["nope"]})", "endpoints[0]"},
      {R"({"public_key": ")" + key + R"(", "endpoints": ["203.0.113.5:70000"]})", "endpoints[0]"},
      {R"({"public_key": ")" + key + R"(", "colour": "blue"})", "colour"},
      {R"({"public_key": ")" + key + R"(", "kind": "node"})", "kind"},
      {R"({"public_key": ")" + key + R"(", "instance_id": "ab"})", "instance_id"},
      {R"({"kind": "instance", "public_key": ")" + key + R"("})", "instance_id"},
      {"not json", "JSON"},
  };
  for (const auto& [body, field] : bad) {
    auto r = call(me, "POST", "/v1/mesh/join", body);
    EXPECT_EQ(r.status, 400) << body << ": " << r.body;
    EXPECT_EQ(r.code, "invalid") << body;
    EXPECT_NE(r.message.find(field), std::string::npos) << body << ": " << r.message;
  }
  EXPECT_TRUE(visible(me).empty());
  // The key was never taken: it joins now.
  EXPECT_EQ(join_device(me, key).status, 201);
}

TEST_F(MeshProcess, TenantsSeeOnlyTheirOwnPeersAndAdminsSeeAll) {
  Key a = random_key(), b = random_key();
  auto ja = join_device(a, random_public_key());
  auto jb = join_device(b, random_public_key());
  ASSERT_EQ(ja.status, 201) << ja.body;
  ASSERT_EQ(jb.status, 201) << jb.body;
  const std::string pa = (*ja.json)["peer"]["id"].GetString();
  const std::string pb = (*jb.json)["peer"]["id"].GetString();
  EXPECT_EQ(visible(a).count(pb), 0U);
  EXPECT_EQ(visible(b).count(pa), 0U);
  EXPECT_EQ(visible(a).count(pa), 1U);
  // A's device is not among B's device's peers either.
  for (const auto& p : (*jb.json)["config"]["peers"].GetArray()) {
    EXPECT_NE(std::string(p["peer_id"].GetString()), pa);
  }
  EXPECT_EQ(call(b, "GET", "/v1/mesh/peers/" + pa + "/config").status, 404);
  EXPECT_EQ(call(b, "POST", "/v1/mesh/leave", R"({"peer_id": ")" + pa + R"("})").status, 404);
  EXPECT_EQ(call(b, "POST", "/v1/mesh/endpoints",
                 R"({"peer_id": ")" + pa + R"(", "endpoints": ["203.0.113.9:1"]})")
                .status,
            404);
  auto all = visible(*admin_);
  EXPECT_EQ(all.count(pa), 1U);
  EXPECT_EQ(all.count(pb), 1U);
  EXPECT_EQ(call(*admin_, "GET", "/v1/mesh/peers/" + pb + "/config").status, 200);
}

TEST_F(MeshProcess, PeersListPaginates) {
  Key me = random_key();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(join_device(me, random_public_key()).status, 201);
  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto r =
        call(me, "GET", "/v1/mesh/peers?limit=2" + (token.empty() ? "" : "&page_token=" + token));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_LE((*r.json)["peers"].Size(), 2U);
    for (const auto& p : (*r.json)["peers"].GetArray()) seen.insert(p["id"].GetString());
    token = r.str("next_page_token");
    ASSERT_LT(++pages, 5);
  } while (!token.empty());
  EXPECT_EQ(seen.size(), 3U);
  EXPECT_EQ(call(me, "GET", "/v1/mesh/peers?colour=1").status, 400);
}

TEST_F(MeshProcess, LeaveFreesThePeerAndItsKey) {
  Key me = random_key();
  const std::string key = random_public_key();
  auto joined = join_device(me, key);
  ASSERT_EQ(joined.status, 201) << joined.body;
  const std::string peer = (*joined.json)["peer"]["id"].GetString();
  EXPECT_EQ(call(me, "POST", "/v1/mesh/leave", R"({"peer_id": ")" + peer + R"(", "x": 1})").status,
            400);
  auto left = call(me, "POST", "/v1/mesh/leave", R"({"peer_id": ")" + peer + R"("})");
  EXPECT_EQ(left.status, 204) << left.body;
  EXPECT_TRUE(visible(me).empty());
  EXPECT_EQ(call(me, "GET", "/v1/mesh/peers/" + peer + "/config").status, 404);
  EXPECT_EQ(call(me, "POST", "/v1/mesh/leave", R"({"peer_id": ")" + peer + R"("})").status, 404);
  EXPECT_EQ(join_device(me, key).status, 201);
}

TEST_F(MeshProcess, EndpointReportsFromAPrivateSourceAreStoredAsGiven) {
  Key me = random_key();
  auto joined = join_device(me, random_public_key());
  ASSERT_EQ(joined.status, 201) << joined.body;
  const std::string peer = (*joined.json)["peer"]["id"].GetString();
  // This test's requests come from 127.0.0.1: the same host, so nothing is rewritten.
  auto r = call(me, "POST", "/v1/mesh/endpoints",
                R"({"peer_id": ")" + peer +
                    R"(", "endpoints": ["192.168.1.20:51820", "203.0.113.5:51820"]})");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ((*r.json)["endpoints"].Size(), 2U);
  EXPECT_EQ(std::string((*r.json)["endpoints"][0].GetString()), "192.168.1.20:51820");
  EXPECT_EQ(std::string((*r.json)["endpoints"][1].GetString()), "203.0.113.5:51820");
  auto bad = call(me, "POST", "/v1/mesh/endpoints",
                  R"({"peer_id": ")" + peer + R"(", "endpoints": ["192.168.1.20"]})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.message.find("endpoints[0]"), std::string::npos) << bad.message;
}

TEST_F(MeshProcess, InstanceJoinsWithAOneTimeToken) {
  Key owner = random_key();
  auto [instance, address] = put_instance_with_address(owner.address);
  const auto tokens = daemon_tokens();
  const std::string token = tokens.mint(instance, address);

  std::string forged = token;
  forged.back() = forged.back() == 'a' ? 'b' : 'a';
  const std::string key = random_public_key();
  for (const auto& bad : std::vector<std::string>{
           forged, mesh::JoinTokens(std::string(32, 'o')).mint(instance, address),
           tokens.mint(instance, "10.42.200.200").substr(0, 60), std::string("x")}) {
    auto r = anonymous("/v1/mesh/instance-join",
                       R"({"join_token": ")" + bad + R"(", "public_key": ")" + key + R"("})");
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
    EXPECT_NE(r.message.find("join_token"), std::string::npos) << r.message;
  }
  // A good token naming an address the instance does not hold is refused too.
  auto elsewhere = anonymous("/v1/mesh/instance-join", R"({"join_token": ")" +
                                                           tokens.mint(instance, "10.42.250.1") +
                                                           R"(", "public_key": ")" + key + R"("})");
  EXPECT_EQ(elsewhere.status, 409) << elsewhere.body;
  EXPECT_EQ(anonymous("/v1/mesh/instance-join",
                      R"({"join_token": ")" + token + R"(", "public_key": "short"})")
                .status,
            400);

  auto joined = anonymous("/v1/mesh/instance-join",
                          R"({"join_token": ")" + token + R"(", "public_key": ")" + key + R"("})");
  ASSERT_EQ(joined.status, 201) << joined.body;
  const auto& peer = (*joined.json)["peer"];
  EXPECT_EQ(std::string(peer["kind"].GetString()), "instance");
  EXPECT_EQ(std::string(peer["address"].GetString()), address);
  EXPECT_EQ(std::string(peer["owner"].GetString()), owner.address);
  ASSERT_TRUE(peer["instance_id"].IsString());
  EXPECT_EQ(std::string(peer["instance_id"].GetString()), instance);
  EXPECT_EQ(std::string((*joined.json)["config"]["address"].GetString()), address);

  // One join per token.
  auto again =
      anonymous("/v1/mesh/instance-join", R"({"join_token": ")" + token + R"(", "public_key": ")" +
                                              random_public_key() + R"("})");
  EXPECT_EQ(again.status, 409) << again.body;
  // The owner sees its instance; an instance's peer does not leave through the API.
  EXPECT_EQ(visible(owner).count(peer["id"].GetString()), 1U);
  EXPECT_EQ(call(owner, "POST", "/v1/mesh/leave",
                 R"({"peer_id": ")" + std::string(peer["id"].GetString()) + R"("})")
                .status,
            409);
}

TEST_F(MeshProcess, SignedInstanceJoinNeedsTheInstance) {
  Key owner = random_key(), stranger = random_key();
  auto [instance, address] = put_instance_with_address(owner.address);
  const std::string body =
      R"({"kind": "instance", "instance_id": ")" + instance + R"(", "public_key": ")";
  auto refused = call(stranger, "POST", "/v1/mesh/join", body + random_public_key() + "\"}");
  EXPECT_EQ(refused.status, 404) << refused.body;
  EXPECT_EQ(call(owner, "POST", "/v1/mesh/join",
                 R"({"kind": "instance", "instance_id": "ffffffffffffffff", "public_key": ")" +
                     random_public_key() + "\"}")
                .status,
            404);
  auto joined = call(owner, "POST", "/v1/mesh/join", body + random_public_key() + "\"}");
  ASSERT_EQ(joined.status, 201) << joined.body;
  EXPECT_EQ(std::string((*joined.json)["peer"]["address"].GetString()), address);
  auto twice = call(owner, "POST", "/v1/mesh/join", body + random_public_key() + "\"}");
  EXPECT_EQ(twice.status, 409) << twice.body;
  // Its token is spent as well: the reservation is filled.
  auto token = anonymous("/v1/mesh/instance-join",
                         R"({"join_token": ")" + daemon_tokens().mint(instance, address) +
                             R"(", "public_key": ")" + random_public_key() + R"("})");
  EXPECT_EQ(token.status, 409) << token.body;
}

TEST_F(MeshProcess, TheNodeJoinedAtStart) {
  auto nodes = visible(*admin_);
  auto r = call(*admin_, "GET", "/v1/mesh/peers?limit=100");
  ASSERT_EQ(r.status, 200);
  int node_peers = 0;
  for (const auto& p : (*r.json)["peers"].GetArray()) {
    if (std::string(p["kind"].GetString()) != "node") continue;
    ++node_peers;
    EXPECT_TRUE(in_range(p["address"].GetString(), "10.42.0.0", 20)) << p["address"].GetString();
    EXPECT_EQ(std::string(p["id"].GetString()), std::string(p["node_id"].GetString()));
  }
  EXPECT_EQ(node_peers, 1) << r.body;
}

// ---- instances: an address at creation, a seed with a join token, freed at deletion ------

class MeshInstances : public MeshProcess {
 protected:
  static void SetUpTestSuite() { start(true); }

  // A Built build of `k` (a minimal Formfile); its id.
  static Result<MeshPeer> row_at(const std::string& address) {
    auto tx = store_->store->begin();
    if (!tx.is_ok()) return tx.status();
    return (*tx)->mesh_peers().get_by_address(address);
  }

  static std::size_t instance_rows_of(const std::string& owner) {
    auto tx = store_->store->begin();
    if (!tx.is_ok()) return 0;
    MeshPeerFilter filter;
    filter.owner = owner;
    filter.kind = MeshPeerKind::instance;
    auto list = (*tx)->mesh_peers().list(filter, PageRequest{100, ""});
    return list.is_ok() ? list->items.size() : 0;
  }
};

TEST_F(MeshInstances, AnInstanceGetsAnAddressAJoinSeedAndFreesThemWhenDeleted) {
  Key me = random_key();
  const std::string build_id = build_image(me);
  ASSERT_FALSE(build_id.empty());
  auto created = call(me, "POST", "/v1/instances", R"({"build_id": ")" + build_id + R"("})");
  ASSERT_EQ(created.status, 202) << created.body;
  const auto& instance = (*created.json)["instance"];
  const std::string id = instance["id"].GetString();
  ASSERT_TRUE(instance["formnet_ip"].IsString()) << created.body;
  const std::string address = instance["formnet_ip"].GetString();
  EXPECT_TRUE(in_range(address, "10.42.128.0", 17)) << address;
  auto done = wait_operation(me, (*created.json)["operation"]["id"].GetString());
  EXPECT_EQ(done.str("state"), "succeeded") << done.body;

  // The reservation waits for the instance's first boot, whose seed carries the token.
  auto reservation = row_at(address);
  ASSERT_TRUE(reservation.is_ok()) << reservation.status().to_string();
  EXPECT_TRUE(reservation->public_key.empty());
  EXPECT_EQ(reservation->owner, me.address);
  const auto seed = config_->dir() / "data" / "instance-seeds" / (id + ".iso");
  EXPECT_TRUE(std::filesystem::exists(seed)) << seed;
  const auto user_data = config_->dir() / "user-data";
  const std::string extract =
      "isoinfo -R -i " + seed.string() + " -x /user-data > " + user_data.string();
  if (std::system("command -v isoinfo > /dev/null") == 0 && std::system(extract.c_str()) == 0) {
    std::ifstream in(user_data);
    const std::string text =
        decoded_parts({std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()});
    EXPECT_NE(text.find("/etc/formation/mesh.json"), std::string::npos) << text;
    EXPECT_NE(text.find(daemon_tokens().mint(id, address)), std::string::npos) << text;
    EXPECT_NE(text.find("/usr/local/sbin/formation-mesh-join"), std::string::npos) << text;
    EXPECT_NE(text.find("wg-quick up"), std::string::npos) << text;
  }

  auto joined = anonymous("/v1/mesh/instance-join",
                          R"({"join_token": ")" + daemon_tokens().mint(id, address) +
                              R"(", "public_key": ")" + random_public_key() + R"("})");
  ASSERT_EQ(joined.status, 201) << joined.body;
  EXPECT_EQ(std::string((*joined.json)["peer"]["instance_id"].GetString()), id);

  auto deleted = call(me, "DELETE", "/v1/instances/" + id);
  ASSERT_EQ(deleted.status, 202) << deleted.body;
  auto gone = wait_operation(me, (*deleted.json)["operation"]["id"].GetString());
  EXPECT_EQ(gone.str("state"), "succeeded") << gone.body;
  auto freed = row_at(address);
  EXPECT_EQ(freed.status().code(), StatusCode::not_found) << "address " << address << " kept";
  EXPECT_FALSE(std::filesystem::exists(seed));
  EXPECT_TRUE(visible(me).empty());
}

TEST_F(MeshInstances, ARefusedCreateKeepsNoAddress) {
  Key me = random_key();
  const std::string build_id = build_image(me);
  ASSERT_FALSE(build_id.empty());
  // Validation first: nothing is reserved for a request that is refused before.
  EXPECT_EQ(call(me, "POST", "/v1/instances",
                 R"({"build_id": ")" + build_id + R"(", "name": "Not A Label"})")
                .status,
            400);
  // Past validation, the node cannot fit it: the address reserved for it is freed.
  auto too_big =
      call(me, "POST", "/v1/instances", R"({"build_id": ")" + build_id + R"(", "vcpus": 64})");
  EXPECT_EQ(too_big.status, 409) << too_big.body;
  EXPECT_EQ(instance_rows_of(me.address), 0U);
}

}  // namespace
}  // namespace formation::testing

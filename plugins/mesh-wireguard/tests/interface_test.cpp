// The node's interface for real: wireguard-go (this kernel has no WireGuard module) in a
// network namespace of the test's own (the plugin's `netns` parameter), the store in
// state-sqlite, and `wg show` as the judge. Every namespace and process is removed by name
// and PID at the end. Skipped when ip, wg or wireguard-go is missing, or when not root.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "command.hpp"
#include "forwarding.hpp"
#include "keys.hpp"
#include "mesh_wireguard.hpp"
#include "support/fake_host_services.hpp"
#include "support/plugin_runtime.hpp"

namespace formation::mesh_wireguard {
namespace {

using namespace std::chrono_literals;

constexpr const char* kOwner = "0x1111111111111111111111111111111111111111";
constexpr const char* kOther = "0x2222222222222222222222222222222222222222";

std::string fresh_key() { return base64_encode(*public_key_of(*generate_private_key())); }

bool have(const std::string& tool) {
  auto found = CommandRunner().run({"sh", "-c", "command -v " + tool});
  return found.is_ok() && found->exit_code == 0;
}

class MeshInterfaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0 || !have("ip") || !have("wg") || !have("wireguard-go") || !have("nft")) {
      GTEST_SKIP() << "needs root, ip, wg, wireguard-go and nft";
    }
    static int counter = 0;
    const auto tag = std::to_string(::getpid()) + "-" + std::to_string(counter++);
    netns_ = "mesh-test-" + tag;
    // wireguard-go's UAPI socket (/var/run/wireguard/<if>.sock) is global: unique names.
    interface_ =
        ("mt" + std::to_string(::getpid() % 100000) + "x" + std::to_string(counter)).substr(0, 15);
    ASSERT_TRUE(CommandRunner().check({"ip", "netns", "add", netns_}).is_ok());
    ASSERT_TRUE(CommandRunner(netns_).check({"ip", "link", "set", "lo", "up"}).is_ok());
    runtime_.start_store(PLUGIN_BUILD_DIR, "state-sqlite", "{}");
  }

  void TearDown() override {
    if (netns_.empty()) return;
    if (mesh_ != nullptr) mesh_->stop();
    (void)CommandRunner().run({"ip", "netns", "del", netns_});
  }

  // start() alone touches no interface (formationd --list-routes starts plugins too); the
  // host's first apply() brings it up.
  MeshWireGuardPlugin& start_mesh() {
    auto& mesh = start_without_apply();
    auto st = mesh.apply();
    EXPECT_TRUE(st.is_ok()) << st.message();
    return mesh;
  }

  MeshWireGuardPlugin& start_without_apply() {
    mesh_ = &runtime_.make<MeshWireGuardPlugin>(
        "mesh-wireguard",
        R"({"backend": "userspace", "interface": ")" + interface_ + R"(", "netns": ")" + netns_ +
            R"(", "listen_port": 51999, "apply_interval_seconds": 3600,
                                    "advertise": ["192.0.2.1:51999"]})",
        settings_from);
    auto st = mesh_->start();
    EXPECT_TRUE(st.is_ok()) << st.message();
    return *mesh_;
  }

  std::string in_ns(const std::vector<std::string>& argv) {
    auto out = CommandRunner(netns_).check(argv);
    EXPECT_TRUE(out.is_ok()) << out.status().message();
    return out.is_ok() ? *out : "";
  }

  std::string ifindex() {
    const auto line = in_ns({"ip", "-o", "link", "show", "dev", interface_});
    return line.substr(0, line.find(':'));
  }

  std::set<std::string> running_keys() {
    std::set<std::string> keys;
    std::istringstream lines(in_ns({"wg", "show", interface_, "peers"}));
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) keys.insert(line);
    }
    return keys;
  }

  MeshPeer add(MeshPeerKind kind, const std::string& owner, const std::string& node_id,
               std::vector<std::string> endpoints = {}) {
    MeshPeerRequest r;
    r.kind = kind;
    r.owner = owner;
    r.node_id = node_id;
    r.public_key = fresh_key();
    r.endpoints = std::move(endpoints);
    if (kind == MeshPeerKind::instance) r.instance_id = "i-" + r.public_key.substr(0, 6);
    auto peer = mesh_->add_peer(r);
    EXPECT_TRUE(peer.is_ok()) << peer.status().message();
    return peer.is_ok() ? *peer : MeshPeer{};
  }

  // What the host does at start: the node's own row with the plugin's key.
  MeshPeer join_as_node() {
    auto local = mesh_->local_interface();
    MeshPeerRequest r;
    r.kind = MeshPeerKind::node;
    r.owner = "operator";
    r.node_id = "node-self";
    r.public_key = local->public_key;
    r.endpoints = local->endpoints;
    return *mesh_->add_peer(r);
  }

  formation::testing::TempDir dir_{"mesh-wireguard-if"};
  testing::PluginRuntime runtime_{dir_.path()};
  MeshWireGuardPlugin* mesh_ = nullptr;
  std::string netns_;
  std::string interface_;
};

TEST_F(MeshInterfaceTest, AppliesExactlyTheVisiblePeersAndNeverRecreates) {
  auto& mesh = start_mesh();
  const auto index = ifindex();
  ASSERT_FALSE(index.empty());
  EXPECT_EQ(in_ns({"wg", "show", interface_, "public-key"}),
            mesh.local_interface()->public_key + "\n");
  EXPECT_EQ(in_ns({"wg", "show", interface_, "listen-port"}), "51999\n");

  // Before the node has its row there is nothing to apply.
  EXPECT_TRUE(mesh.apply().is_ok());
  EXPECT_TRUE(running_keys().empty());

  const auto self = join_as_node();
  const auto other_node = add(MeshPeerKind::node, "operator", "node-b", {"192.0.2.2:51820"});
  const auto instance = add(MeshPeerKind::instance, kOwner, "node-self");
  const auto device = add(MeshPeerKind::device, kOwner, "");
  const auto stranger = add(MeshPeerKind::device, kOther, "");  // no instance here
  const auto elsewhere = add(MeshPeerKind::instance, kOther, "node-b");
  ASSERT_TRUE(mesh.allocate_address(MeshPeerKind::instance, kOwner).is_ok());  // reservation

  ASSERT_TRUE(mesh.apply().is_ok());
  EXPECT_EQ(running_keys(),
            (std::set<std::string>{other_node.public_key, instance.public_key, device.public_key}));
  const auto dump = in_ns({"wg", "show", interface_, "dump"});
  EXPECT_NE(dump.find("192.0.2.2:51820\t" + other_node.address + "/32"), std::string::npos) << dump;
  EXPECT_NE(in_ns({"ip", "-o", "-4", "addr", "show", "dev", interface_}).find(self.address + "/16"),
            std::string::npos);
  EXPECT_EQ(mesh.health().state, HealthState::ok);

  ASSERT_TRUE(mesh.remove_peer(device.id).is_ok());
  ASSERT_TRUE(mesh.apply().is_ok());
  EXPECT_EQ(running_keys(), (std::set<std::string>{other_node.public_key, instance.public_key}));
  EXPECT_EQ(ifindex(), index);  // changed in place, not torn down

  // An endpoint change is applied to that peer alone.
  ASSERT_TRUE(mesh.report_endpoints(other_node.id, {"192.0.2.3:51820"}, "").is_ok());
  ASSERT_TRUE(mesh.apply().is_ok());
  EXPECT_NE(in_ns({"wg", "show", interface_, "endpoints"}).find("192.0.2.3:51820"),
            std::string::npos);
  EXPECT_EQ(ifindex(), index);
  (void)stranger;
  (void)elsewhere;
}

// What the node's nftables table sends where: every key of the map `from_peer` and the chain
// it jumps to, and what each chain accepts.
struct Forwarding {
  std::map<std::string, std::string> jumps;              // address -> chain
  std::map<std::string, std::set<std::string>> accepts;  // chain -> destinations
  std::string table_handle;
};

std::set<std::string> split_list(const std::string& text) {
  std::set<std::string> out;
  std::istringstream items(text);
  for (std::string item; std::getline(items, item, ',');) {
    item.erase(0, item.find_first_not_of(" \t\n"));
    item.erase(item.find_last_not_of(" \t\n") + 1);
    if (!item.empty()) out.insert(item);
  }
  return out;
}

// "{ a, b }" after `marker` in `text`.
std::string braces_after(const std::string& text, const std::string& marker, std::size_t from = 0) {
  const auto at = text.find(marker, from);
  if (at == std::string::npos) return "";
  const auto open = text.find('{', at + marker.size());
  return text.substr(open + 1, text.find('}', open) - open - 1);
}

TEST_F(MeshInterfaceTest, ForwardsOnlyBetweenItsInstancesAndTheirOwnersDevices) {
  auto& mesh = start_mesh();
  join_as_node();
  add(MeshPeerKind::node, "operator", "node-b");
  const auto instance = add(MeshPeerKind::instance, kOwner, "node-self");
  const auto device = add(MeshPeerKind::device, kOwner, "");
  const auto stranger = add(MeshPeerKind::device, kOther, "");  // no instance here
  const auto other_instance = add(MeshPeerKind::instance, kOther, "node-b");
  ASSERT_TRUE(mesh.apply().is_ok());

  EXPECT_EQ(in_ns({"sysctl", "-n", "net/ipv4/conf/" + interface_ + "/forwarding"}), "1\n");
  const auto table = nft_table_name(interface_);
  auto forwarding = [&] {
    Forwarding out;
    const auto listed = in_ns({"nft", "-a", "list", "table", "inet", table});
    const auto handle = listed.find("# handle ");
    out.table_handle = listed.substr(handle, listed.find('\n', handle) - handle);
    for (const auto& element : split_list(braces_after(listed, "elements ="))) {
      const auto jump = element.find(" : jump ");
      out.jumps[element.substr(0, jump)] = element.substr(jump + 8);
    }
    for (std::size_t at = listed.find("\tchain "); at != std::string::npos;
         at = listed.find("\tchain ", at + 1)) {
      const auto name = listed.substr(at + 7, listed.find(' ', at + 7) - at - 7);
      const auto body_end = listed.find("\t}", at);
      const auto accept = listed.find("ip daddr ", at);
      if (name == "forward" || accept == std::string::npos || accept > body_end) continue;
      // nft prints one destination bare, several in braces.
      const auto list = listed.substr(accept + 9, listed.find(" accept", accept) - accept - 9);
      out.accepts[name] = split_list(list.front() == '{' ? list.substr(1, list.size() - 2) : list);
    }
    return out;
  };
  auto state = forwarding();
  ASSERT_EQ(state.jumps.size(), 2U) << "only the owner's instance and device";
  const auto from_device = state.jumps[device.address];
  const auto from_instance = state.jumps[instance.address];
  EXPECT_EQ(state.accepts[from_device], std::set<std::string>{instance.address});
  EXPECT_EQ(state.accepts[from_instance], std::set<std::string>{device.address});
  EXPECT_EQ(state.jumps.count(stranger.address), 0U);
  EXPECT_EQ(state.jumps.count(other_instance.address), 0U);
  // Transit from the mesh interface that no chain accepted is dropped, on that interface only.
  const auto rules = in_ns({"nft", "list", "chain", "inet", table, "forward"});
  EXPECT_NE(rules.find("iifname \"" + interface_ + "\" drop"), std::string::npos) << rules;

  // A second device of the owner is let through too, changed in place (same table).
  const auto laptop = add(MeshPeerKind::device, kOwner, "");
  ASSERT_TRUE(mesh.apply().is_ok());
  auto after = forwarding();
  EXPECT_EQ(after.table_handle, state.table_handle);
  EXPECT_EQ(after.jumps.size(), 3U);
  EXPECT_EQ(after.accepts[after.jumps[laptop.address]], std::set<std::string>{instance.address});
  EXPECT_EQ(after.accepts[after.jumps[instance.address]],
            (std::set<std::string>{device.address, laptop.address}));

  // The owner's devices leave: nothing of the owner is left in the table.
  ASSERT_TRUE(mesh.remove_peer(device.id).is_ok());
  ASSERT_TRUE(mesh.remove_peer(laptop.id).is_ok());
  ASSERT_TRUE(mesh.apply().is_ok());
  after = forwarding();
  EXPECT_EQ(after.table_handle, state.table_handle);
  EXPECT_TRUE(after.jumps.empty());
  EXPECT_TRUE(after.accepts.empty());

  mesh.stop();
  mesh_ = nullptr;
  auto gone = CommandRunner(netns_).run({"nft", "list", "table", "inet", table});
  ASSERT_TRUE(gone.is_ok());
  EXPECT_NE(gone->exit_code, 0) << "table " << table << " is still there after stop()";
}

TEST_F(MeshInterfaceTest, StartAloneBringsNoInterfaceUpAndIgnoresEvents) {
  auto& mesh = start_without_apply();
  runtime_.events().publish(Event{"mesh.peer_added", "{}", "host"});
  std::this_thread::sleep_for(200ms);
  auto shown = CommandRunner(netns_).run({"ip", "link", "show", "dev", interface_});
  ASSERT_TRUE(shown.is_ok());
  EXPECT_NE(shown->exit_code, 0) << interface_ << " exists before the first apply()";
  EXPECT_EQ(mesh.userspace_pid(), -1);
  ASSERT_TRUE(mesh.apply().is_ok());
  EXPECT_FALSE(ifindex().empty());
}

TEST_F(MeshInterfaceTest, AMeshEventAppliesWithoutBeingAsked) {
  auto& mesh = start_mesh();
  join_as_node();
  const auto peer = add(MeshPeerKind::node, "operator", "node-b");
  runtime_.events().publish(Event{"mesh.peer_added", "{}", "host"});
  bool seen = false;
  for (int i = 0; i < 100 && !seen; ++i) {
    seen = running_keys().count(peer.public_key) > 0;
    if (!seen) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(seen) << "the peer did not appear within 5 s of mesh.peer_added";
  (void)mesh;
}

TEST_F(MeshInterfaceTest, StopEndsItsWireguardGoAndRemovesTheInterface) {
  auto& mesh = start_mesh();
  const pid_t pid = mesh.userspace_pid();
  ASSERT_GT(pid, 0);
  EXPECT_EQ(::kill(pid, 0), 0);
  mesh.stop();
  mesh_ = nullptr;
  EXPECT_NE(::kill(pid, 0), 0);  // reaped: no such process
  auto shown = CommandRunner(netns_).run({"ip", "link", "show", "dev", interface_});
  ASSERT_TRUE(shown.is_ok());
  EXPECT_NE(shown->exit_code, 0);
}

TEST_F(MeshInterfaceTest, AFailedApplyMakesItDegraded) {
  auto& mesh = start_mesh();
  join_as_node();
  add(MeshPeerKind::node, "operator", "node-b");
  // The interface goes away underneath the plugin (its own wireguard-go, by PID).
  ASSERT_TRUE(terminate_process(mesh.userspace_pid(), 3s));
  EXPECT_FALSE(mesh.apply().is_ok());
  const auto health = mesh.health();
  EXPECT_EQ(health.state, HealthState::degraded);
  EXPECT_NE(health.detail.find("last apply failed"), std::string::npos) << health.detail;
}

}  // namespace
}  // namespace formation::mesh_wireguard

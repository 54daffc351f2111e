// bench_mesh: the mesh figures of issue 7 (README.md), each against a reference in the run.
//   bench_mesh apply --plugins DIR [--peers 10000] [--change-percent 1]
//     a node whose store holds --peers peers it sees: mesh-wireguard's apply() (read the
//     store, compute who it sees, diff against `wg show dump`, batched `wg set`) on
//     wireguard-go in a network namespace of its own, from an empty interface, with nothing
//     changed, and after --change-percent of the peers were replaced; against `wg syncconf`
//     of the same peer sets on a second wireguard-go interface in the same namespace.
//   bench_mesh join --api URL --key HEX [--joins 500]
//     POST /v1/mesh/join of fresh device keys one after another: p50, p99, max, and the
//     same figures for a signed GET /v1/instances (the cheapest signed read) beside it.
//   bench_mesh fill --plugins DIR --store FILE [--peers 10000]
//     writes --peers peers (as `apply` lays them out, on another node) straight into the
//     state-sqlite file FILE, so that `join` can be timed in a mesh of that size.
// Needs root (ip netns) for apply.
#include <curl/curl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "command.hpp"
#include "keys.hpp"
#include "mesh_wireguard.hpp"
#include "net_parse.hpp"
#include "signed_client.hpp"
#include "support/plugin_runtime.hpp"
#include "wg_interface.hpp"

namespace {

namespace mw = formation::mesh_wireguard;
using Clock = std::chrono::steady_clock;
using formation::MeshPeer;
using formation::MeshPeerKind;

struct Options {
  std::string mode, plugins, api, key_hex, store;
  int peers = 10000, change_percent = 1, joins = 500;
};

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double timed_ms(const std::function<void()>& work) {
  const auto start = Clock::now();
  work();
  return ms_since(start);
}

template <typename T>
T must(formation::Result<T> r, const std::string& what) {
  if (!r.is_ok()) throw std::runtime_error(what + ": " + r.status().message());
  return std::move(r).value();
}

void must(const formation::Status& st, const std::string& what) {
  if (!st.is_ok()) throw std::runtime_error(what + ": " + st.message());
}

std::string fresh_public_key() {
  auto priv = must(mw::generate_private_key(), "key");
  return mw::base64_encode(must(mw::public_key_of(priv), "public key"));
}

// ---- apply ------------------------------------------------------------------------------

class Netns {
 public:
  Netns() : name_("fbm-" + std::to_string(::getpid())) {
    must(mw::CommandRunner().check({"ip", "netns", "add", name_}), "ip netns add");
  }
  ~Netns() { (void)mw::CommandRunner().run({"ip", "netns", "del", name_}); }
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;
  [[nodiscard]] const std::string& name() const { return name_; }

 private:
  std::string name_;
};

// The peers the node sees, written straight into the store (setup, not measured): 70%
// instances on this node spread over 500 owners, 30% devices of those owners (each block
// of ten peers shares one owner).
MeshPeer bench_peer(int i, std::uint32_t address) {
  MeshPeer p;
  p.id = "bench-" + std::to_string(i);
  p.owner = "0x" + std::string(37, '0') + std::to_string(100 + (i / 10) % 500);
  p.public_key = fresh_public_key();
  p.address = mw::format_ipv4(address);
  if (i % 10 < 7) {
    p.kind = MeshPeerKind::instance;
    p.node_id = "bench-node";
    p.instance_id = "i-" + std::to_string(i);
  } else {
    p.kind = MeshPeerKind::device;
  }
  return p;
}

std::uint32_t address_of(int i, bool instance) {
  // instances from 10.42.128.1, devices from 10.42.64.1 (the default sub-ranges)
  return (instance ? 0x0A2A8001U : 0x0A2A4001U) + static_cast<std::uint32_t>(i);
}

// `wg syncconf` input for the same peers the plugin applies.
void write_conf(const std::filesystem::path& file, const std::string& private_key, int port,
                const std::vector<MeshPeer>& peers) {
  std::ofstream out(file);
  out << "[Interface]\nPrivateKey = " << private_key << "\nListenPort = " << port << "\n";
  for (const auto& p : peers) {
    out << "\n[Peer]\nPublicKey = " << p.public_key << "\nAllowedIPs = " << p.address << "/32\n";
  }
  std::filesystem::permissions(
      file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

std::size_t running_peer_count(const mw::CommandRunner& ns, const std::string& interface) {
  const auto out = must(ns.check({"wg", "show", interface, "peers"}), "wg show peers");
  return static_cast<std::size_t>(std::count(out.begin(), out.end(), '\n'));
}

int bench_apply(const Options& o) {
  spdlog::set_level(spdlog::level::warn);  // stdout is the figures
  const Netns netns;
  const mw::CommandRunner ns(netns.name());
  const auto work = std::filesystem::temp_directory_path() / netns.name();
  std::filesystem::create_directories(work);
  int rc = 0;
  {
    formation::testing::PluginRuntime runtime(work / "data");
    auto& store = runtime.start_store(o.plugins, "state-sqlite", R"({"path": "bench.sqlite3"})");
    auto& mesh = runtime.make<mw::MeshWireGuardPlugin>(
        "mesh-wireguard",
        R"({"backend": "userspace", "interface": "fbm0", "netns": ")" + netns.name() +
            R"(", "listen_port": 51998, "apply_interval_seconds": 86400,
                                       "advertise": ["192.0.2.1:51998"]})",
        mw::settings_from);
    must(mesh.start(), "mesh start");
    // The first apply() brings the interface up; without the node's row it applies nothing.
    // Done before timing, as the reference's bring_up() is.
    must(mesh.apply(), "bring up");
    MeshPeer self;
    self.id = "bench-node";
    self.kind = MeshPeerKind::node;
    self.owner = "operator";
    self.node_id = "bench-node";
    self.public_key = must(mesh.local_interface(), "local interface").public_key;
    self.address = "10.42.0.1";

    std::vector<MeshPeer> peers;
    int next = 0;
    auto add_peer = [&](formation::Transaction& tx) {
      const int i = next++;
      auto p = bench_peer(i, address_of(i, i % 10 < 7));
      peers.push_back(must(tx.mesh_peers().create(p), "store peer"));
    };
    {
      auto tx = must(store.begin(), "begin");
      must(tx->mesh_peers().create(self), "store node");
      for (int i = 0; i < o.peers; ++i) add_peer(*tx);
      must(tx->commit(), "commit");
    }

    // The reference interface: wireguard-go again, driven by `wg syncconf` alone.
    mw::Settings ref_settings;
    ref_settings.interface = "fbr0";
    ref_settings.listen_port = 51997;
    ref_settings.backend = mw::Backend::userspace;
    ref_settings.netns = netns.name();
    ref_settings.private_key_file = work / "ref.key";
    const auto ref_key = mw::base64_encode(
        must(mw::load_or_create_private_key(ref_settings.private_key_file), "key"));
    mw::WireGuardInterface reference(ref_settings, work);
    must(reference.bring_up(), "reference bring_up");
    auto syncconf = [&](const std::vector<MeshPeer>& set) {
      write_conf(work / "ref.conf", ref_key, 51997, set);
      return timed_ms([&] {
        must(ns.check({"wg", "syncconf", "fbr0", (work / "ref.conf").string()}), "wg syncconf");
      });
    };

    const double first = timed_ms([&] { must(mesh.apply(), "apply"); });
    const double ref_first = syncconf(peers);
    const double noop = timed_ms([&] { must(mesh.apply(), "apply"); });
    const double ref_noop = syncconf(peers);

    // Replace change_percent of the peers: half removed, as many new ones added.
    const int changed = std::max(2, o.peers * o.change_percent / 100);
    {
      auto tx = must(store.begin(), "begin");
      for (int k = 0; k < changed / 2; ++k) {
        must(tx->mesh_peers().remove(peers.front().id), "remove");
        peers.erase(peers.begin());
      }
      for (int k = 0; k < changed / 2; ++k) add_peer(*tx);
      must(tx->commit(), "commit");
    }
    const double after = timed_ms([&] { must(mesh.apply(), "apply"); });
    const double ref_after = syncconf(peers);

    const auto applied = running_peer_count(ns, "fbm0");
    const auto referenced = running_peer_count(ns, "fbr0");
    std::printf("peers on the node: %zu (mesh-wireguard), %zu (reference)\n", applied, referenced);
    std::printf("%-34s %12s %14s %8s\n", "", "apply()", "wg syncconf", "ratio");
    auto row = [](const char* what, double mine, double ref) {
      std::printf("%-34s %9.1f ms %11.1f ms %7.2fx\n", what, mine, ref, mine / ref);
    };
    row(("from empty (" + std::to_string(o.peers) + " peers)").c_str(), first, ref_first);
    row("nothing changed", noop, ref_noop);
    row(("after " + std::to_string(changed) + " replaced (" + std::to_string(o.change_percent) +
         "%)")
            .c_str(),
        after, ref_after);
    std::printf("goal: under 1000 ms for %d peers\n", o.peers);
    if (applied != peers.size() || referenced != peers.size()) {
      std::fprintf(stderr, "bench_mesh: expected %zu peers on both interfaces\n", peers.size());
      rc = 1;
    }
    reference.tear_down();
  }
  std::filesystem::remove_all(work);
  return rc;
}

// ---- fill -------------------------------------------------------------------------------

int bench_fill(const Options& o) {
  spdlog::set_level(spdlog::level::warn);
  const auto work = std::filesystem::temp_directory_path() / ("fbf-" + std::to_string(::getpid()));
  {
    formation::testing::PluginRuntime runtime(work);
    auto& store =
        runtime.start_store(o.plugins, "state-sqlite", R"({"path": ")" + o.store + R"("})");
    auto tx = must(store.begin(), "begin");
    for (int i = 0; i < o.peers; ++i) {
      auto p = bench_peer(i, address_of(i, i % 10 < 7));
      if (p.kind == MeshPeerKind::instance) p.node_id = "bench-elsewhere";
      must(tx->mesh_peers().create(p), "store peer");
    }
    must(tx->commit(), "commit");
  }
  std::filesystem::remove_all(work);
  return 0;
}

// ---- join -------------------------------------------------------------------------------

struct Figures {
  double p50 = 0, p99 = 0, max = 0;
};

Figures figures(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) { return ms[static_cast<std::size_t>(q * (ms.size() - 1))]; };
  return {at(0.5), at(0.99), ms.back()};
}

int bench_join(const Options& o) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  formation::bench::SignedClient api(o.api, o.key_hex);
  std::vector<std::string> keys;
  keys.reserve(o.joins);
  for (int i = 0; i < o.joins; ++i) keys.push_back(fresh_public_key());
  std::vector<double> join_ms, read_ms;
  join_ms.reserve(o.joins);
  read_ms.reserve(o.joins);
  for (int i = 0; i < o.joins; ++i) {
    const std::string body = R"({"kind": "device", "public_key": ")" + keys[i] + R"("})";
    formation::bench::Reply reply;
    join_ms.push_back(timed_ms([&] { reply = api.call("POST", "/v1/mesh/join", body); }));
    if (reply.status != 201) {
      std::cerr << "join " << i << " answered " << reply.status << ": " << reply.body << "\n";
      return 1;
    }
    read_ms.push_back(timed_ms([&] { reply = api.call("GET", "/v1/instances"); }));
    if (reply.status != 200) {
      std::cerr << "GET /v1/instances answered " << reply.status << ": " << reply.body << "\n";
      return 1;
    }
  }
  const auto join = figures(join_ms);
  const auto read = figures(read_ms);
  const std::vector<double> last(join_ms.end() - std::min<int>(o.joins, 100), join_ms.end());
  std::printf("%d joins, one at a time (the mesh grows by %d devices)\n", o.joins, o.joins);
  std::printf("%-30s %9s %9s %9s\n", "", "p50", "p99", "max");
  std::printf("%-30s %6.2f ms %6.2f ms %6.2f ms\n", "POST /v1/mesh/join", join.p50, join.p99,
              join.max);
  std::printf("%-30s %6.2f ms %6.2f ms %6.2f ms\n", "GET /v1/instances (reference)", read.p50,
              read.p99, read.max);
  std::printf("%-30s %6.2f ms\n", "join p50, last 100 joins", figures(last).p50);
  std::printf("ratio join / signed read (p50): %.2fx\n", join.p50 / read.p50);
  return 0;
}

int usage(int code) {
  (code == 0 ? std::cout : std::cerr)
      << "usage: bench_mesh apply --plugins DIR [--peers N] [--change-percent P]\n"
         "       bench_mesh join --api URL --key HEX [--joins N]\n"
         "       bench_mesh fill --plugins DIR --store FILE [--peers N]\n"
         "(bench/mesh/README.md; bench/mesh/run runs both)\n";
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (argc < 2) return usage(2);
  o.mode = argv[1];
  if (o.mode == "-h" || o.mode == "--help") return usage(0);
  for (int i = 2; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "-h" || flag == "--help") return usage(0);
    if (i + 1 >= argc) return usage(2);
    const std::string value = argv[++i];
    try {
      if (flag == "--plugins") {
        o.plugins = value;
      } else if (flag == "--api") {
        o.api = value;
      } else if (flag == "--key") {
        o.key_hex = value;
      } else if (flag == "--store") {
        o.store = value;
      } else if (flag == "--peers") {
        o.peers = std::stoi(value);
      } else if (flag == "--change-percent") {
        o.change_percent = std::stoi(value);
      } else if (flag == "--joins") {
        o.joins = std::stoi(value);
      } else {
        std::cerr << "bench_mesh: unknown option " << flag << "\n";
        return usage(2);
      }
    } catch (const std::exception&) {
      std::cerr << "bench_mesh: " << flag << " wants a number, not '" << value << "'\n";
      return 2;
    }
  }
  try {
    if (o.mode == "apply" && !o.plugins.empty() && o.peers > 0) return bench_apply(o);
    if (o.mode == "fill" && !o.plugins.empty() && !o.store.empty() && o.peers > 0) {
      return bench_fill(o);
    }
    if (o.mode == "join" && !o.api.empty() && !o.key_hex.empty() && o.joins > 0) {
      return bench_join(o);
    }
  } catch (const std::exception& e) {
    std::cerr << "bench_mesh: " << e.what() << "\n";
    return 1;
  }
  return usage(2);
}

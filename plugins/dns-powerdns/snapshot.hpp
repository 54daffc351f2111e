// An immutable picture of everything the plugin answers, built from the state store in one
// pass and swapped in whole (answers.hpp), so that a query never touches the store and
// never sees half of a change. Everything a query needs is precomputed here: which zone a
// name is in, SOA and NS contents, TXT quoting, which node each address lives on, whether
// an answer depends on who asks.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "formation/kinds/state_store.hpp"
#include "settings.hpp"
#include "zone_view.hpp"

namespace formation::dns_powerdns {

// Hash maps keyed by std::string, searched with std::string_view without a copy.
struct NameHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <typename V>
using NameMap = std::unordered_map<std::string, V, NameHash, std::equal_to<>>;

struct NodeState {
  std::string region;   // empty when the node has none
  bool healthy = true;  // heartbeat within stale_after_seconds when the snapshot was built
};

// One address an answer may hold, and the node it lives on (for health and geo).
struct AddressRecord {
  std::string ip;  // as stored
  bool v6 = false;
  int node = -1;  // index into Snapshot::nodes; -1 when it is on no known node
};

// The addresses of one A or AAAA RRset. A static set answers `outside` to everyone; a set
// that follows an instance answers its mesh address (`inside`) to clients in the mesh when
// it has one, and its node's public address (`outside`) to the rest.
struct AddressSet {
  std::int64_t ttl = 0;
  std::vector<AddressRecord> outside;
  std::vector<AddressRecord> inside;
  bool mesh_aware = false;
};

// A record whose content is the same for every client (CNAME, TXT), in wire form.
struct FixedRecord {
  std::string type;
  std::string content;
  std::int64_t ttl = 0;
};

struct NameEntry {
  std::size_t zone = 0;  // index into Snapshot::zones
  bool apex = false;
  std::vector<AddressSet> addresses;
  std::vector<FixedRecord> fixed;
  // Addresses differ by client: mesh-aware, or on nodes of more than one region while a
  // region table exists. Such answers carry the client's prefix as scope.
  bool client_dependent = false;
};

struct ZoneEntry {
  ZoneInfo info;
  std::string soa;                 // SOA content
  std::vector<std::string> ns;     // NS contents, trailing dots
  std::vector<std::string> names;  // every name in the zone (apex included), sorted
};

struct Snapshot {
  AnswerSettings settings;
  std::vector<ZoneEntry> zones;  // ordered by name
  NameMap<std::size_t> zone_index;
  NameMap<NameEntry> names;
  std::vector<NodeState> nodes;
  std::int64_t change_serial = 0;
};

// What a snapshot is built from: the store's rows, read in one go (or written by hand in
// tests).
struct SnapshotInput {
  std::vector<DnsRecord> records;
  std::vector<Node> nodes;
  std::vector<Instance> instances;
  std::int64_t change_serial = 1;
  TimePoint now = std::chrono::system_clock::now();
};

// Every record, node and instance, paging through the store in one read transaction.
// Errors are the store's, prefixed with what was being read.
Result<SnapshotInput> read_snapshot_input(StateStore& store);

// Builds the index. Unverified records are not served; records whose values are not
// addresses (an A record holding "x") lose those values rather than the whole snapshot.
std::shared_ptr<const Snapshot> build_snapshot(const AnswerSettings& settings,
                                               const SnapshotInput& input);

// The zone's id: a 31-bit FNV-1a hash of its name, never 0, so that it is the same on every
// host and after every rebuild.
std::int32_t zone_id_of(std::string_view zone);

// TXT values in presentation form: each value quoted, '"' and '\' escaped, other bytes
// outside printable ASCII as \DDD, split into strings of at most 255 bytes.
std::string txt_content(std::string_view value);

}  // namespace formation::dns_powerdns

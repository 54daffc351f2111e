#include "snapshot.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <set>

#include "dns_names.hpp"

namespace formation::dns_powerdns {

namespace {

// Rows per page when reading the store: its maximum, so a network of a few thousand
// names is read in a handful of round trips.
constexpr std::int64_t kPageSize = 1000;

template <typename T, typename List>
Status read_all(std::vector<T>& out, const char* what, List list) {
  PageRequest page{kPageSize, {}};
  while (true) {
    Result<Page<T>> result = list(page);
    if (!result.is_ok()) {
      return {result.status().code(),
              std::string("reading ") + what + ": " + result.status().message()};
    }
    for (auto& item : result->items) out.push_back(std::move(item));
    if (result->last()) return Status::ok();
    page.page_token = result->next_page_token;
  }
}

// The text inet_ntop gives, so that "10.0.0.01"-style spellings and IPv6 compressions
// compare equal; nullopt for a value that is no address.
std::optional<std::string> canonical_ip(std::string_view text, bool& v6) {
  auto ip = parse_ip(text);
  if (!ip) return std::nullopt;
  v6 = ip->v6;
  std::array<char, INET6_ADDRSTRLEN> buffer{};
  ::inet_ntop(ip->v6 ? AF_INET6 : AF_INET, ip->bytes.data(), buffer.data(), buffer.size());
  return std::string(buffer.data());
}

std::string absolute(std::string_view name) { return std::string(name) + "."; }

std::string soa_content(const AnswerSettings& s, std::uint32_t serial) {
  const SoaSettings& soa = s.soa;
  return absolute(s.nameservers.front().name) + " " + absolute(soa.hostmaster) + " " +
         std::to_string(serial) + " " + std::to_string(soa.refresh) + " " +
         std::to_string(soa.retry) + " " + std::to_string(soa.expire) + " " +
         std::to_string(soa.minimum);
}

// The store's counter starts at 1 and only grows; the SOA serial is 32 bits and must not
// be 0 (RFC 1982 arithmetic lets it wrap).
std::uint32_t serial_of(std::int64_t change_serial) {
  auto serial = static_cast<std::uint32_t>(static_cast<std::uint64_t>(change_serial) & 0xffffffffU);
  return serial == 0 ? 1 : serial;
}

class Builder {
 public:
  Builder(const AnswerSettings& settings, const SnapshotInput& input)
      : input_(input), out_(std::make_shared<Snapshot>()) {
    out_->settings = settings;
    out_->change_serial = input.change_serial;
  }

  std::shared_ptr<const Snapshot> build() {
    index_nodes();
    for (const auto& instance : input_.instances) instances_.emplace(instance.id, &instance);
    choose_zones();
    for (const auto& record : input_.records) {
      if (record.verified) add_record(record);
    }
    add_nameserver_addresses();
    finish();
    return out_;
  }

 private:
  void index_nodes() {
    const auto stale = std::chrono::seconds(out_->settings.stale_after_seconds);
    for (const auto& node : input_.nodes) {
      node_index_.emplace(node.id, static_cast<int>(out_->nodes.size()));
      out_->nodes.push_back(NodeState{node.region, input_.now - node.heartbeat_at <= stale});
      bool v6 = false;
      if (auto ip = canonical_ip(node.public_ip, v6)) {
        node_of_ip_.emplace(*ip, static_cast<int>(out_->nodes.size() - 1));
      }
    }
  }

  // The network's zone, and each verified custom name with no verified custom ancestor
  // (the apex of a tenant's domain).
  void choose_zones() {
    const std::string& network = out_->settings.zone;
    std::set<std::string> custom;
    for (const auto& record : input_.records) {
      if (record.verified && !dns::is_at_or_under(record.fqdn, network)) custom.insert(record.fqdn);
    }
    std::set<std::string> zones{network};
    for (const auto& name : custom) {
      bool has_ancestor = false;
      for (auto parent = dns::parent_of(name); !parent.empty(); parent = dns::parent_of(parent)) {
        if (custom.contains(std::string(parent))) has_ancestor = true;
      }
      if (!has_ancestor) zones.insert(name);
    }
    const std::string soa = soa_content(out_->settings, serial_of(input_.change_serial));
    std::vector<std::string> ns;
    for (const auto& server : out_->settings.nameservers) ns.push_back(absolute(server.name));
    std::set<std::int32_t> ids;
    for (const auto& zone : zones) {
      std::int32_t id = zone_id_of(zone);
      while (ids.contains(id)) id = id == 0x7fffffff ? 1 : id + 1;  // a hash collision
      ids.insert(id);
      out_->zone_index.emplace(zone, out_->zones.size());
      out_->zones.push_back(
          ZoneEntry{ZoneInfo{zone, id, serial_of(input_.change_serial)}, soa, ns, {}});
      entry(zone, out_->zones.size() - 1).apex = true;
    }
  }

  // The longest served zone holding `name`, or nullopt.
  std::optional<std::size_t> zone_of(std::string_view name) const {
    for (std::string_view at = name; !at.empty(); at = dns::parent_of(at)) {
      if (auto it = out_->zone_index.find(at); it != out_->zone_index.end()) return it->second;
    }
    return std::nullopt;
  }

  NameEntry& entry(const std::string& name, std::size_t zone) {
    auto [it, added] = out_->names.try_emplace(name);
    if (added) it->second.zone = zone;
    return it->second;
  }

  AddressRecord address(std::string_view value) const {
    AddressRecord out;
    bool v6 = false;
    auto ip = canonical_ip(value, v6);
    if (!ip) return out;
    out.ip = std::string(value);
    out.v6 = v6;
    if (auto it = node_of_ip_.find(*ip); it != node_of_ip_.end()) out.node = it->second;
    return out;
  }

  void add_record(const DnsRecord& record) {
    auto zone = zone_of(record.fqdn);
    if (!zone) return;
    NameEntry& e = entry(record.fqdn, *zone);
    switch (record.type) {
      case DnsRecordType::a:
      case DnsRecordType::aaaa:
        e.addresses.push_back(record.instance_id ? following(*record.instance_id, record.ttl)
                                                 : fixed_addresses(record.values, record.ttl));
        break;
      case DnsRecordType::cname:
        if (!record.values.empty()) {
          e.fixed.push_back(FixedRecord{"CNAME", absolute(record.values.front()), record.ttl});
        }
        break;
      case DnsRecordType::txt:
        for (const auto& value : record.values) {
          e.fixed.push_back(FixedRecord{"TXT", txt_content(value), record.ttl});
        }
        break;
    }
  }

  AddressSet fixed_addresses(const std::vector<std::string>& values, std::int64_t ttl) const {
    AddressSet set{ttl, {}, {}, false};
    for (const auto& value : values) {
      auto a = address(value);
      if (!a.ip.empty()) set.outside.push_back(std::move(a));
    }
    return set;
  }

  // An instance's addresses: its node's public address, and its mesh address for clients
  // inside the mesh. A record of an instance that is gone answers nothing until the next
  // refresh removes it.
  AddressSet following(const std::string& instance_id, std::int64_t ttl) const {
    AddressSet set{ttl, {}, {}, false};
    auto it = instances_.find(instance_id);
    if (it == instances_.end()) return set;
    const Instance& instance = *it->second;
    int node = -1;
    if (auto n = node_index_.find(instance.node_id); n != node_index_.end()) node = n->second;
    if (node >= 0) {
      auto a = address(input_.nodes.at(static_cast<std::size_t>(node)).public_ip);
      if (!a.ip.empty()) set.outside.push_back(std::move(a));
    }
    if (instance.formnet_ip) {
      auto a = address(*instance.formnet_ip);
      if (!a.ip.empty()) {
        a.node = node;
        set.inside.push_back(std::move(a));
        set.mesh_aware = true;
      }
    }
    if (!set.mesh_aware) set.inside = set.outside;
    return set;
  }

  // Nameservers named under a served zone need their addresses there (glue).
  void add_nameserver_addresses() {
    for (const auto& server : out_->settings.nameservers) {
      if (server.addresses.empty()) continue;
      auto zone = zone_of(server.name);
      if (!zone) continue;
      entry(server.name, *zone)
          .addresses.push_back(fixed_addresses(server.addresses, out_->settings.ttl));
    }
  }

  void finish() {
    const bool geo = !out_->settings.regions.empty();
    for (auto& [name, e] : out_->names) {
      out_->zones.at(e.zone).names.push_back(name);
      std::set<std::string> regions;
      for (const auto& set : e.addresses) {
        if (set.mesh_aware) e.client_dependent = true;
        for (const auto& a : set.outside) {
          regions.insert(a.node >= 0 ? out_->nodes.at(static_cast<std::size_t>(a.node)).region
                                     : std::string());
        }
      }
      if (geo && regions.size() > 1) e.client_dependent = true;
    }
    for (auto& zone : out_->zones) std::sort(zone.names.begin(), zone.names.end());
  }

  const SnapshotInput& input_;
  std::shared_ptr<Snapshot> out_;
  std::unordered_map<std::string, int> node_index_;
  std::unordered_map<std::string, int> node_of_ip_;
  std::unordered_map<std::string, const Instance*> instances_;
};

}  // namespace

Result<SnapshotInput> read_snapshot_input(StateStore& store) {
  auto tx = store.begin();
  if (!tx.is_ok()) {
    return Status(tx.status().code(), "opening a transaction: " + tx.status().message());
  }
  Transaction& t = **tx;
  SnapshotInput in;
  in.now = std::chrono::system_clock::now();
  // The serial first: a change committed while we read shows up with a newer serial at
  // the next refresh, never as new data under an old serial.
  auto serial = t.dns_records().change_serial();
  if (!serial.is_ok()) {
    return Status(serial.status().code(),
                  "reading the DNS change serial: " + serial.status().message());
  }
  in.change_serial = *serial;
  auto st = read_all(in.records, "DNS records",
                     [&](const PageRequest& p) { return t.dns_records().list({}, p); });
  if (st.is_ok())
    st = read_all(in.nodes, "nodes", [&](const PageRequest& p) { return t.nodes().list(p); });
  if (st.is_ok()) {
    st = read_all(in.instances, "instances",
                  [&](const PageRequest& p) { return t.instances().list({}, p); });
  }
  if (!st.is_ok()) return st;
  (void)t.rollback();  // read only
  return in;
}

std::shared_ptr<const Snapshot> build_snapshot(const AnswerSettings& settings,
                                               const SnapshotInput& input) {
  return Builder(settings, input).build();
}

std::int32_t zone_id_of(std::string_view zone) {
  std::uint32_t hash = 2166136261U;
  for (char c : zone) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 16777619U;
  }
  auto id = static_cast<std::int32_t>(hash & 0x7fffffffU);
  return id == 0 ? 1 : id;
}

std::string txt_content(std::string_view value) {
  constexpr std::size_t kMaxString = 255;  // bytes of one <character-string>
  std::string out;
  out.reserve(value.size() + 4);
  std::size_t at = 0;
  do {
    const auto chunk = value.substr(at, kMaxString);
    at += chunk.size();
    if (!out.empty()) out += ' ';
    out += '"';
    for (char ch : chunk) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == '"' || c == '\\') {
        out += '\\';
        out += ch;
      } else if (c < 0x20 || c > 0x7e) {
        const std::array<char, 4> digits{'\\', static_cast<char>('0' + (c / 100)),
                                         static_cast<char>('0' + ((c / 10) % 10)),
                                         static_cast<char>('0' + (c % 10))};
        out.append(digits.data(), digits.size());
      } else {
        out += ch;
      }
    }
    out += '"';
  } while (at < value.size());
  return out;
}

}  // namespace formation::dns_powerdns

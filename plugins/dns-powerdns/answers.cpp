#include "answers.hpp"

#include <algorithm>
#include <boost/container/small_vector.hpp>

namespace formation::dns_powerdns {

namespace {

// Who asks, worked out once per lookup and only for names whose answer depends on it.
struct Client {
  bool inside_mesh = false;
  const std::string* region = nullptr;
  int scope_prefix = 0;  // what the answer may be cached for
};

// The client subnet when the resolver sent one (prefix > 0), else the resolver's address.
Client client_of(const Snapshot& snapshot, const ClientInfo& info) {
  std::optional<ClientSubnet> subnet;
  if (!info.real_remote.empty()) {
    subnet = parse_client_subnet(info.real_remote);
    if (subnet && subnet->prefix == 0) subnet.reset();
  }
  if (!subnet && !info.remote.empty()) {
    subnet = parse_client_subnet(info.remote);
    if (subnet) subnet->prefix = subnet->address.bits();
  }
  Client out;
  if (!subnet) return out;
  out.inside_mesh = snapshot.settings.mesh.contains(subnet->address);
  out.region = snapshot.settings.regions.region_of(subnet->address);
  out.scope_prefix = subnet->prefix;
  return out;
}

struct Candidate {
  const AddressRecord* address;
  std::int64_t ttl;
};

bool healthy(const Snapshot& snapshot, const AddressRecord& a) {
  return a.node < 0 || snapshot.nodes[static_cast<std::size_t>(a.node)].healthy;
}

bool in_region(const Snapshot& snapshot, const AddressRecord& a, const std::string& region) {
  return a.node >= 0 && snapshot.nodes[static_cast<std::size_t>(a.node)].region == region;
}

// The A (or AAAA) answers at one name: addresses of that family from every set, those on
// stale nodes dropped unless none would remain, the client's region first.
void emit_addresses(const Snapshot& snapshot, std::string_view name, const NameEntry& entry,
                    bool v6, const Client& client, std::int32_t zone_id, std::vector<Answer>& out) {
  boost::container::small_vector<Candidate, 8> found;
  for (const auto& set : entry.addresses) {
    const auto& list = client.inside_mesh && set.mesh_aware ? set.inside : set.outside;
    for (const auto& a : list) {
      if (a.v6 == v6) found.push_back(Candidate{&a, set.ttl});
    }
  }
  if (found.empty()) return;
  const auto live = std::count_if(found.begin(), found.end(), [&](const Candidate& c) {
    return healthy(snapshot, *c.address);
  });
  if (live > 0 && static_cast<std::size_t>(live) < found.size()) {
    found.erase(std::remove_if(found.begin(), found.end(),
                               [&](const Candidate& c) { return !healthy(snapshot, *c.address); }),
                found.end());
  }
  if (client.region != nullptr) {
    std::stable_partition(found.begin(), found.end(), [&](const Candidate& c) {
      return in_region(snapshot, *c.address, *client.region);
    });
  }
  const int scope = entry.client_dependent ? client.scope_prefix : 0;
  for (const auto& c : found) {
    out.push_back(
        Answer{std::string(name), v6 ? "AAAA" : "A", c.address->ip, c.ttl, zone_id, scope});
  }
}

// Everything at `name` of type `qtype` (or every type for "ANY"); SOA and NS only when
// `with_apex` (list() writes them once, first).
void emit_entry(const Snapshot& snapshot, std::string_view name, const NameEntry& entry,
                std::string_view qtype, const Client& client, bool with_apex,
                std::vector<Answer>& out) {
  const ZoneEntry& zone = snapshot.zones[entry.zone];
  const std::int32_t id = zone.info.id;
  const bool any = qtype == "ANY";
  if (entry.apex && with_apex) {
    if (any || qtype == "SOA") {
      out.push_back(Answer{std::string(name), "SOA", zone.soa, snapshot.settings.soa.ttl, id, 0});
    }
    if (any || qtype == "NS") {
      for (const auto& ns : zone.ns) {
        out.push_back(Answer{std::string(name), "NS", ns, snapshot.settings.ttl, id, 0});
      }
    }
  }
  if (!entry.addresses.empty()) {
    if (any || qtype == "A") emit_addresses(snapshot, name, entry, false, client, id, out);
    if (any || qtype == "AAAA") emit_addresses(snapshot, name, entry, true, client, id, out);
  }
  for (const auto& record : entry.fixed) {
    if (any || qtype == record.type) {
      out.push_back(Answer{std::string(name), record.type, record.content, record.ttl, id, 0});
    }
  }
}

}  // namespace

void answer_lookup(const Snapshot& snapshot, std::string_view qname, std::string_view qtype,
                   const ClientInfo& client, std::vector<Answer>& out) {
  auto it = snapshot.names.find(qname);
  if (it == snapshot.names.end()) return;
  const NameEntry& entry = it->second;
  const Client who = entry.client_dependent ? client_of(snapshot, client) : Client{};
  emit_entry(snapshot, qname, entry, qtype, who, true, out);
}

bool answer_list(const Snapshot& snapshot, std::string_view zone, std::vector<Answer>& out) {
  auto it = snapshot.zone_index.find(zone);
  if (it == snapshot.zone_index.end()) return false;
  const ZoneEntry& z = snapshot.zones[it->second];
  const Client nobody;
  const NameEntry& apex = snapshot.names.find(zone)->second;
  emit_entry(snapshot, z.info.name, apex, "SOA", nobody, true, out);
  emit_entry(snapshot, z.info.name, apex, "NS", nobody, true, out);
  for (const auto& name : z.names) {
    emit_entry(snapshot, name, snapshot.names.find(name)->second, "ANY", nobody, false, out);
  }
  return true;
}

SnapshotView::SnapshotView() {
  // An empty snapshot until the first build, so that no call ever sees a null pointer.
  snapshot_ = std::make_shared<const Snapshot>();
}

void SnapshotView::publish(std::shared_ptr<const Snapshot> snapshot) {
  const std::lock_guard lock(mutex_);
  snapshot_.swap(snapshot);
  // The old snapshot is released outside the lock (when `snapshot` goes out of scope).
}

std::shared_ptr<const Snapshot> SnapshotView::current() const {
  const std::lock_guard lock(mutex_);
  return snapshot_;
}

void SnapshotView::zones(std::vector<ZoneInfo>& out) const {
  auto snapshot = current();
  for (const auto& zone : snapshot->zones) out.push_back(zone.info);
}

bool SnapshotView::zone(std::string_view zone, ZoneInfo& out) const {
  auto snapshot = current();
  auto it = snapshot->zone_index.find(zone);
  if (it == snapshot->zone_index.end()) return false;
  out = snapshot->zones[it->second].info;
  return true;
}

void SnapshotView::lookup(std::string_view qname, std::string_view qtype, const ClientInfo& client,
                          std::vector<Answer>& out) const {
  answer_lookup(*current(), qname, qtype, client, out);
}

bool SnapshotView::list(std::string_view zone, std::vector<Answer>& out) const {
  return answer_list(*current(), zone, out);
}

}  // namespace formation::dns_powerdns

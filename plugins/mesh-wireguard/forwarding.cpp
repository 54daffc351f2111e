#include "forwarding.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <vector>

namespace formation::mesh_wireguard {

namespace {

using Addresses = std::vector<std::string>;

std::string chain(char side, const std::string& owner, const OwnerChains& chains) {
  return side + std::to_string(chains.at(owner));
}

std::string joined(const Addresses& addresses) {
  std::string out;
  for (const auto& a : addresses) out += (out.empty() ? "" : ", ") + a;
  return out;
}

// In `a` and not in `b`, both sorted.
Addresses minus(const Addresses& a, const Addresses& b) {
  Addresses out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

// The owner's two chains' rules: its devices reach its instances and back.
void write_rules(std::ostream& out, const std::string& prefix, const std::string& owner,
                 const ForwardGroup& group, const OwnerChains& chains) {
  out << prefix << chain('d', owner, chains) << " ip daddr { " << joined(group.instances)
      << " } accept\n";
  out << prefix << chain('i', owner, chains) << " ip daddr { " << joined(group.devices)
      << " } accept\n";
}

// "10.42.64.1 : jump d3, ..." for every peer of the group.
Addresses map_elements(const std::string& owner, const Addresses& devices,
                       const Addresses& instances, const OwnerChains& chains) {
  Addresses out;
  out.reserve(devices.size() + instances.size());
  for (const auto& d : devices) out.push_back(d + " : jump " + chain('d', owner, chains));
  for (const auto& i : instances) out.push_back(i + " : jump " + chain('i', owner, chains));
  return out;
}

}  // namespace

std::string nft_table_name(const std::string& interface) {
  std::string out = "formation_mesh_";
  for (char c : interface) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    out += plain ? c : '_';
  }
  return out;
}

std::string nft_table(const std::string& table, const std::string& interface,
                      const ForwardGroups& groups, const OwnerChains& chains) {
  std::ostringstream out;
  // "table" first: deleting a table that does not exist would fail the whole transaction.
  out << "table inet " << table << "\ndelete table inet " << table << "\n";
  out << "table inet " << table << " {\n";
  Addresses elements;
  for (const auto& [owner, group] : groups) {
    out << "  chain " << chain('d', owner, chains) << " {\n  }\n";
    out << "  chain " << chain('i', owner, chains) << " {\n  }\n";
    auto more = map_elements(owner, group.devices, group.instances, chains);
    elements.insert(elements.end(), more.begin(), more.end());
  }
  out << "  map from_peer {\n    type ipv4_addr : verdict\n";
  if (!elements.empty()) out << "    elements = { " << joined(elements) << " }\n";
  out << "  }\n  chain forward {\n    type filter hook forward priority filter; policy accept;\n"
      << "    iifname \"" << interface << "\" oifname \""
      << interface << "\" ip saddr vmap @from_peer\n"
      << "    iifname \"" << interface << "\" drop\n  }\n}\n";
  for (const auto& [owner, group] : groups) {
    write_rules(out, "add rule inet " + table + " ", owner, group, chains);
  }
  return out.str();
}

std::string nft_changes(const std::string& table, const ForwardGroups& before,
                        const ForwardGroups& after, const OwnerChains& chains) {
  // In phases, so that nothing refers to a chain that is not there yet or any more.
  std::ostringstream removals;
  std::ostringstream chains_made;
  std::ostringstream additions;
  std::ostringstream chains_gone;
  const ForwardGroup none;
  const std::string prefix = " inet " + table + " ";
  std::vector<std::string> owners;
  for (const auto& [owner, group] : before) owners.push_back(owner);
  for (const auto& [owner, group] : after) {
    if (before.count(owner) == 0) owners.push_back(owner);
  }
  for (const auto& owner : owners) {
    const auto b = before.find(owner);
    const auto a = after.find(owner);
    const ForwardGroup& was = b == before.end() ? none : b->second;
    const ForwardGroup& is = a == after.end() ? none : a->second;
    if (was == is) continue;
    auto gone = minus(was.devices, is.devices);
    const auto instances_gone = minus(was.instances, is.instances);
    gone.insert(gone.end(), instances_gone.begin(), instances_gone.end());
    if (!gone.empty()) {
      removals << "delete element" << prefix << "from_peer { " << joined(gone) << " }\n";
    }
    const auto d = chain('d', owner, chains);
    const auto i = chain('i', owner, chains);
    if (a == after.end()) {
      for (const auto& c : {d, i}) {
        chains_gone << "flush chain" << prefix << c << "\ndelete chain" << prefix << c << "\n";
      }
      continue;
    }
    for (const auto& c : {d, i}) {
      chains_made << (b == before.end() ? "add chain" : "flush chain") << prefix << c << "\n";
    }
    write_rules(chains_made, "add rule" + prefix, owner, is, chains);
    const auto added = map_elements(owner, minus(is.devices, was.devices),
                                    minus(is.instances, was.instances), chains);
    if (!added.empty()) {
      additions << "add element" << prefix << "from_peer { " << joined(added) << " }\n";
    }
  }
  return removals.str() + chains_made.str() + additions.str() + chains_gone.str();
}

ForwardingFilter::ForwardingFilter(const Settings& settings, const std::filesystem::path& work_dir)
    : runner_(settings.netns),
      interface_(settings.interface),
      table_(nft_table_name(settings.interface)),
      file_(work_dir / "forwarding.nft") {}

ForwardingFilter::~ForwardingFilter() { remove(); }

Status ForwardingFilter::enable_forwarding() {
  // The slash form: an interface name may hold dots, which sysctl would read as separators.
  for (const char* key : {"forwarding=1", "send_redirects=0"}) {
    auto set = runner_.check({"sysctl", "-q", "-w", "net/ipv4/conf/" + interface_ + "/" + key});
    if (!set.is_ok()) return set.status();
  }
  forwarding_ = true;
  return Status::ok();
}

Status ForwardingFilter::load(const std::string& ruleset) {
  {
    std::ofstream out(file_, std::ios::trunc);
    out << ruleset;
    if (!out.flush()) return Status::unavailable("cannot write " + file_.string());
  }
  auto loaded = runner_.run({"nft", "-f", file_.string()});
  if (!loaded.is_ok()) {
    return Status::unavailable(
        "forwarding between mesh peers needs nft (apt-get install nftables): " +
        loaded.status().message());
  }
  if (loaded->exit_code != 0) {
    return Status::unavailable("nft -f " + file_.string() + " failed: " + loaded->err);
  }
  return Status::ok();
}

Status ForwardingFilter::apply(const ForwardGroups& groups) {
  if (loaded_ && *loaded_ == groups) return Status::ok();
  for (const auto& [owner, group] : groups) {
    if (chains_.count(owner) == 0) chains_[owner] = next_chain_++;
  }
  Status st = loaded_ ? load(nft_changes(table_, *loaded_, groups, chains_))
                      : load(nft_table(table_, interface_, groups, chains_));
  // A table changed behind our back makes the changes fail: write it whole.
  if (!st.is_ok() && loaded_) st = load(nft_table(table_, interface_, groups, chains_));
  if (!st.is_ok()) {
    loaded_.reset();
    return st;
  }
  for (auto it = chains_.begin(); it != chains_.end();) {
    it = groups.count(it->first) == 0 ? chains_.erase(it) : std::next(it);
  }
  loaded_ = groups;
  return forwarding_ ? Status::ok() : enable_forwarding();
}

void ForwardingFilter::remove() {
  if (!loaded_) return;
  loaded_.reset();
  (void)runner_.run({"nft", "delete", "table", "inet", table_});
}

}  // namespace formation::mesh_wireguard

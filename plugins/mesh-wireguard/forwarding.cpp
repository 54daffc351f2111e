#include "forwarding.hpp"

#include <fstream>
#include <sstream>

namespace formation::mesh_wireguard {

std::string nft_table_name(const std::string& interface) {
  std::string out = "formation_mesh_";
  for (char c : interface) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    out += plain ? c : '_';
  }
  return out;
}

std::string nft_ruleset(const std::string& table, const std::string& interface,
                        const std::vector<AddressPair>& pairs) {
  std::ostringstream out;
  // "table" first: deleting a table that does not exist would fail the whole transaction.
  out << "table inet " << table << "\ndelete table inet " << table << "\n";
  out << "table inet " << table << " {\n  set pairs {\n    type ipv4_addr . ipv4_addr\n";
  if (!pairs.empty()) {
    out << "    elements = {";
    const char* separator = " ";
    for (const auto& [from, to] : pairs) {
      out << separator << from << " . " << to;
      separator = ",\n      ";
    }
    out << " }\n";
  }
  out << "  }\n  chain forward {\n    type filter hook forward priority filter; policy accept;\n"
      << "    iifname \"" << interface << "\" oifname \""
      << interface << "\" ip saddr . ip daddr @pairs accept\n"
      << "    iifname \"" << interface << "\" drop\n  }\n}\n";
  return out.str();
}

ForwardingFilter::ForwardingFilter(const Settings& settings, std::filesystem::path work_dir)
    : runner_(settings.netns),
      interface_(settings.interface),
      table_(nft_table_name(settings.interface)),
      file_(std::move(work_dir) / "forwarding.nft") {}

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

Status ForwardingFilter::apply(const std::vector<AddressPair>& pairs) {
  if (loaded_ && *loaded_ == pairs) return Status::ok();
  {
    std::ofstream out(file_, std::ios::trunc);
    out << nft_ruleset(table_, interface_, pairs);
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
  loaded_ = pairs;
  // Forwarding only once the filter stands: never a moment of forwarding everything.
  return forwarding_ ? Status::ok() : enable_forwarding();
}

void ForwardingFilter::remove() {
  if (!loaded_) return;
  loaded_.reset();
  (void)runner_.run({"nft", "delete", "table", "inet", table_});
}

}  // namespace formation::mesh_wireguard

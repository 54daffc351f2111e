#include "wg_diff.hpp"

#include <algorithm>
#include <charconv>
#include <unordered_map>

namespace formation::mesh_wireguard {

namespace {

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const auto at = text.find(separator, start);
    out.push_back(text.substr(start, at == std::string_view::npos ? text.npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

std::vector<std::string> sorted(std::vector<std::string> values) {
  std::sort(values.begin(), values.end());
  return values;
}

std::size_t size_of(const std::vector<std::string>& args) {
  std::size_t n = 0;
  for (const auto& a : args) n += a.size() + 1 + sizeof(char*);
  return n;
}

std::string join(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : ",") + v;
  return out;
}

}  // namespace

Result<std::vector<RunningPeer>> parse_dump(std::string_view dump) {
  std::vector<RunningPeer> out;
  const auto lines = split(dump, '\n');
  constexpr std::size_t kPeerFields = 8;
  for (std::size_t i = 1; i < lines.size(); ++i) {  // line 0: the interface
    if (lines[i].empty()) continue;
    const auto fields = split(lines[i], '\t');
    if (fields.size() != kPeerFields) {
      return Status::invalid("wg show dump, line " + std::to_string(i + 1) + ": " +
                             std::to_string(fields.size()) + " fields, expected 8");
    }
    RunningPeer peer;
    peer.public_key = std::string(fields[0]);
    if (fields[2] != "(none)") peer.endpoint = std::string(fields[2]);
    if (fields[3] != "(none)") {
      for (auto ip : split(fields[3], ',')) peer.allowed_ips.emplace_back(ip);
    }
    peer.allowed_ips = sorted(std::move(peer.allowed_ips));
    if (fields[7] != "off") {
      std::from_chars(fields[7].data(), fields[7].data() + fields[7].size(),
                      peer.persistent_keepalive_s);
    }
    out.push_back(std::move(peer));
  }
  return out;
}

PeerDiff diff_peers(const std::vector<WireGuardPeer>& wanted,
                    const std::vector<RunningPeer>& running) {
  PeerDiff diff;
  std::unordered_map<std::string, const RunningPeer*> current;
  for (const auto& r : running) current.emplace(r.public_key, &r);
  std::unordered_map<std::string, bool> keep;
  for (const auto& w : wanted) {
    keep[w.public_key] = true;
    auto it = current.find(w.public_key);
    if (it == current.end()) {
      diff.upsert.push_back(w);
      continue;
    }
    const auto& r = *it->second;
    const bool changed = sorted(w.allowed_ips) != r.allowed_ips ||
                         (!w.endpoint.empty() && w.endpoint != r.endpoint) ||
                         w.persistent_keepalive_s != r.persistent_keepalive_s;
    if (changed) diff.upsert.push_back(w);
  }
  for (const auto& r : running) {
    if (keep.count(r.public_key) == 0) diff.remove.push_back(r.public_key);
  }
  return diff;
}

std::vector<std::vector<std::string>> wg_set_arguments(const PeerDiff& diff,
                                                       std::size_t max_bytes) {
  std::vector<std::vector<std::string>> out;
  std::vector<std::string> current;
  auto add = [&](std::vector<std::string> peer) {
    if (!current.empty() && size_of(current) + size_of(peer) > max_bytes) {
      out.push_back(std::move(current));
      current.clear();
    }
    current.insert(current.end(), peer.begin(), peer.end());
  };
  for (const auto& key : diff.remove) add({"peer", key, "remove"});
  // Removals and additions in separate invocations: a failed addition leaves the
  // removals done.
  if (!current.empty()) {
    out.push_back(std::move(current));
    current.clear();
  }
  for (const auto& p : diff.upsert) {
    std::vector<std::string> args{"peer", p.public_key, "allowed-ips", join(p.allowed_ips)};
    if (!p.endpoint.empty()) {
      args.insert(args.end(), {"endpoint", p.endpoint});
    }
    args.insert(args.end(),
                {"persistent-keepalive", p.persistent_keepalive_s == 0
                                             ? std::string("off")
                                             : std::to_string(p.persistent_keepalive_s)});
    add(std::move(args));
  }
  if (!current.empty()) out.push_back(std::move(current));
  return out;
}

}  // namespace formation::mesh_wireguard

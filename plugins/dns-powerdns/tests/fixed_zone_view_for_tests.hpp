// A ZoneView over a fixed, hand-written zone, for the protocol and connector tests and the
// fuzz target: they test the wire format, not the answering core (answers.cpp has its own
// tests over a real state store). A fake by necessity, hence the name.
//
// The zone "formation.test" (id 7):
//   formation.test.        SOA, NS
//   ns1.formation.test.    A 192.0.2.53
//   www.formation.test.    A 192.0.2.1, A 192.0.2.2, AAAA 2001:db8::1
//   txt.formation.test.    TXT "hello world"
//   alias.formation.test.  CNAME www.formation.test.
//   geo.formation.test.    A 198.51.100.10 for clients in 198.51.100.0/24 (scope 24),
//                          else A 192.0.2.10 (scope 0)
// and an empty second zone "example.test" (id 9), SOA only.
#pragma once

#include <algorithm>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "zone_view.hpp"

namespace formation::dns_powerdns::testing {

inline constexpr std::string_view kTestZone = "formation.test";
inline constexpr std::int32_t kTestZoneId = 7;
inline constexpr std::uint32_t kTestZoneSerial = 2024010101;

class FixedZoneViewForTests final : public ZoneView {
 public:
  FixedZoneViewForTests() {
    zones_.push_back({"example.test", 9, 5});
    zones_.push_back({std::string(kTestZone), kTestZoneId, kTestZoneSerial});
    add("example.test", "SOA", "ns1.formation.test. hostmaster.example.test. 5 3600 600 604800 60",
        3600, 9);
    add("formation.test", "SOA",
        "ns1.formation.test. hostmaster.formation.test. 2024010101 3600 600 604800 60", 3600);
    add("formation.test", "NS", "ns1.formation.test.", 3600);
    add("ns1.formation.test", "A", "192.0.2.53", 3600);
    add("www.formation.test", "A", "192.0.2.1", 60);
    add("www.formation.test", "A", "192.0.2.2", 60);
    add("www.formation.test", "AAAA", "2001:db8::1", 60);
    add("txt.formation.test", "TXT", "\"hello world\"", 300);
    add("alias.formation.test", "CNAME", "www.formation.test.", 300);
  }

  void zones(std::vector<ZoneInfo>& out) const override {
    out.insert(out.end(), zones_.begin(), zones_.end());
  }

  bool zone(std::string_view name, ZoneInfo& out) const override {
    for (const ZoneInfo& zone : zones_) {
      if (zone.name == name) {
        out = zone;
        return true;
      }
    }
    return false;
  }

  void lookup(std::string_view qname, std::string_view qtype, const ClientInfo& client,
              std::vector<Answer>& out) const override {
    {
      std::lock_guard lock(mutex_);
      last_remote_ = client.remote;
      last_real_remote_ = client.real_remote;
      ++lookups_;
    }
    for (const Answer& answer : records_) {
      if (answer.name == qname && (qtype == "ANY" || answer.type == qtype)) out.push_back(answer);
    }
    if (qname == "geo.formation.test" && (qtype == "ANY" || qtype == "A")) {
      const bool nearby = client.real_remote.starts_with("198.51.100.");
      out.push_back({"geo.formation.test", "A", nearby ? "198.51.100.10" : "192.0.2.10", 30,
                     kTestZoneId, nearby ? 24 : 0});
    }
  }

  bool list(std::string_view zone, std::vector<Answer>& out) const override {
    ZoneInfo info;
    if (!this->zone(zone, info)) return false;
    for (const Answer& answer : records_) {
      if (answer.zone_id == info.id) out.push_back(answer);  // SOA is first: added first
    }
    return true;
  }

  // What the last lookup was told about the client.
  [[nodiscard]] std::string last_real_remote() const {
    std::lock_guard lock(mutex_);
    return last_real_remote_;
  }
  [[nodiscard]] std::string last_remote() const {
    std::lock_guard lock(mutex_);
    return last_remote_;
  }
  [[nodiscard]] std::size_t lookups() const {
    std::lock_guard lock(mutex_);
    return lookups_;
  }

 private:
  void add(std::string name, std::string type, std::string content, std::int64_t ttl,
           std::int32_t zone_id = kTestZoneId) {
    records_.push_back({std::move(name), std::move(type), std::move(content), ttl, zone_id, 0});
  }

  std::vector<ZoneInfo> zones_;  // ordered by name
  std::vector<Answer> records_;
  mutable std::mutex mutex_;
  mutable std::string last_remote_;
  mutable std::string last_real_remote_;
  mutable std::size_t lookups_ = 0;
};

}  // namespace formation::dns_powerdns::testing

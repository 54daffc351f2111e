// What the core answers, over snapshots built by hand (no store): every type, the apex,
// instance-following names, health, geo, scope, custom-domain zones, AXFR order.
//
// Names reach the ZoneView canonical (lower case, no trailing dot) and types upper case:
// the protocol normalises them (remote_protocol.cpp); a test below pins that other
// spellings have no data here.
#include <gtest/gtest.h>

#include "answers.hpp"

namespace formation::dns_powerdns {
namespace {

using namespace std::chrono_literals;

const TimePoint kNow = std::chrono::system_clock::now();

AnswerSettings settings(const std::string& json = "{}") {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  auto s = settings_from(doc, "/tmp");
  EXPECT_TRUE(s.is_ok()) << s.status().message();
  return s.is_ok() ? s->answers : AnswerSettings{};
}

DnsRecord record(const std::string& fqdn, DnsRecordType type, std::vector<std::string> values,
                 std::int64_t ttl = 300) {
  DnsRecord r;
  r.fqdn = fqdn;
  r.type = type;
  r.values = std::move(values);
  r.ttl = ttl;
  r.verified = true;
  return r;
}

DnsRecord following(const std::string& fqdn, const std::string& instance_id) {
  DnsRecord r = record(fqdn, DnsRecordType::a, {}, 60);
  r.instance_id = instance_id;
  return r;
}

Node node(const std::string& id, const std::string& region, const std::string& ip,
          std::chrono::seconds heartbeat_age = 0s) {
  Node n;
  n.id = id;
  n.region = region;
  n.public_ip = ip;
  n.heartbeat_at = kNow - heartbeat_age;
  return n;
}

Instance instance(const std::string& id, const std::string& node_id,
                  std::optional<std::string> formnet_ip) {
  Instance i;
  i.id = id;
  i.name = id;
  i.node_id = node_id;
  i.formnet_ip = std::move(formnet_ip);
  return i;
}

struct Fixture {
  SnapshotInput input;
  std::string settings_json = R"({"zone": "formation.test"})";
  SnapshotView view;

  Fixture() { input.now = kNow; }
  void build() { view.publish(build_snapshot(settings(settings_json), input)); }

  std::vector<Answer> ask(const std::string& qname, const std::string& qtype,
                          std::string_view remote = {}, std::string_view real_remote = {}) {
    std::vector<Answer> out;
    view.lookup(qname, qtype, ClientInfo{remote, real_remote}, out);
    return out;
  }
};

std::vector<std::string> contents(const std::vector<Answer>& answers) {
  std::vector<std::string> out;
  out.reserve(answers.size());
  for (const auto& a : answers) out.push_back(a.type + " " + a.content);
  return out;
}

using Strings = std::vector<std::string>;

TEST(Answers, ApexHasSoaAndNs) {
  Fixture f;
  f.input.change_serial = 42;
  f.build();
  auto soa = f.ask("formation.test", "SOA");
  ASSERT_EQ(soa.size(), 1u);
  EXPECT_EQ(soa[0].content, "ns1.formation.test. hostmaster.formation.test. 42 3600 600 604800 60");
  EXPECT_EQ(soa[0].ttl, 3600);
  EXPECT_EQ(soa[0].name, "formation.test");
  EXPECT_EQ(soa[0].zone_id, zone_id_of("formation.test"));
  EXPECT_EQ(soa[0].scope_prefix, 0);
  EXPECT_EQ(contents(f.ask("formation.test", "NS")), Strings{"NS ns1.formation.test."});
  EXPECT_EQ(contents(f.ask("formation.test", "ANY")),
            (Strings{"SOA ns1.formation.test. hostmaster.formation.test. 42 3600 600 604800 60",
                     "NS ns1.formation.test."}));
  ZoneInfo info;
  ASSERT_TRUE(f.view.zone("formation.test", info));
  EXPECT_EQ(info.serial, 42u);
  EXPECT_GT(info.id, 0);
}

TEST(Answers, EveryStoredType) {
  Fixture f;
  f.input.records = {
      record("web.formation.test", DnsRecordType::a, {"192.0.2.1", "192.0.2.2"}, 120),
      record("web.formation.test", DnsRecordType::aaaa, {"2001:db8::1"}),
      record("www.formation.test", DnsRecordType::cname, {"web.formation.test"}),
      record("web.formation.test", DnsRecordType::txt, {"hello world", "second"}),
  };
  f.build();
  auto a = f.ask("web.formation.test", "A");
  EXPECT_EQ(contents(a), (Strings{"A 192.0.2.1", "A 192.0.2.2"}));
  EXPECT_EQ(a[0].ttl, 120);
  EXPECT_EQ(a[0].scope_prefix, 0);
  EXPECT_EQ(contents(f.ask("web.formation.test", "AAAA")), Strings{"AAAA 2001:db8::1"});
  EXPECT_EQ(contents(f.ask("www.formation.test", "CNAME")), Strings{"CNAME web.formation.test."});
  EXPECT_EQ(contents(f.ask("web.formation.test", "TXT")),
            (Strings{"TXT \"hello world\"", "TXT \"second\""}));
  EXPECT_EQ(contents(f.ask("web.formation.test", "ANY")),
            (Strings{"A 192.0.2.1", "A 192.0.2.2", "AAAA 2001:db8::1", "TXT \"hello world\"",
                     "TXT \"second\""}));
}

TEST(Answers, NoDataAndNoNameBothAnswerNothingButAnyTellsThemApart) {
  Fixture f;
  f.input.records = {record("web.formation.test", DnsRecordType::a, {"192.0.2.1"})};
  f.build();
  EXPECT_TRUE(f.ask("web.formation.test", "AAAA").empty());  // NODATA: the name exists
  EXPECT_TRUE(f.ask("web.formation.test", "MX").empty());
  EXPECT_FALSE(f.ask("web.formation.test", "ANY").empty());
  EXPECT_TRUE(f.ask("nope.formation.test", "ANY").empty());  // NXDOMAIN
  EXPECT_TRUE(f.ask("example.com", "ANY").empty());          // not ours at all
  EXPECT_TRUE(f.ask("x.web.formation.test", "A").empty());   // no wildcards, no descent
}

TEST(Answers, NamesMustArriveCanonical) {
  Fixture f;
  f.input.records = {record("web.formation.test", DnsRecordType::a, {"192.0.2.1"})};
  f.build();
  EXPECT_TRUE(f.ask("WEB.formation.test", "A").empty());
  EXPECT_TRUE(f.ask("web.formation.test.", "A").empty());
  EXPECT_TRUE(f.ask("web.formation.test", "a").empty());
}

TEST(Answers, UnverifiedRecordsAreNotServed) {
  Fixture f;
  auto pending = record("example.org", DnsRecordType::a, {"192.0.2.9"});
  pending.verified = false;
  f.input.records = {pending};
  f.build();
  EXPECT_TRUE(f.ask("example.org", "ANY").empty());
  std::vector<ZoneInfo> zones;
  f.view.zones(zones);
  ASSERT_EQ(zones.size(), 1u);
  EXPECT_EQ(zones[0].name, "formation.test");
}

TEST(Answers, InstanceNamesFollowTheMeshInsideAndTheNodeOutside) {
  Fixture f;
  f.input.nodes = {node("n1", "eu", "203.0.113.10")};
  f.input.instances = {instance("i1", "n1", "10.42.0.7")};
  f.input.records = {following("app.formation.test", "i1")};
  f.build();
  auto inside = f.ask("app.formation.test", "A", "10.42.0.99", "10.42.0.99/32");
  EXPECT_EQ(contents(inside), Strings{"A 10.42.0.7"});
  EXPECT_EQ(inside[0].scope_prefix, 32);
  EXPECT_EQ(inside[0].ttl, 60);
  auto outside = f.ask("app.formation.test", "A", "198.51.100.1", "198.51.100.1/32");
  EXPECT_EQ(contents(outside), Strings{"A 203.0.113.10"});
  EXPECT_EQ(outside[0].scope_prefix, 32);
  // The client subnet, when the resolver sent one, is who asks; its length is the scope.
  auto ecs = f.ask("app.formation.test", "A", "198.51.100.1", "10.42.3.0/24");
  EXPECT_EQ(contents(ecs), Strings{"A 10.42.0.7"});
  EXPECT_EQ(ecs[0].scope_prefix, 24);
  // "/0" means no subnet: back to the resolver's address, at full length.
  auto zero = f.ask("app.formation.test", "A", "198.51.100.1", "0.0.0.0/0");
  EXPECT_EQ(contents(zero), Strings{"A 203.0.113.10"});
  EXPECT_EQ(zero[0].scope_prefix, 32);
  // Nobody known: as to a client outside the mesh.
  EXPECT_EQ(contents(f.ask("app.formation.test", "A")), Strings{"A 203.0.113.10"});
}

TEST(Answers, FollowedAddressesAreTypedByFamily) {
  Fixture f;
  f.input.nodes = {node("n6", "", "2001:db8::10")};
  f.input.instances = {instance("i1", "n6", std::nullopt)};
  f.input.records = {following("app.formation.test", "i1")};  // stored as A
  f.build();
  EXPECT_TRUE(f.ask("app.formation.test", "A").empty());
  EXPECT_EQ(contents(f.ask("app.formation.test", "AAAA")), Strings{"AAAA 2001:db8::10"});
  // No mesh address: the answer is the same for everyone, so it is not scoped.
  auto any = f.ask("app.formation.test", "ANY", "10.42.0.1");
  EXPECT_EQ(contents(any), Strings{"AAAA 2001:db8::10"});
  EXPECT_EQ(any[0].scope_prefix, 0);
}

TEST(Answers, InstanceGoneAnswersNothing) {
  Fixture f;
  f.input.records = {following("ghost.formation.test", "gone")};
  f.build();
  EXPECT_TRUE(f.ask("ghost.formation.test", "A").empty());
}

TEST(Answers, StaleNodesAreLeftOutUnlessNoneWouldRemain) {
  Fixture f;
  f.settings_json = R"({"zone": "formation.test", "stale_after_seconds": 30})";
  f.input.nodes = {node("n1", "eu", "203.0.113.1", 5s), node("n2", "eu", "203.0.113.2", 300s),
                   node("n3", "us", "203.0.113.3", 10s)};
  f.input.records = {
      record("lb.formation.test", DnsRecordType::a,
             {"203.0.113.1", "203.0.113.2", "203.0.113.3", "192.0.2.50"}),
      record("down.formation.test", DnsRecordType::a, {"203.0.113.2"}),
  };
  f.build();
  // 192.0.2.50 is on no node: nothing says it is unhealthy.
  EXPECT_EQ(contents(f.ask("lb.formation.test", "A")),
            (Strings{"A 203.0.113.1", "A 203.0.113.3", "A 192.0.2.50"}));
  EXPECT_EQ(contents(f.ask("down.formation.test", "A")), Strings{"A 203.0.113.2"});

  f.input.nodes[0].heartbeat_at = kNow - 100s;
  f.input.nodes[2].heartbeat_at = kNow - 100s;
  f.input.records = {record("lb.formation.test", DnsRecordType::a, {"203.0.113.1", "203.0.113.2"})};
  f.build();
  EXPECT_EQ(contents(f.ask("lb.formation.test", "A")), (Strings{"A 203.0.113.1", "A 203.0.113.2"}));
}

TEST(Answers, ClientRegionFirstOrderOtherwiseKept) {
  Fixture f;
  f.settings_json = R"({"zone": "formation.test", "regions": [
      {"cidr": "198.51.100.0/24", "region": "us"}, {"cidr": "192.0.2.0/24", "region": "eu"},
      {"cidr": "2001:db8:e::/48", "region": "eu"}]})";
  f.input.nodes = {node("n1", "eu", "203.0.113.1"), node("n2", "us", "203.0.113.2"),
                   node("n3", "eu", "203.0.113.3"), node("n4", "us", "203.0.113.4")};
  f.input.records = {
      record("geo.formation.test", DnsRecordType::a,
             {"203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"}),
      record("flat.formation.test", DnsRecordType::a, {"203.0.113.1", "203.0.113.3"})};
  f.build();
  const Strings stored{"A 203.0.113.1", "A 203.0.113.2", "A 203.0.113.3", "A 203.0.113.4"};
  const Strings us_first{"A 203.0.113.2", "A 203.0.113.4", "A 203.0.113.1", "A 203.0.113.3"};
  const Strings eu_first{"A 203.0.113.1", "A 203.0.113.3", "A 203.0.113.2", "A 203.0.113.4"};
  auto us = f.ask("geo.formation.test", "A", "198.51.100.9");
  EXPECT_EQ(contents(us), us_first);
  EXPECT_EQ(us[0].scope_prefix, 32);
  EXPECT_EQ(contents(f.ask("geo.formation.test", "A", "192.0.2.9")), eu_first);
  // The client subnet wins over the resolver's own address.
  auto ecs = f.ask("geo.formation.test", "A", "192.0.2.9", "198.51.100.0/24");
  EXPECT_EQ(contents(ecs), us_first);
  EXPECT_EQ(ecs[0].scope_prefix, 24);
  auto v6 = f.ask("geo.formation.test", "A", "2001:db8:e::1");
  EXPECT_EQ(contents(v6), eu_first);
  EXPECT_EQ(v6[0].scope_prefix, 128);
  // No region for this client: stored order.
  EXPECT_EQ(contents(f.ask("geo.formation.test", "A", "203.0.113.200")), stored);
  // All addresses in one region: nothing to reorder, not scoped.
  auto flat = f.ask("flat.formation.test", "A", "198.51.100.9");
  EXPECT_EQ(flat[0].scope_prefix, 0);
}

TEST(Answers, CustomDomainsAreZonesOfTheirOwn) {
  Fixture f;
  f.input.records = {
      record("example.org", DnsRecordType::a, {"192.0.2.1"}),
      record("www.example.org", DnsRecordType::cname, {"example.org"}),
      record("shop.example.net", DnsRecordType::a, {"192.0.2.2"}),  // a subdomain as apex
      record("web.formation.test", DnsRecordType::a, {"192.0.2.3"}),
  };
  f.build();
  std::vector<ZoneInfo> zones;
  f.view.zones(zones);
  ASSERT_EQ(zones.size(), 3u);
  EXPECT_EQ(zones[0].name, "example.org");
  EXPECT_EQ(zones[1].name, "formation.test");
  EXPECT_EQ(zones[2].name, "shop.example.net");
  EXPECT_EQ(zones[0].id, zone_id_of("example.org"));
  EXPECT_EQ(contents(f.ask("example.org", "ANY")),
            (Strings{"SOA ns1.formation.test. hostmaster.formation.test. 1 3600 600 604800 60",
                     "NS ns1.formation.test.", "A 192.0.2.1"}));
  auto www = f.ask("www.example.org", "CNAME");
  ASSERT_EQ(www.size(), 1u);
  EXPECT_EQ(www[0].zone_id, zones[0].id);
  EXPECT_EQ(f.ask("shop.example.net", "SOA").size(), 1u);
  ZoneInfo info;
  EXPECT_FALSE(f.view.zone("example.net", info));
}

TEST(Answers, ListGivesSoaNsThenTheZonesNamesButNotDeeperZones) {
  Fixture f;
  f.settings_json = R"({"zone": "formation.example.org"})";
  f.input.records = {
      record("example.org", DnsRecordType::txt, {"v=spf1 -all"}),
      record("www.example.org", DnsRecordType::a, {"192.0.2.1"}),
      record("app.formation.example.org", DnsRecordType::a, {"192.0.2.2"}),
  };
  f.build();
  std::vector<Answer> out;
  ASSERT_TRUE(f.view.list("example.org", out));
  EXPECT_EQ(contents(out),
            (Strings{"SOA ns1.formation.example.org. hostmaster.formation.example.org. 1 3600 "
                     "600 604800 60",
                     "NS ns1.formation.example.org.", "TXT \"v=spf1 -all\"", "A 192.0.2.1"}));
  EXPECT_EQ(out[3].name, "www.example.org");
  out.clear();
  ASSERT_TRUE(f.view.list("formation.example.org", out));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2].name, "app.formation.example.org");
  out.clear();
  EXPECT_FALSE(f.view.list("www.example.org", out));
  EXPECT_TRUE(out.empty());
}

TEST(Answers, ListAnswersAsToAClientOutsideTheMesh) {
  Fixture f;
  f.input.nodes = {node("n1", "eu", "203.0.113.10")};
  f.input.instances = {instance("i1", "n1", "10.42.0.7")};
  f.input.records = {following("app.formation.test", "i1")};
  f.build();
  std::vector<Answer> out;
  ASSERT_TRUE(f.view.list("formation.test", out));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2].content, "203.0.113.10");
}

TEST(Answers, NameserversGetAddressesUnderServedZones) {
  Fixture f;
  f.settings_json = R"({"zone": "formation.test", "ttl": 90, "nameservers": [
      {"name": "ns1.formation.test", "addresses": ["192.0.2.53", "2001:db8::53"]},
      {"name": "ns.elsewhere.net", "addresses": ["192.0.2.54"]}]})";
  f.build();
  EXPECT_EQ(contents(f.ask("formation.test", "NS")),
            (Strings{"NS ns1.formation.test.", "NS ns.elsewhere.net."}));
  auto a = f.ask("ns1.formation.test", "A");
  EXPECT_EQ(contents(a), Strings{"A 192.0.2.53"});
  EXPECT_EQ(a[0].ttl, 90);
  EXPECT_EQ(contents(f.ask("ns1.formation.test", "AAAA")), Strings{"AAAA 2001:db8::53"});
  EXPECT_TRUE(f.ask("ns.elsewhere.net", "A").empty());
}

TEST(Answers, StaticAddressesOfTheWrongFamilyAreTypedByWhatTheyAre) {
  Fixture f;
  f.input.records = {record("mixed.formation.test", DnsRecordType::a,
                            {"192.0.2.1", "2001:db8::1", "not-an-address"})};
  f.build();
  EXPECT_EQ(contents(f.ask("mixed.formation.test", "A")), Strings{"A 192.0.2.1"});
  EXPECT_EQ(contents(f.ask("mixed.formation.test", "AAAA")), Strings{"AAAA 2001:db8::1"});
}

TEST(TxtContent, QuotesEscapesAndSplitsAt255Bytes) {
  EXPECT_EQ(txt_content(""), "\"\"");
  EXPECT_EQ(txt_content(R"(say "hi" \o/)"), R"("say \"hi\" \\o/")");
  EXPECT_EQ(txt_content("tab\there"), "\"tab\\009here\"");
  const std::string long_value(300, 'x');
  EXPECT_EQ(txt_content(long_value),
            "\"" + std::string(255, 'x') + "\" \"" + std::string(45, 'x') + "\"");
  EXPECT_EQ(txt_content(std::string(255, 'y')), "\"" + std::string(255, 'y') + "\"");
}

TEST(ZoneIds, StableAndPositive) {
  EXPECT_EQ(zone_id_of("formation.test"), zone_id_of("formation.test"));
  EXPECT_NE(zone_id_of("formation.test"), zone_id_of("example.org"));
  for (const char* zone : {"a", "formation.internal", "example.org", "x.y.z"}) {
    EXPECT_GT(zone_id_of(zone), 0) << zone;
  }
}

}  // namespace
}  // namespace formation::dns_powerdns

// The DNS routes' rules without a server: which bodies and values are accepted
// (dns_record_input) and who may write at a name (dns_name_rights).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/dns_name_rights.hpp"
#include "api/dns_record_input.hpp"

namespace formation::host::api {
namespace {

const std::string kMe = "0x1111111111111111111111111111111111111111";
const std::string kOther = "0x2222222222222222222222222222222222222222";
const NameContext kNames{"formation.test", {"ns1.formation.test"}};

DnsRecord record(const std::string& fqdn, DnsRecordType type, const std::string& owner,
                 bool verified) {
  DnsRecord r;
  r.fqdn = fqdn;
  r.type = type;
  r.owner = owner;
  r.verified = verified;
  return r;
}

// ---- bodies and values ----------------------------------------------------------------

TEST(DnsRecordInput, RelativeNamesAreUnderTheZone) {
  EXPECT_EQ(*resolve_record_name("Web", "formation.test"), "web.formation.test");
  EXPECT_EQ(*resolve_record_name("web.example.org.", "formation.test"), "web.example.org");
  EXPECT_FALSE(resolve_record_name("", "formation.test").is_ok());
  EXPECT_FALSE(resolve_record_name(std::string(64, 'a'), "formation.test").is_ok());
}

TEST(DnsRecordInput, ValuesAreCheckedAndMadeCanonical) {
  auto a = parse_record_input(R"({"type": "a", "values": ["192.0.2.1", "192.0.2.1", "10.0.0.1"]})");
  ASSERT_TRUE(a.is_ok()) << a.status().to_string();
  EXPECT_EQ(a->type, DnsRecordType::a);
  EXPECT_EQ(a->values, (std::vector<std::string>{"192.0.2.1", "10.0.0.1"}));
  EXPECT_EQ(a->ttl, 300);
  auto aaaa = parse_record_input(R"({"type": "AAAA", "values": ["2001:DB8:0::1"], "ttl": 60})");
  ASSERT_TRUE(aaaa.is_ok()) << aaaa.status().to_string();
  EXPECT_EQ(aaaa->values, (std::vector<std::string>{"2001:db8::1"}));
  EXPECT_EQ(aaaa->ttl, 60);
  auto cname = parse_record_input(R"({"type": "cname", "values": ["Target.Example.org."]})");
  ASSERT_TRUE(cname.is_ok());
  EXPECT_EQ(cname->values, (std::vector<std::string>{"target.example.org"}));
  auto follow = parse_record_input(R"({"type": "A", "instance_id": "abc"})");
  ASSERT_TRUE(follow.is_ok());
  EXPECT_EQ(*follow->instance_id, "abc");
  EXPECT_TRUE(follow->values.empty());
}

TEST(DnsRecordInput, GarbageIsRefusedWithWhatIsWrong) {
  struct Case {
    const char* body;
    const char* says;
  };
  const std::string long_txt(256, 'x');
  const std::string many = R"({"type":"A","values":["1.1.1.1","1.1.1.2","1.1.1.3","1.1.1.4",)"
                           R"("1.1.1.5","1.1.1.6","1.1.1.7","1.1.1.8","1.1.1.9","1.1.1.10",)"
                           R"("1.1.1.11","1.1.1.12","1.1.1.13","1.1.1.14","1.1.1.15",)"
                           R"("1.1.1.16","1.1.1.17"]})";
  const std::string txt = R"({"type":"TXT","values":[")" + long_txt + R"("]})";
  const std::vector<Case> cases = {
      {"", "invalid JSON"},
      {"[1]", "JSON object"},
      {R"({"values": ["1.2.3.4"]})", "'type' is required"},
      {R"({"type": "MX", "values": ["x"]})", "expected A, AAAA, CNAME or TXT"},
      {R"({"type": "A"})", "give 'values'"},
      {R"({"type": "A", "values": []})", "at least one"},
      {R"({"type": "A", "values": "1.2.3.4"})", "array of strings"},
      {R"({"type": "A", "values": [1]})", "array of strings"},
      {R"({"type": "A", "values": ["1.2.3"]})", "not an IPv4 address"},
      {R"({"type": "A", "values": ["::1"]})", "not an IPv4 address"},
      {R"({"type": "AAAA", "values": ["1.2.3.4"]})", "not an IPv6 address"},
      {R"({"type": "CNAME", "values": ["a.org", "b.org"]})", "exactly one"},
      {R"({"type": "CNAME", "values": ["a..org"]})", "empty label"},
      {R"({"type": "TXT", "values": ["tab\there"]})", "printable ASCII"},
      {txt.c_str(), "at most 255"},
      {many.c_str(), "at most 16"},
      {R"({"type": "A", "values": ["1.2.3.4"], "ttl": 0})", "ttl: must be from 1 to 604800"},
      {R"({"type": "A", "values": ["1.2.3.4"], "ttl": 604801})", "ttl"},
      {R"({"type": "A", "values": ["1.2.3.4"], "ttl": "300"})", "'ttl' must be an integer"},
      {R"({"type": "A", "values": ["1.2.3.4"], "instance_id": "i"})", "not both"},
      {R"({"type": "TXT", "instance_id": "i"})", "must be A or AAAA"},
      {R"({"type": "A", "values": ["1.2.3.4"], "owner": "x"})", "unknown field 'owner'"},
  };
  for (const auto& c : cases) {
    auto r = parse_record_input(c.body);
    ASSERT_FALSE(r.is_ok()) << c.body;
    EXPECT_EQ(r.status().code(), StatusCode::invalid) << c.body;
    EXPECT_NE(r.status().message().find(c.says), std::string::npos)
        << c.body << " -> " << r.status().message();
  }
}

// ---- rights ---------------------------------------------------------------------------

TEST(DnsNameRights, ReservedNames) {
  for (const char* name :
       {"formation.test", "ns1.formation.test", "test", "_formation-challenge.web.formation.test",
        "_formation-challenge.example.org"}) {
    auto r = may_write(kMe, name, DnsRecordType::a, kNames, {});
    ASSERT_FALSE(r.is_ok()) << name;
    EXPECT_EQ(r.status().code(), StatusCode::permission_denied) << name;
  }
}

TEST(DnsNameRights, VanityNamesAreFirstComeFirstServedWithAncestors) {
  auto free = may_write(kMe, "web.formation.test", DnsRecordType::a, kNames, {});
  ASSERT_TRUE(free.is_ok());
  EXPECT_TRUE(free->verified);
  // Another account at the name (any type), or at an ancestor below the zone.
  auto at_name = may_write(kMe, "web.formation.test", DnsRecordType::a, kNames,
                           {record("web.formation.test", DnsRecordType::txt, kOther, true)});
  ASSERT_FALSE(at_name.is_ok());
  EXPECT_EQ(at_name.status().code(), StatusCode::permission_denied);
  EXPECT_NE(at_name.status().message().find("owned by another account"), std::string::npos);
  EXPECT_EQ(at_name.status().message().find(kOther), std::string::npos) << "leaks the owner";
  auto below = may_write(kMe, "api.web.formation.test", DnsRecordType::a, kNames,
                         {record("web.formation.test", DnsRecordType::a, kOther, true)});
  ASSERT_FALSE(below.is_ok());
  EXPECT_NE(below.status().message().find("lies under web.formation.test"), std::string::npos);
  // Mine at the ancestor: fine.
  EXPECT_TRUE(may_write(kMe, "api.web.formation.test", DnsRecordType::a, kNames,
                        {record("web.formation.test", DnsRecordType::a, kMe, true)})
                  .is_ok());
}

TEST(DnsNameRights, CustomDomains) {
  auto one_label = may_write(kMe, "org", DnsRecordType::a, kNames, {});
  ASSERT_FALSE(one_label.is_ok());
  EXPECT_EQ(one_label.status().code(), StatusCode::invalid);
  auto fresh = may_write(kMe, "example.org", DnsRecordType::a, kNames, {});
  ASSERT_TRUE(fresh.is_ok());
  EXPECT_FALSE(fresh->verified);
  EXPECT_FALSE(fresh->needs_takeover);
  // Verified through my own ancestor.
  auto sub = may_write(kMe, "www.example.org", DnsRecordType::a, kNames,
                       {record("example.org", DnsRecordType::txt, kMe, true)});
  ASSERT_TRUE(sub.is_ok());
  EXPECT_TRUE(sub->verified);
  // Another account verified the name or an ancestor: refused.
  auto taken = may_write(kMe, "www.example.org", DnsRecordType::a, kNames,
                         {record("example.org", DnsRecordType::a, kOther, true)});
  ASSERT_FALSE(taken.is_ok());
  EXPECT_EQ(taken.status().code(), StatusCode::permission_denied);
  // Another account's unverified claim of the same type: a takeover; of another type: fine.
  auto claimed = may_write(kMe, "example.org", DnsRecordType::a, kNames,
                           {record("example.org", DnsRecordType::a, kOther, false)});
  ASSERT_TRUE(claimed.is_ok());
  EXPECT_TRUE(claimed->needs_takeover);
  auto other_type = may_write(kMe, "example.org", DnsRecordType::txt, kNames,
                              {record("example.org", DnsRecordType::a, kOther, false)});
  ASSERT_TRUE(other_type.is_ok());
  EXPECT_FALSE(other_type->needs_takeover);
}

}  // namespace
}  // namespace formation::host::api

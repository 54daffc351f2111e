// RemoteProtocol: every method's reply has the field names and types pdns 4.7 reads
// (modules/remotebackend/remotebackend.cc), names are matched whatever their case or final
// dot, and malformed requests get {"result":false} and a warning saying what was wrong.
#include "remote_protocol.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "dns_names.hpp"
#include "tests/fixed_zone_view_for_tests.hpp"
#include "tests/protocol_test_support.hpp"

namespace formation::dns_powerdns {
namespace {

using testing::CapturedLog;
using testing::FixedZoneViewForTests;
using testing::parse_reply;

constexpr std::string_view kFalse = R"({"result":false})";

class RemoteProtocolTest : public ::testing::Test {
 protected:
  std::string call(std::string_view request) {
    std::string reply = "left over from before";
    protocol.handle(request, reply);
    return reply;
  }
  std::string lookup(std::string_view qname, std::string_view qtype,
                     std::string_view real_remote = "192.0.2.200/32") {
    return call(R"({"method":"lookup","parameters":{"qtype":")" + std::string(qtype) +
                R"(","qname":")" + std::string(qname) +
                R"(","remote":"192.0.2.200","local":"127.0.0.1","real-remote":")" +
                std::string(real_remote) + R"(","zone-id":-1}})");
  }

  FixedZoneViewForTests view;
  CapturedLog log;
  RemoteProtocol protocol{view, log.logger};
};

// The member names of an object, and the JSON type of each ("string", "int", ...).
std::map<std::string, std::string> shape(const rapidjson::Value& object) {
  std::map<std::string, std::string> out;
  for (const auto& member : object.GetObject()) {
    const auto& v = member.value;
    std::string type = v.IsString()   ? "string"
                       : v.IsInt()    ? "int"
                       : v.IsUint()   ? "uint"
                       : v.IsArray()  ? "array"
                       : v.IsObject() ? "object"
                       : v.IsBool()   ? "bool"
                                      : "other";
    out[member.name.GetString()] = type;
  }
  return out;
}

const std::map<std::string, std::string> kRecordShape = {
    {"qtype", "string"},  {"qname", "string"},  {"content", "string"}, {"ttl", "int"},
    {"domain_id", "int"}, {"scopeMask", "int"}, {"auth", "int"}};

const std::map<std::string, std::string> kDomainInfoShape = {
    {"id", "int"},         {"zone", "string"}, {"serial", "int"},   {"notified_serial", "int"},
    {"last_check", "int"}, {"kind", "string"}, {"masters", "array"}};

TEST_F(RemoteProtocolTest, InitializeAnswersTrue) {
  EXPECT_EQ(call(R"({"method":"initialize","parameters":{"path":"/run/x.sock","timeout":"2000"}})"),
            R"({"result":true})");
}

TEST_F(RemoteProtocolTest, LookupReplyHasTheFieldsPdnsReads) {
  auto doc = parse_reply(lookup("www.formation.test.", "A"));
  ASSERT_FALSE(doc.HasParseError());
  ASSERT_TRUE(doc.IsObject());
  ASSERT_EQ(doc.MemberCount(), 1u);
  ASSERT_TRUE(doc["result"].IsArray());
  ASSERT_EQ(doc["result"].Size(), 2u);
  std::set<std::string> contents;
  for (const auto& record : doc["result"].GetArray()) {
    EXPECT_EQ(shape(record), kRecordShape);
    EXPECT_STREQ(record["qtype"].GetString(), "A");
    EXPECT_STREQ(record["qname"].GetString(), "www.formation.test.");
    EXPECT_EQ(record["ttl"].GetInt(), 60);
    EXPECT_EQ(record["domain_id"].GetInt(), testing::kTestZoneId);
    EXPECT_EQ(record["scopeMask"].GetInt(), 0);
    EXPECT_EQ(record["auth"].GetInt(), 1);
    contents.insert(record["content"].GetString());
  }
  EXPECT_EQ(contents, (std::set<std::string>{"192.0.2.1", "192.0.2.2"}));
}

TEST_F(RemoteProtocolTest, LookupMatchesNamesInAnyCaseWithOrWithoutTheFinalDot) {
  const std::string expected = lookup("www.formation.test.", "A");
  EXPECT_EQ(lookup("WWW.Formation.TEST.", "A"), expected);
  EXPECT_EQ(lookup("www.formation.test", "A"), expected);
  EXPECT_EQ(lookup("www.formation.test.", "a"), expected);
}

TEST_F(RemoteProtocolTest, LookupAnyReturnsEveryTypeAtTheName) {
  auto doc = parse_reply(lookup("www.formation.test.", "ANY"));
  ASSERT_TRUE(doc["result"].IsArray());
  std::multiset<std::string> types;
  for (const auto& record : doc["result"].GetArray()) types.insert(record["qtype"].GetString());
  EXPECT_EQ(types, (std::multiset<std::string>{"A", "A", "AAAA"}));
}

TEST_F(RemoteProtocolTest, LookupKeepsTxtQuotesAndCnameTargets) {
  auto txt = parse_reply(lookup("txt.formation.test.", "TXT"));
  ASSERT_TRUE(txt["result"].IsArray());
  EXPECT_STREQ(txt["result"][0]["content"].GetString(), "\"hello world\"");
  auto cname = parse_reply(lookup("alias.formation.test.", "ANY"));
  ASSERT_TRUE(cname["result"].IsArray());
  EXPECT_STREQ(cname["result"][0]["content"].GetString(), "www.formation.test.");
}

TEST_F(RemoteProtocolTest, LookupWithoutDataIsFalse) {
  EXPECT_EQ(lookup("nothing.formation.test.", "A"), kFalse);
  EXPECT_EQ(lookup("www.formation.test.", "MX"), kFalse);
  EXPECT_EQ(lookup("www.elsewhere.example.", "ANY"), kFalse);
}

TEST_F(RemoteProtocolTest, LookupOfNamesNoZoneCanHoldIsFalseWithoutAWarning) {
  // pdns asks for wildcards and walks up to the root while finding the zone.
  for (const char* qname : {"*.formation.test.", ".", "", "a..formation.test.",
                            "-a.formation.test.", "bad name.formation.test."}) {
    EXPECT_EQ(lookup(qname, "ANY"), kFalse) << qname;
  }
  EXPECT_EQ(log.count("[warning]"), 0u) << log.text();
}

TEST_F(RemoteProtocolTest, LookupPassesTheClientSubnetAndSendsBackTheScope) {
  auto near = parse_reply(lookup("geo.formation.test.", "A", "198.51.100.7/32"));
  EXPECT_EQ(view.last_real_remote(), "198.51.100.7/32");
  EXPECT_EQ(view.last_remote(), "192.0.2.200");
  ASSERT_TRUE(near["result"].IsArray());
  EXPECT_STREQ(near["result"][0]["content"].GetString(), "198.51.100.10");
  EXPECT_EQ(near["result"][0]["scopeMask"].GetInt(), 24);

  auto far = parse_reply(lookup("geo.formation.test.", "A", "203.0.113.9/32"));
  ASSERT_TRUE(far["result"].IsArray());
  EXPECT_STREQ(far["result"][0]["content"].GetString(), "192.0.2.10");
  EXPECT_EQ(far["result"][0]["scopeMask"].GetInt(), 0);
}

TEST_F(RemoteProtocolTest, GetAllDomainsListsEveryZoneAsDomainInfo) {
  auto doc =
      parse_reply(call(R"({"method":"getAllDomains","parameters":{"include_disabled":false}})"));
  ASSERT_TRUE(doc["result"].IsArray());
  ASSERT_EQ(doc["result"].Size(), 2u);
  for (const auto& info : doc["result"].GetArray()) EXPECT_EQ(shape(info), kDomainInfoShape);
  const auto& zone = doc["result"][1];
  EXPECT_EQ(zone["id"].GetInt(), testing::kTestZoneId);
  EXPECT_STREQ(zone["zone"].GetString(), "formation.test.");
  EXPECT_EQ(zone["serial"].GetUint(), testing::kTestZoneSerial);
  EXPECT_EQ(zone["notified_serial"].GetUint(), testing::kTestZoneSerial);
  EXPECT_EQ(zone["last_check"].GetInt(), 0);
  EXPECT_STREQ(zone["kind"].GetString(), "native");
  EXPECT_EQ(zone["masters"].Size(), 0u);
}

TEST_F(RemoteProtocolTest, GetDomainInfoAnswersForServedZonesOnly) {
  auto doc =
      parse_reply(call(R"({"method":"getDomainInfo","parameters":{"name":"Formation.Test."}})"));
  ASSERT_TRUE(doc["result"].IsObject());
  EXPECT_EQ(shape(doc["result"]), kDomainInfoShape);
  EXPECT_STREQ(doc["result"]["zone"].GetString(), "formation.test.");
  EXPECT_EQ(call(R"({"method":"getDomainInfo","parameters":{"name":"www.formation.test."}})"),
            kFalse);
  EXPECT_EQ(call(R"({"method":"getDomainInfo","parameters":{"name":"."}})"), kFalse);
}

TEST_F(RemoteProtocolTest, ListGivesEveryRecordOfTheZoneSoaFirst) {
  auto doc = parse_reply(
      call(R"({"method":"list","parameters":{"zonename":"formation.test.","domain_id":7}})"));
  ASSERT_TRUE(doc["result"].IsArray());
  ASSERT_EQ(doc["result"].Size(), 8u);
  EXPECT_STREQ(doc["result"][0]["qtype"].GetString(), "SOA");
  for (const auto& record : doc["result"].GetArray()) EXPECT_EQ(shape(record), kRecordShape);
  EXPECT_EQ(call(R"({"method":"list","parameters":{"zonename":"other.test.","domain_id":3}})"),
            kFalse);
}

TEST_F(RemoteProtocolTest, MetadataIsEmptyForServedZonesAndFalseOtherwise) {
  EXPECT_EQ(call(R"({"method":"getAllDomainMetadata","parameters":{"name":"formation.test."}})"),
            R"({"result":{}})");
  EXPECT_EQ(call(R"({"method":"getAllDomainMetadata","parameters":{"name":"other.test."}})"),
            kFalse);
  EXPECT_EQ(
      call(
          R"({"method":"getDomainMetadata","parameters":{"name":"formation.test.","kind":"PRESIGNED"}})"),
      R"({"result":[]})");
  EXPECT_EQ(
      call(
          R"({"method":"getDomainMetadata","parameters":{"name":"other.test.","kind":"PRESIGNED"}})"),
      kFalse);
}

TEST_F(RemoteProtocolTest, NoZoneNeedsNotifyingOrTransferring) {
  EXPECT_EQ(call(R"({"method":"getUpdatedMasters","parameters":{}})"), R"({"result":[]})");
  EXPECT_EQ(call(R"({"method":"getUnfreshSlaveInfos","parameters":{}})"), R"({"result":[]})");
}

TEST_F(RemoteProtocolTest, UnknownMethodsAreFalseAndLoggedAtDebugOnly) {
  EXPECT_EQ(call(R"({"method":"getDomainKeys","parameters":{"name":"formation.test."}})"), kFalse);
  EXPECT_EQ(call(R"({"method":"startTransaction","parameters":{"domain":"x.","domain_id":1}})"),
            kFalse);
  EXPECT_EQ(log.count("[warning]"), 0u) << log.text();
  EXPECT_EQ(log.count("[debug] PowerDNS called 'getDomainKeys'"), 1u) << log.text();
}

struct MalformedCase {
  std::string name;
  std::string request;
  std::string warning;  // a fragment of the warning logged
};

class RemoteProtocolMalformedTest : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(RemoteProtocolMalformedTest, AnswersFalseAndSaysWhatWasWrong) {
  FixedZoneViewForTests view;
  CapturedLog log;
  RemoteProtocol protocol(view, log.logger);
  std::string reply;
  protocol.handle(GetParam().request, reply);
  EXPECT_EQ(reply, kFalse);
  EXPECT_EQ(log.count("[warning]"), 1u) << log.text();
  EXPECT_NE(log.text().find(GetParam().warning), std::string::npos) << log.text();
  // The protocol still answers properly afterwards.
  protocol.handle(R"({"method":"initialize","parameters":{}})", reply);
  EXPECT_EQ(reply, R"({"result":true})");
}

std::vector<MalformedCase> malformed_cases() {
  using namespace std::string_literals;
  return {
      {"Empty", "", "not JSON"},
      {"NotJson", "hello", "not JSON"},
      {"TruncatedJson", R"({"method":"lookup","parameters":{"qname")", "not JSON"},
      {"TrailingGarbage", R"({"method":"initialize"} {"method":"initialize"})", "not JSON"},
      {"InvalidUtf8", "{\"method\":\"lookup\xff\"}", "not JSON"},
      {"NulInside", "{\"method\":\"init\0ialize\"}"s, "not JSON"},
      {"Array", R"([{"method":"initialize"}])", "an array, not a JSON object"},
      {"Number", "42", "a number, not a JSON object"},
      {"NoMethod", R"({"parameters":{}})", "member 'method' is missing"},
      {"MethodNotString", R"({"method":7})", "member 'method' is a number, not a string"},
      {"ParametersNotObject", R"({"method":"lookup","parameters":[]})",
       "lookup: member 'parameters' is an array, not an object"},
      {"LookupWithoutQname", R"({"method":"lookup","parameters":{"qtype":"A"}})",
       "lookup: parameter 'qname' is missing"},
      {"LookupWithoutParameters", R"({"method":"lookup"})", "lookup: parameter 'qname' is missing"},
      {"LookupQnameNotString", R"({"method":"lookup","parameters":{"qname":5,"qtype":"A"}})",
       "lookup: parameter 'qname' is not a string (a number)"},
      {"LookupQtypeGarbage",
       R"({"method":"lookup","parameters":{"qname":"www.formation.test.","qtype":"A B"}})",
       "'qtype' is not a record type mnemonic"},
      {"LookupRemoteNotString",
       R"({"method":"lookup","parameters":{"qname":"a.","qtype":"A","real-remote":{}}})",
       "lookup: parameter 'real-remote' is not a string (an object)"},
      {"LookupZoneIdNotNumber",
       R"({"method":"lookup","parameters":{"qname":"a.","qtype":"A","zone-id":"7"}})",
       "lookup: parameter 'zone-id' is not a number (a string)"},
      {"GetDomainInfoWithoutName", R"({"method":"getDomainInfo","parameters":{}})",
       "getDomainInfo: parameter 'name' is missing"},
      {"GetDomainMetadataWithoutKind",
       R"({"method":"getDomainMetadata","parameters":{"name":"formation.test."}})",
       "getDomainMetadata: parameter 'kind' is missing"},
      {"ListZonenameNull", R"({"method":"list","parameters":{"zonename":null}})",
       "list: parameter 'zonename' is not a string (null)"},
      {"GetAllDomainsFlagNotBool",
       R"({"method":"getAllDomains","parameters":{"include_disabled":"no"}})",
       "getAllDomains: parameter 'include_disabled' is not a boolean (a string)"},
      {"DeeplyNested", std::string(60000, '[') + std::string(60000, ']'),
       "at most 65536 are accepted"},
      {"DeeplyNestedWithinLimit", std::string(30000, '[') + std::string(30000, ']'),
       "an array, not a JSON object"},
      {"Oversized",
       R"({"method":"lookup","parameters":{"qname":")" + std::string(70000, 'a') + R"(."}})",
       "at most 65536 are accepted"},
  };
}

INSTANTIATE_TEST_SUITE_P(Table, RemoteProtocolMalformedTest, ::testing::ValuesIn(malformed_cases()),
                         [](const auto& info) { return info.param.name; });

TEST_F(RemoteProtocolTest, WarningsAboutGarbageAreRateLimited) {
  for (int i = 0; i < 500; ++i) EXPECT_EQ(call("garbage"), kFalse);
  EXPECT_LT(log.count("[warning]"), 10u);
  EXPECT_GE(log.count("[warning]"), 1u);
}

TEST_F(RemoteProtocolTest, BuffersAreReusedAcrossRequestsOfEverySize) {
  const std::string small = lookup("www.formation.test.", "A");
  // A request larger than the parse buffer (the pool takes heap chunks), then small again.
  std::string big =
      R"({"method":"lookup","parameters":{"qtype":"A","qname":"www.formation.test.","pad":")" +
      std::string(40000, 'x') + R"("}})";
  EXPECT_EQ(call(big), small);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(lookup("www.formation.test.", "A"), small);
}

TEST(CanonicalName, AgreesWithNormaliseName) {
  const std::vector<std::string> names = {"www.formation.test.",
                                          "WWW.FORMATION.TEST",
                                          "a",
                                          "a.",
                                          ".",
                                          "",
                                          "..",
                                          "a..b",
                                          ".a",
                                          "-a.b",
                                          "a-.b",
                                          "a-b.c",
                                          "_dmarc.example.test",
                                          "*.x.test",
                                          "x y.test",
                                          "a.b.c.d.e.",
                                          std::string(63, 'a') + ".test",
                                          std::string(64, 'a') + ".test",
                                          std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                                              std::string(63, 'c') + "." + std::string(61, 'd'),
                                          std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                                              std::string(63, 'c') + "." + std::string(62, 'd'),
                                          "caf\xc3\xa9.test",
                                          "a.b..",
                                          "1.2.3.4.in-addr.arpa."};
  std::string out;
  for (const std::string& name : names) {
    auto expected = dns::normalise_name(name);
    EXPECT_EQ(canonical_name(name, out), expected.is_ok()) << name;
    if (expected.is_ok()) {
      EXPECT_EQ(out, *expected) << name;
    }
  }
}

}  // namespace
}  // namespace formation::dns_powerdns

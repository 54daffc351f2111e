// HttpConnector over a real TCP connection on 127.0.0.1, spoken to by a raw HTTP client:
// keep-alive as pdns uses it, the status codes for what pdns never sends, stop().
#include "http_connector.hpp"

#include "remote_protocol.hpp"

#include <gtest/gtest.h>

#include "support/raw_http_client.hpp"
#include "tests/fixed_zone_view_for_tests.hpp"
#include "tests/protocol_test_support.hpp"

namespace formation::dns_powerdns {
namespace {

using formation::test::make_request;
using formation::test::RawConnection;
using testing::CapturedLog;
using testing::FixedZoneViewForTests;
using testing::parse_reply;

constexpr std::string_view kInitialize =
    R"({"method":"initialize","parameters":{"url":"http://127.0.0.1/dns","post_json":"yes"}})";
constexpr std::string_view kLookupWww =
    R"({"method":"lookup","parameters":{"qtype":"A","qname":"www.formation.test.","remote":"127.0.0.1","local":"127.0.0.1","real-remote":"127.0.0.1/32","zone-id":-1}})";

// pdns's request, as YaHTTP writes it in post_json mode.
std::string pdns_post(std::string_view body) {
  return make_request("POST", "/dns", body,
                      {{"Content-Type", "text/javascript; charset=utf-8"},
                       {"accept", "application/json"},
                       {"connection", "Keep-Alive"}});
}

class HttpConnectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = connector.start("127.0.0.1", 0);
    ASSERT_TRUE(started.is_ok()) << started.status().to_string();
    port = *started;
    ASSERT_NE(port, 0);
  }
  RawConnection connect() const { return RawConnection::connect("127.0.0.1", port); }

  FixedZoneViewForTests view;
  CapturedLog log;
  HttpConnector connector{view, log.logger};
  std::uint16_t port = 0;
};

TEST_F(HttpConnectorTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  auto connection = connect();
  ASSERT_TRUE(connection.connected());

  ASSERT_TRUE(connection.send(pdns_post(kInitialize)));
  auto first = connection.read_response();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->body, R"({"result":true})");
  EXPECT_EQ(first->header("content-type"), "application/json");
  EXPECT_EQ(first->header("content-length"), std::to_string(first->body.size()));

  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(connection.send(pdns_post(kLookupWww)));
    auto response = connection.read_response();
    ASSERT_TRUE(response) << "request " << i;
    EXPECT_EQ(response->status, 200);
    auto doc = parse_reply(response->body);
    ASSERT_TRUE(doc.IsObject() && doc["result"].IsArray()) << response->body;
    EXPECT_EQ(doc["result"].Size(), 2u);
  }
  // Two requests in one write (pipelined) are answered in order.
  ASSERT_TRUE(connection.send(
      pdns_post(kInitialize) +
      pdns_post(R"({"method":"getDomainInfo","parameters":{"name":"formation.test."}})")));
  auto a = connection.read_response();
  auto b = connection.read_response();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->body, R"({"result":true})");
  EXPECT_TRUE(parse_reply(b->body)["result"].IsObject()) << b->body;
}

TEST_F(HttpConnectorTest, AMalformedBodyIsResultFalse) {
  auto connection = connect();
  ASSERT_TRUE(connection.send(pdns_post("{not json")));
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, R"({"result":false})");
  // The connection is still good.
  ASSERT_TRUE(connection.send(pdns_post(kInitialize)));
  auto next = connection.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, R"({"result":true})");
}

TEST_F(HttpConnectorTest, MethodsOtherThanPostAre405) {
  auto connection = connect();
  ASSERT_TRUE(connection.send(make_request("GET", "/dns/lookup/www.formation.test./A")));
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 405);
  EXPECT_EQ(response->header("allow"), "POST");
  EXPECT_EQ(response->body, R"({"result":false})");
  ASSERT_TRUE(connection.send(pdns_post(kInitialize)));  // keep-alive holds
  auto next = connection.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  // pdns without post=yes sends GETs: the log says how to configure it.
  EXPECT_EQ(log.count("post=yes,post_json=yes"), 1u) << log.text();
}

TEST_F(HttpConnectorTest, ABodyOver64KiBIs413) {
  auto connection = connect();
  const std::string body(kMaxRequestBytes + 1, ' ');
  ASSERT_TRUE(connection.send(pdns_post(body)));
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->body, R"({"result":false})");
  EXPECT_TRUE(connection.wait_closed(std::chrono::seconds(5)));
}

TEST_F(HttpConnectorTest, MalformedHttpIs400) {
  auto connection = connect();
  ASSERT_TRUE(connection.send("this is not http\r\n\r\n"));
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(response->body, R"({"result":false})");
}

TEST_F(HttpConnectorTest, AClientLeavingMidRequestDoesNotDisturbOthers) {
  {
    auto leaving = connect();
    ASSERT_TRUE(leaving.send(pdns_post(kLookupWww).substr(0, 60)));
  }
  auto connection = connect();
  ASSERT_TRUE(connection.send(pdns_post(kInitialize)));
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, R"({"result":true})");
}

TEST_F(HttpConnectorTest, StopClosesConnectedClients) {
  auto idle = connect();
  auto mid_request = connect();
  auto served = connect();
  ASSERT_TRUE(served.send(pdns_post(kInitialize)));
  ASSERT_TRUE(served.read_response());
  ASSERT_TRUE(mid_request.send(pdns_post(kLookupWww).substr(0, 40)));
  connector.stop();
  EXPECT_TRUE(idle.wait_closed(std::chrono::seconds(5)));
  EXPECT_TRUE(mid_request.wait_closed(std::chrono::seconds(5)));
  EXPECT_TRUE(served.wait_closed(std::chrono::seconds(5)));
  EXPECT_FALSE(RawConnection::connect("127.0.0.1", port).connected());
  connector.stop();  // idempotent
}

TEST(HttpConnectorStart, BadAddressesAndBusyPortsAreRefusedWithTheReason) {
  FixedZoneViewForTests view;
  CapturedLog log;
  HttpConnector connector(view, log.logger);
  auto bad = connector.start("localhost", 0);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), StatusCode::invalid);
  EXPECT_NE(bad.status().message().find("not a numeric IPv4 or IPv6 address"), std::string::npos);

  auto first = connector.start("127.0.0.1", 0);
  ASSERT_TRUE(first.is_ok());
  HttpConnector other(view, log.logger);
  auto busy = other.start("127.0.0.1", *first);
  ASSERT_FALSE(busy.is_ok());
  EXPECT_EQ(busy.status().code(), StatusCode::unavailable);
  EXPECT_NE(busy.status().message().find("choose another port"), std::string::npos)
      << busy.status().message();
}

}  // namespace
}  // namespace formation::dns_powerdns

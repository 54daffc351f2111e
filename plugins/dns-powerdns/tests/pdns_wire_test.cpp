// The wire format against the real thing: a pdns_server 4.7 (Debian's pdns-server and
// pdns-backend-remote) started by the test on 127.0.0.1, with launch=remote pointed at our
// unix-socket connector, then at our HTTP connector (post_json), serving the fixed test
// zone; queried with dig. What pdns refuses it says in its log, printed on failure.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "http_connector.hpp"
#include "support/fake_host_services.hpp"
#include "tests/fixed_zone_view_for_tests.hpp"
#include "tests/pdns_server_for_tests.hpp"
#include "tests/protocol_test_support.hpp"
#include "unix_connector.hpp"

namespace formation::dns_powerdns {
namespace {

using namespace std::chrono_literals;
using testing::CapturedLog;
using testing::FixedZoneViewForTests;

constexpr const char* kPdnsServer = "/usr/sbin/pdns_server";

struct DigAnswer {
  std::string status;                // "NOERROR", "NXDOMAIN", ...; empty: no reply
  std::string flags;                 // "qr aa rd"
  std::vector<std::string> answers;  // "www.formation.test. 60 IN A 192.0.2.1", spaces squeezed
  std::vector<std::string> authority;
  std::string text;  // all of dig's output
};

std::string squeeze(const std::string& line) {
  std::istringstream in(line);
  std::string word;
  std::string out;
  while (in >> word) out += (out.empty() ? "" : " ") + word;
  return out;
}

DigAnswer dig(std::uint16_t port, const std::string& name, const std::string& type,
              const std::string& extra = "") {
  const std::string command = "dig @127.0.0.1 -p " + std::to_string(port) +
                              " +norecurse +time=2 +tries=1 " + extra + " " + name + " " + type +
                              " 2>&1";
  DigAnswer out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  std::array<char, 4096> chunk{};
  while (std::fgets(chunk.data(), chunk.size(), pipe) != nullptr) out.text += chunk.data();
  ::pclose(pipe);
  std::istringstream lines(out.text);
  std::string line;
  std::vector<std::string>* section = nullptr;
  while (std::getline(lines, line)) {
    if (auto at = line.find("status: "); at != std::string::npos) {
      out.status = line.substr(at + 8, line.find(',', at) - at - 8);
    } else if (auto flags = line.find(";; flags: "); flags != std::string::npos) {
      out.flags = line.substr(flags + 10, line.find(';', flags + 10) - flags - 10);
    } else if (line.starts_with(";; ANSWER SECTION:")) {
      section = &out.answers;
    } else if (line.starts_with(";; AUTHORITY SECTION:")) {
      section = &out.authority;
    } else if (line.empty() || line.starts_with(";")) {
      section = nullptr;
    } else if (section != nullptr) {
      section->push_back(squeeze(line));
    }
  }
  return out;
}

enum class Connector { unix_socket, http };

class PdnsWireTest : public ::testing::TestWithParam<Connector> {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kPdnsServer)) GTEST_SKIP() << kPdnsServer << " is not installed";
    std::string connection_string;
    if (GetParam() == Connector::unix_socket) {
      const auto socket = dir.path() / "remote.sock";
      Status started = unix_connector.start(socket, 0600);
      ASSERT_TRUE(started.is_ok()) << started.to_string();
      connection_string = "unix:path=" + socket.string();
    } else {
      auto started = http_connector.start("127.0.0.1", 0);
      ASSERT_TRUE(started.is_ok()) << started.status().to_string();
      connection_string =
          "http:url=http://127.0.0.1:" + std::to_string(*started) + "/dns,post=yes,post_json=yes";
    }
    pdns.emplace(dir.path() / "pdns",
                 std::initializer_list<std::string>{
                     "launch=remote", "remote-connection-string=" + connection_string,
                     "cache-ttl=0", "query-cache-ttl=0", "negquery-cache-ttl=0",
                     "zone-cache-refresh-interval=0", "edns-subnet-processing=yes",
                     "allow-axfr-ips=127.0.0.0/8", "distributor-threads=2", "receiver-threads=1"});
    ASSERT_TRUE(pdns->started()) << pdns->log();
    port = pdns->port();
    // Ready when it answers at all; bounded, not timed.
    for (int i = 0; i < 60; ++i) {
      ASSERT_TRUE(pdns->running()) << "pdns_server exited:\n" << pdns->log();
      if (!dig(port, "formation.test", "SOA").status.empty()) return;
      std::this_thread::sleep_for(250ms);
    }
    FAIL() << "pdns_server never answered on port " << port << ":\n" << pdns->log();
  }
  void TearDown() override {
    if (HasFailure() && pdns) {
      std::cerr << "pdns_server log:\n" << pdns->log() << "\nconnector log:\n" << log.text();
    }
    pdns.reset();
  }

  FixedZoneViewForTests view;
  CapturedLog log;
  formation::testing::TempDir dir{"dns-powerdns-pdns"};
  UnixConnector unix_connector{view, log.logger};
  HttpConnector http_connector{view, log.logger};
  std::uint16_t port = 0;
  std::optional<PdnsServerForTests> pdns;
};

TEST_P(PdnsWireTest, AnswersARecordsAuthoritatively) {
  auto reply = dig(port, "www.formation.test", "A");
  EXPECT_EQ(reply.status, "NOERROR") << reply.text;
  EXPECT_NE(reply.flags.find("aa"), std::string::npos) << reply.text;
  std::sort(reply.answers.begin(), reply.answers.end());
  EXPECT_EQ(reply.answers, (std::vector<std::string>{"www.formation.test. 60 IN A 192.0.2.1",
                                                     "www.formation.test. 60 IN A 192.0.2.2"}))
      << reply.text;
}

TEST_P(PdnsWireTest, AnswersNamesInAnyCase) {
  auto reply = dig(port, "WWW.Formation.Test", "AAAA");
  EXPECT_EQ(reply.status, "NOERROR") << reply.text;
  ASSERT_EQ(reply.answers.size(), 1u) << reply.text;
  EXPECT_NE(reply.answers[0].find("2001:db8::1"), std::string::npos) << reply.text;
}

TEST_P(PdnsWireTest, AnswersTheSoa) {
  auto reply = dig(port, "formation.test", "SOA");
  EXPECT_EQ(reply.status, "NOERROR") << reply.text;
  ASSERT_EQ(reply.answers.size(), 1u) << reply.text;
  EXPECT_EQ(reply.answers[0],
            "formation.test. 3600 IN SOA ns1.formation.test. hostmaster.formation.test. "
            "2024010101 3600 600 604800 60")
      << reply.text;
}

TEST_P(PdnsWireTest, UnknownNameIsNxdomainWithTheSoa) {
  auto reply = dig(port, "nothing.formation.test", "A");
  EXPECT_EQ(reply.status, "NXDOMAIN") << reply.text;
  ASSERT_EQ(reply.authority.size(), 1u) << reply.text;
  EXPECT_NE(reply.authority[0].find("IN SOA ns1.formation.test."), std::string::npos) << reply.text;
}

TEST_P(PdnsWireTest, ExistingNameWithoutTheTypeIsNodata) {
  auto reply = dig(port, "www.formation.test", "MX");
  EXPECT_EQ(reply.status, "NOERROR") << reply.text;
  EXPECT_TRUE(reply.answers.empty()) << reply.text;
}

TEST_P(PdnsWireTest, TxtAndCnameArriveIntact) {
  auto txt = dig(port, "txt.formation.test", "TXT");
  ASSERT_EQ(txt.answers.size(), 1u) << txt.text;
  EXPECT_EQ(txt.answers[0], "txt.formation.test. 300 IN TXT \"hello world\"") << txt.text;
  auto cname = dig(port, "alias.formation.test", "A");
  EXPECT_EQ(cname.status, "NOERROR") << cname.text;
  ASSERT_FALSE(cname.answers.empty()) << cname.text;
  EXPECT_EQ(cname.answers[0], "alias.formation.test. 300 IN CNAME www.formation.test.")
      << cname.text;
}

TEST_P(PdnsWireTest, ZonesNotServedAreRefused) {
  auto reply = dig(port, "www.elsewhere.example", "A");
  EXPECT_EQ(reply.status, "REFUSED") << reply.text;
}

TEST_P(PdnsWireTest, ClientSubnetReachesTheViewAndTheScopeComesBack) {
  auto near = dig(port, "geo.formation.test", "A", "+subnet=198.51.100.0/24");
  ASSERT_EQ(near.answers.size(), 1u) << near.text;
  EXPECT_EQ(near.answers[0], "geo.formation.test. 30 IN A 198.51.100.10") << near.text;
  EXPECT_NE(near.text.find("CLIENT-SUBNET: 198.51.100.0/24/24"), std::string::npos) << near.text;
  EXPECT_EQ(view.last_real_remote(), "198.51.100.0/24");

  auto far = dig(port, "geo.formation.test", "A");
  ASSERT_EQ(far.answers.size(), 1u) << far.text;
  EXPECT_EQ(far.answers[0], "geo.formation.test. 30 IN A 192.0.2.10") << far.text;
}

TEST_P(PdnsWireTest, ZoneTransferListsTheZone) {
  auto reply = dig(port, "formation.test", "AXFR");
  // An AXFR has no status line; it starts and ends with the SOA.
  std::vector<std::string> records;
  std::istringstream lines(reply.text);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && !line.starts_with(";")) records.push_back(squeeze(line));
  }
  ASSERT_GE(records.size(), 2u) << reply.text;
  EXPECT_NE(records.front().find("IN SOA"), std::string::npos) << reply.text;
  EXPECT_NE(records.back().find("IN SOA"), std::string::npos) << reply.text;
  EXPECT_NE(reply.text.find("192.0.2.53"), std::string::npos) << reply.text;
  EXPECT_NE(reply.text.find("\"hello world\""), std::string::npos) << reply.text;
}

INSTANTIATE_TEST_SUITE_P(Connectors, PdnsWireTest,
                         ::testing::Values(Connector::unix_socket, Connector::http),
                         [](const auto& info) {
                           return info.param == Connector::unix_socket ? "Unix" : "Http";
                         });

}  // namespace
}  // namespace formation::dns_powerdns

// Custom-domain verification against a real pdns_server (its bind backend serving a zone
// file with the challenge TXT), started with test/support/pdns/start-pdns and stopped by
// PID.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "support/fake_host_services.hpp"
#include "tests/pdns_server_for_tests.hpp"
#include "verification.hpp"

namespace formation::dns_powerdns {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPdnsServer = "/usr/sbin/pdns_server";

// A port nobody listens on right now (for the resolver that never answers).
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return 0;
  }
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

// pdns_server with its bind backend serving example.test, challenge TXT records included.
class PdnsWithBindBackend {
 public:
  PdnsWithBindBackend() {
    const auto dir = dir_.path().string();
    dir_.write("example.test.zone",
               "$ORIGIN example.test.\n"
               "@ 3600 IN SOA ns1.example.test. hostmaster.example.test. 1 3600 600 604800 60\n"
               "@ 3600 IN NS ns1.example.test.\n"
               "_formation-challenge 60 IN TXT \"first\" \"tok-123\"\n"
               "_formation-challenge.wrong 60 IN TXT \"not-the-token\"\n"
               "_formation-challenge.plain 60 IN A 192.0.2.1\n");
    dir_.write("named.conf",
               "zone \"example.test\" { type master; file \"" + dir + "/example.test.zone\"; };\n");
    server_.emplace(dir_.path() / "pdns",
                    std::initializer_list<std::string>{
                        "launch=bind", "bind-config=" + dir + "/named.conf", "cache-ttl=0",
                        "negquery-cache-ttl=0", "query-cache-ttl=0"});
  }

  [[nodiscard]] bool started() const { return server_->started(); }
  [[nodiscard]] VerificationSettings resolver() const {
    return VerificationSettings{{"127.0.0.1:" + std::to_string(server_->port())}, 1000};
  }
  [[nodiscard]] std::string log() const { return server_->log(); }

  // Ready once it answers the way the plugin asks; false when it never does.
  bool wait_until_serving() const {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (check_challenge(resolver(), "example.test", "x").is_ok()) return true;
      if (!server_->running()) return false;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

 private:
  testing::TempDir dir_{"dns-powerdns-pdns"};
  std::optional<PdnsServerForTests> server_;
};

class Verification : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kPdnsServer, X_OK) != 0) GTEST_SKIP() << "pdns-server is not installed";
    pdns_ = std::make_unique<PdnsWithBindBackend>();
    ASSERT_TRUE(pdns_->started()) << pdns_->log();
    ASSERT_TRUE(pdns_->wait_until_serving()) << pdns_->log();
  }
  std::unique_ptr<PdnsWithBindBackend> pdns_;
};

TEST_F(Verification, MatchingTokenIsSeen) {
  auto seen = check_challenge(pdns_->resolver(), "example.test", "tok-123");
  ASSERT_TRUE(seen.is_ok()) << seen.status().message();
  EXPECT_TRUE(*seen);
}

TEST_F(Verification, OtherTokenIsNot) {
  auto seen = check_challenge(pdns_->resolver(), "example.test", "tok-999");
  ASSERT_TRUE(seen.is_ok()) << seen.status().message();
  EXPECT_FALSE(*seen);
  seen = check_challenge(pdns_->resolver(), "wrong.example.test", "tok-123");
  ASSERT_TRUE(seen.is_ok()) << seen.status().message();
  EXPECT_FALSE(*seen);
  // One string must equal the token; a prefix or the strings joined do not count.
  seen = check_challenge(pdns_->resolver(), "example.test", "firsttok-123");
  ASSERT_TRUE(seen.is_ok());
  EXPECT_FALSE(*seen);
}

TEST_F(Verification, NoTxtIsFalse) {
  auto nodata = check_challenge(pdns_->resolver(), "plain.example.test", "tok-123");
  ASSERT_TRUE(nodata.is_ok()) << nodata.status().message();
  EXPECT_FALSE(*nodata);
  auto nxdomain = check_challenge(pdns_->resolver(), "absent.example.test", "tok-123");
  ASSERT_TRUE(nxdomain.is_ok()) << nxdomain.status().message();
  EXPECT_FALSE(*nxdomain);
}

TEST(VerificationUnavailable, NobodyAnsweringIsUnavailable) {
  const VerificationSettings nobody{{"127.0.0.1:" + std::to_string(free_port())}, 300};
  auto seen = check_challenge(nobody, "example.test", "tok");
  ASSERT_FALSE(seen.is_ok());
  EXPECT_EQ(seen.status().code(), StatusCode::unavailable);
  EXPECT_NE(seen.status().message().find("127.0.0.1:"), std::string::npos)
      << seen.status().message();
}

}  // namespace
}  // namespace formation::dns_powerdns

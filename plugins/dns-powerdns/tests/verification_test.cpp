// Custom-domain verification against a real pdns_server (its bind backend serving a zone
// file with the challenge TXT), started here on a free 127.0.0.1 port with its own config
// dir, and stopped by PID.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <fstream>
#include <thread>

#include "support/fake_host_services.hpp"
#include "verification.hpp"

extern char** environ;

namespace formation::dns_powerdns {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPdnsServer = "/usr/sbin/pdns_server";

// A port nobody listens on right now (UDP and TCP both free at the time of asking).
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

class PdnsWithBindBackend {
 public:
  PdnsWithBindBackend() : port_(free_port()) {
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
    dir_.write("pdns.conf",
               "launch=bind\n"
               "bind-config=" +
                   dir +
                   "/named.conf\n"
                   "local-address=127.0.0.1\n"
                   "local-port=" +
                   std::to_string(port_) +
                   "\n"
                   "socket-dir=" +
                   dir +
                   "\n"
                   "security-poll-suffix=\n"
                   "daemon=no\nguardian=no\ndisable-syslog=yes\n"
                   "cache-ttl=0\nnegquery-cache-ttl=0\nquery-cache-ttl=0\n");
    const std::string config_dir = "--config-dir=" + dir;
    std::array<char*, 3> argv{const_cast<char*>(kPdnsServer), const_cast<char*>(config_dir.c_str()),
                              nullptr};
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    const std::string log = dir + "/pdns.log";
    ::posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                       0644);
    ::posix_spawn_file_actions_adddup2(&actions, 1, 2);
    if (::posix_spawn(&pid_, kPdnsServer, &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    ::posix_spawn_file_actions_destroy(&actions);
  }

  ~PdnsWithBindBackend() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  PdnsWithBindBackend(const PdnsWithBindBackend&) = delete;
  PdnsWithBindBackend& operator=(const PdnsWithBindBackend&) = delete;

  [[nodiscard]] bool started() const { return pid_ > 0; }
  [[nodiscard]] VerificationSettings resolver() const {
    return VerificationSettings{{"127.0.0.1:" + std::to_string(port_)}, 1000};
  }
  [[nodiscard]] std::string log() const {
    std::ifstream in(dir_.path() / "pdns.log");
    return {std::istreambuf_iterator<char>(in), {}};
  }

  // Ready once it answers; false (with its log to show) when it never does.
  bool wait_until_serving() const {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (check_challenge(resolver(), "example.test", "x").is_ok()) return true;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) return false;  // it exited
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

 private:
  testing::TempDir dir_{"dns-powerdns-pdns"};
  std::uint16_t port_;
  pid_t pid_ = -1;
};

class Verification : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kPdnsServer, X_OK) != 0) GTEST_SKIP() << "pdns-server is not installed";
    pdns_ = std::make_unique<PdnsWithBindBackend>();
    ASSERT_TRUE(pdns_->started());
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

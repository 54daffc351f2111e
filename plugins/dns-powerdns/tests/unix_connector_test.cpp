// UnixConnector over a real unix socket: framing (split and coalesced writes), concurrent
// connections, misbehaving clients, stop() with clients connected, the socket file.
#include "unix_connector.hpp"

#include "remote_protocol.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <thread>
#include <vector>

#include "support/fake_host_services.hpp"
#include "tests/fixed_zone_view_for_tests.hpp"
#include "tests/protocol_test_support.hpp"

namespace formation::dns_powerdns {
namespace {

using namespace std::chrono_literals;
using testing::CapturedLog;
using testing::FixedZoneViewForTests;
using testing::parse_reply;
using testing::UnixClient;

constexpr std::string_view kInitialize =
    R"({"method":"initialize","parameters":{"path":"/x.sock","timeout":"2000"}})"
    "\n";
constexpr std::string_view kLookupWww =
    R"({"method":"lookup","parameters":{"qtype":"A","qname":"www.formation.test.","remote":"127.0.0.1","local":"127.0.0.1","real-remote":"127.0.0.1/32","zone-id":-1}})"
    "\n";

// Waits (bounded) until the server has logged `needle`: its threads log asynchronously.
bool eventually_logged(const CapturedLog& log, std::string_view needle) {
  for (int i = 0; i < 500; ++i) {
    if (log.count(needle) > 0) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

class UnixConnectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status started = connector.start(path, 0660);
    ASSERT_TRUE(started.is_ok()) << started.to_string();
  }

  FixedZoneViewForTests view;
  CapturedLog log;
  formation::testing::TempDir dir{"dns-powerdns-unix"};
  std::string path = (dir.path() / "remote.sock").string();
  UnixConnector connector{view, log.logger};
};

TEST_F(UnixConnectorTest, InitializeThenLookup) {
  UnixClient client(path);
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send(kInitialize));
  EXPECT_EQ(client.read_line(), R"({"result":true})");
  ASSERT_TRUE(client.send(kLookupWww));
  auto line = client.read_line();
  ASSERT_TRUE(line);
  auto doc = parse_reply(*line);
  ASSERT_TRUE(doc.IsObject() && doc["result"].IsArray()) << *line;
  EXPECT_EQ(doc["result"].Size(), 2u);
  EXPECT_STREQ(doc["result"][0]["qname"].GetString(), "www.formation.test.");
}

TEST_F(UnixConnectorTest, SocketFileHasTheModeAsked) {
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_TRUE(S_ISSOCK(info.st_mode));
  EXPECT_EQ(info.st_mode & 07777, 0660u);

  UnixConnector other(view, log.logger);
  const std::string other_path = (dir.path() / "private.sock").string();
  ASSERT_TRUE(other.start(other_path, 0600).is_ok());
  ASSERT_EQ(::stat(other_path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0600u);
}

TEST_F(UnixConnectorTest, ARequestSplitAcrossWritesIsAnsweredOnceWhole) {
  UnixClient client(path);
  for (char c : kInitialize.substr(0, 20)) ASSERT_TRUE(client.send(std::string(1, c)));
  EXPECT_FALSE(client.read_line(100ms)) << "answered before the request was complete";
  ASSERT_TRUE(client.send(kInitialize.substr(20)));
  EXPECT_EQ(client.read_line(), R"({"result":true})");
}

TEST_F(UnixConnectorTest, TwoRequestsInOneWriteGetTwoRepliesInOrder) {
  UnixClient client(path);
  ASSERT_TRUE(client.send(std::string(kLookupWww) + std::string(kInitialize)));
  auto first = client.read_line();
  ASSERT_TRUE(first);
  EXPECT_TRUE(parse_reply(*first)["result"].IsArray()) << *first;
  EXPECT_EQ(client.read_line(), R"({"result":true})");
}

TEST_F(UnixConnectorTest, GarbageLineIsAnsweredFalseAndTheConnectionGoesOn) {
  UnixClient client(path);
  ASSERT_TRUE(client.send("this is not json\n"));
  EXPECT_EQ(client.read_line(), R"({"result":false})");
  ASSERT_TRUE(client.send(kInitialize));
  EXPECT_EQ(client.read_line(), R"({"result":true})");
}

TEST_F(UnixConnectorTest, SeveralConnectionsAreServedAtOnce) {
  constexpr int kClients = 8;
  constexpr int kRequests = 200;
  std::atomic<int> correct{0};
  std::vector<std::thread> threads;
  threads.reserve(kClients);
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&] {
      UnixClient client(path);
      if (!client.send(kInitialize) || client.read_line() != R"({"result":true})") return;
      for (int r = 0; r < kRequests; ++r) {
        if (!client.send(kLookupWww)) return;
        auto line = client.read_line();
        if (!line) return;
        auto doc = parse_reply(*line);
        if (doc.IsObject() && doc["result"].IsArray() && doc["result"].Size() == 2) ++correct;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(correct.load(), kClients * kRequests);
}

TEST_F(UnixConnectorTest, AClientLeavingMidRequestIsForgottenAndOthersGoOn) {
  {
    UnixClient leaving(path);
    ASSERT_TRUE(leaving.send(kLookupWww.substr(0, 30)));
  }
  EXPECT_TRUE(eventually_logged(log, "in the middle of a request")) << log.text();
  UnixClient client(path);
  ASSERT_TRUE(client.send(kInitialize));
  EXPECT_EQ(client.read_line(), R"({"result":true})");
}

TEST_F(UnixConnectorTest, AnOversizedRequestIsAnsweredFalseAndTheConnectionClosed) {
  UnixClient client(path);
  const std::string huge(kMaxRequestBytes + 4096, 'x');
  client.send(huge);  // the server may close before taking it all
  EXPECT_EQ(client.read_line(), R"({"result":false})");
  EXPECT_TRUE(client.wait_closed());
  EXPECT_EQ(log.count("without its newline"), 1u) << log.text();
  UnixClient next(path);
  ASSERT_TRUE(next.send(kInitialize));
  EXPECT_EQ(next.read_line(), R"({"result":true})");
}

TEST_F(UnixConnectorTest, StopClosesConnectedClientsAndRemovesTheSocketFile) {
  UnixClient idle(path);
  UnixClient mid_request(path);
  UnixClient served(path);
  ASSERT_TRUE(served.send(kInitialize));
  ASSERT_EQ(served.read_line(), R"({"result":true})");
  ASSERT_TRUE(mid_request.send(kLookupWww.substr(0, 10)));
  connector.stop();
  EXPECT_TRUE(idle.wait_closed());
  EXPECT_TRUE(mid_request.wait_closed());
  EXPECT_TRUE(served.wait_closed());
  EXPECT_FALSE(std::filesystem::exists(path));
  connector.stop();  // idempotent
  // And it can serve again.
  ASSERT_TRUE(connector.start(path, 0660).is_ok());
  UnixClient again(path);
  ASSERT_TRUE(again.send(kInitialize));
  EXPECT_EQ(again.read_line(), R"({"result":true})");
}

TEST(UnixConnectorStart, AStaleSocketFileIsReplaced) {
  formation::testing::TempDir dir{"dns-powerdns-unix"};
  const std::string path = (dir.path() / "stale.sock").string();
  {
    // A crashed process's socket: bound, then closed without unlinking.
    FixedZoneViewForTests view;
    CapturedLog log;
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.data(), path.size());
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
    ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
    ::close(fd);
  }
  ASSERT_TRUE(std::filesystem::exists(path));
  FixedZoneViewForTests view;
  CapturedLog log;
  UnixConnector connector(view, log.logger);
  Status started = connector.start(path, 0660);
  ASSERT_TRUE(started.is_ok()) << started.to_string();
  UnixClient client(path);
  ASSERT_TRUE(client.send(kInitialize));
  EXPECT_EQ(client.read_line(), R"({"result":true})");
}

TEST(UnixConnectorStart, ALiveSocketIsNotTakenOver) {
  formation::testing::TempDir dir{"dns-powerdns-unix"};
  const std::string path = (dir.path() / "live.sock").string();
  FixedZoneViewForTests view;
  CapturedLog log;
  UnixConnector first(view, log.logger);
  ASSERT_TRUE(first.start(path, 0660).is_ok());
  UnixConnector second(view, log.logger);
  Status status = second.start(path, 0660);
  EXPECT_EQ(status.code(), StatusCode::unavailable);
  EXPECT_NE(status.message().find("another process already listens"), std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find(path), std::string::npos) << status.message();
  second.stop();
  UnixClient client(path);  // the first still serves
  ASSERT_TRUE(client.send(kInitialize));
  EXPECT_EQ(client.read_line(), R"({"result":true})");
}

TEST(UnixConnectorStart, AFileThatIsNotASocketIsKept) {
  formation::testing::TempDir dir{"dns-powerdns-unix"};
  dir.write("remote.sock", "precious");
  const std::string path = (dir.path() / "remote.sock").string();
  FixedZoneViewForTests view;
  CapturedLog log;
  UnixConnector connector(view, log.logger);
  Status status = connector.start(path, 0660);
  EXPECT_EQ(status.code(), StatusCode::invalid);
  EXPECT_NE(status.message().find("is not a socket"), std::string::npos) << status.message();
  std::ifstream in(path);
  std::string content;
  std::getline(in, content);
  EXPECT_EQ(content, "precious");
}

TEST(UnixConnectorStart, BadPathsAreRefusedWithTheReason) {
  FixedZoneViewForTests view;
  CapturedLog log;
  UnixConnector connector(view, log.logger);
  Status too_long = connector.start("/tmp/" + std::string(200, 'a') + ".sock", 0660);
  EXPECT_EQ(too_long.code(), StatusCode::invalid);
  EXPECT_NE(too_long.message().find("bytes long"), std::string::npos) << too_long.message();
  Status no_dir = connector.start("/nonexistent-formation-dir/remote.sock", 0660);
  EXPECT_EQ(no_dir.code(), StatusCode::unavailable);
  EXPECT_NE(no_dir.message().find("create its directory first"), std::string::npos)
      << no_dir.message();
}

}  // namespace
}  // namespace formation::dns_powerdns

// Unit tests of the form CLI: option parsing, dispatch, exit codes, output. The API side is a
// tiny canned HTTP server on a loopback port (one response per connection).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli.hpp"
#include "formation/abi.hpp"
#include "output.hpp"

namespace {

struct Result {
  int code;
  std::string out;
  std::string err;
};

Result run_form(std::vector<std::string> args) {
  std::ostringstream out, err;
  int code = form::run(args, out, err);
  return {code, out.str(), err.str()};
}

// A loopback socket that is bound but never listens: connecting to it is refused at once.
class ClosedPort {
 public:
  ClosedPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~ClosedPort() { ::close(fd_); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// Answers every connection with the same HTTP response and remembers the last request.
class CannedServer {
 public:
  CannedServer(int status, std::string body, std::string extra_headers = {}) {
    response_ = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\n" +
                extra_headers + "Content-Length: " + std::to_string(body.size()) +
                "\r\nConnection: close\r\n\r\n" + body;
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 8);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~CannedServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string last_request() const {
    std::lock_guard lock(mutex_);
    return last_request_;
  }

 private:
  void serve() {
    while (!stop_) {
      int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      std::string request;
      char buffer[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::recv(client, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        request.append(buffer, static_cast<size_t>(n));
      }
      {
        std::lock_guard lock(mutex_);
        last_request_ = request;
      }
      ::send(client, response_.data(), response_.size(), MSG_NOSIGNAL);
      ::close(client);
    }
  }

  std::string response_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::string last_request_;
};

const char* kHealthBody =
    R"({"status":"ok","version":"0.1.0","uptime_seconds":3725,"plugins":[)"
    R"({"name":"example-echo","instance":"default","kind":"extension","version":"0.1.0",)"
    R"("health":"ok","detail":""},)"
    R"({"name":"state-sqlite","instance":"main","kind":"state","version":"0.1.0",)"
    R"("health":"ok","detail":"wal"}]})";

class FormCli : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv("FORM_API");
    ::unsetenv("FORM_KEY");
  }
};

TEST_F(FormCli, HelpListsEveryVerbAndExitCodes) {
  for (auto args : {std::vector<std::string>{"--help"}, {"-h"}, {"help"}}) {
    auto r = run_form(args);
    EXPECT_EQ(r.code, 0);
    EXPECT_EQ(r.err, "");
    for (const auto* command : form::Registry::global().all()) {
      EXPECT_NE(r.out.find("  " + command->name + " "), std::string::npos) << command->name;
    }
    EXPECT_NE(r.out.find("health"), std::string::npos);
    EXPECT_NE(r.out.find("version"), std::string::npos);
    EXPECT_NE(r.out.find("Exit codes"), std::string::npos);
    EXPECT_NE(r.out.find("--api URL"), std::string::npos);
    EXPECT_NE(r.out.find("FORM_API"), std::string::npos);
  }
}

TEST_F(FormCli, HelpForOneVerbThreeWays) {
  auto a = run_form({"help", "health"});
  auto b = run_form({"health", "--help"});
  auto c = run_form({"-h", "health"});
  EXPECT_EQ(a.code, 0);
  EXPECT_EQ(b.code, 0);
  EXPECT_EQ(a.out, b.out);
  EXPECT_EQ(a.out, c.out);
  EXPECT_NE(a.out.find("Usage: form health"), std::string::npos);
}

TEST_F(FormCli, NoArgumentsPrintsHelpOnStderrAndExits2) {
  auto r = run_form({});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("Commands:"), std::string::npos);
}

TEST_F(FormCli, UnknownVerbIsAUsageErrorWithSuggestion) {
  auto r = run_form({"helth"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("unknown command 'helth'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("did you mean 'health'?"), std::string::npos) << r.err;

  auto v = run_form({"verison"});
  EXPECT_EQ(v.code, 2);
  EXPECT_NE(v.err.find("did you mean 'version'?"), std::string::npos) << v.err;

  auto far = run_form({"deploy-everything-now"});
  EXPECT_EQ(far.code, 2);
  EXPECT_EQ(far.err.find("did you mean"), std::string::npos) << far.err;

  auto help = run_form({"help", "helth"});
  EXPECT_EQ(help.code, 2);
  EXPECT_NE(help.err.find("did you mean 'health'?"), std::string::npos) << help.err;
}

TEST_F(FormCli, UnknownOptionIsAUsageErrorWithSuggestion) {
  auto r = run_form({"--outptu", "json", "health"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown option '--outptu'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("did you mean '--output'?"), std::string::npos) << r.err;

  auto after = run_form({"health", "--verbose"});
  EXPECT_EQ(after.code, 2);
  EXPECT_NE(after.err.find("unknown option '--verbose' for 'form health'"), std::string::npos);

  auto extra = run_form({"health", "now"});
  EXPECT_EQ(extra.code, 2);
  EXPECT_NE(extra.err.find("takes no arguments"), std::string::npos) << extra.err;
}

TEST_F(FormCli, BadOptionValuesAreUsageErrors) {
  auto xml = run_form({"--output", "xml", "health"});
  EXPECT_EQ(xml.code, 2);
  EXPECT_NE(xml.err.find("invalid --output 'xml'"), std::string::npos) << xml.err;
  EXPECT_EQ(run_form({"health", "--output=xml"}).code, 2);
  EXPECT_EQ(run_form({"health", "--output"}).code, 2);
  EXPECT_EQ(run_form({"--timeout", "soon", "health"}).code, 2);
  EXPECT_EQ(run_form({"--timeout", "0", "health"}).code, 2);
  EXPECT_EQ(run_form({"--timeout", "-1", "health"}).code, 2);
  EXPECT_EQ(run_form({"--api", "127.0.0.1:3004", "health"}).code, 2);
  EXPECT_EQ(run_form({"--api", "ftp://example", "health"}).code, 2);
  EXPECT_EQ(run_form({"--version=yes"}).code, 2);
}

TEST_F(FormCli, VersionFlagNeedsNoServer) {
  ClosedPort closed;
  auto r = run_form({"--api", closed.url(), "--version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, std::string("form ") + FORMATION_VERSION + "\n");
}

TEST_F(FormCli, UnreachableApiExits3AndNamesTheUrl) {
  ClosedPort closed;
  auto r = run_form({"--api", closed.url(), "health"});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("cannot reach the Formation API at " + closed.url()), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("tools/dev run"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--api"), std::string::npos) << r.err;
}

TEST_F(FormCli, EnvironmentSetsTheApiAndTheFlagWins) {
  ClosedPort closed;
  ::setenv("FORM_API", closed.url().c_str(), 1);
  auto r = run_form({"health"});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find(closed.url()), std::string::npos) << r.err;

  CannedServer server(200, kHealthBody);
  auto flag = run_form({"health", "--api", server.url() + "/"});
  EXPECT_EQ(flag.code, 0) << flag.err;
  ::unsetenv("FORM_API");
}

TEST_F(FormCli, HealthTableIsAligned) {
  CannedServer server(200, kHealthBody);
  auto r = run_form({"--api", server.url(), "health"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const std::string expected_top =
      "status   ok\nversion  0.1.0\nuptime   1h 2m\napi      " + server.url() + "\n\n";
  EXPECT_EQ(r.out.substr(0, expected_top.size()), expected_top) << r.out;
  EXPECT_NE(r.out.find("PLUGIN        INSTANCE  KIND       VERSION  HEALTH  DETAIL\n"
                       "example-echo  default   extension  0.1.0    ok\n"
                       "state-sqlite  main      state      0.1.0    ok      wal\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(server.last_request().find("GET /v1/health HTTP/1.1"), std::string::npos);
  EXPECT_EQ(server.last_request().find("X-Formation-Signature"), std::string::npos);
}

TEST_F(FormCli, HealthJsonIsTheServersBytes) {
  CannedServer server(200, kHealthBody);
  auto r = run_form({"--api", server.url(), "health", "--output", "json"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, std::string(kHealthBody) + "\n");
  auto short_flag = run_form({"-o", "json", "--api", server.url(), "health"});
  EXPECT_EQ(short_flag.out, r.out);
}

TEST_F(FormCli, DegradedHealthIsShownThenExits1) {
  CannedServer server(503, R"({"status":"degraded","version":"0.1.0","plugins":[]})");
  auto r = run_form({"--api", server.url(), "health"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("status   degraded"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("degraded"), std::string::npos) << r.err;
}

TEST_F(FormCli, ApiErrorEnvelopeExits1WithCodeMessageRequestAndHint) {
  CannedServer server(404, R"({"error":{"code":"not_found","message":"no route GET /v1/health",)"
                           R"("request_id":"r-42"}})");
  auto r = run_form({"--api", server.url(), "health"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("error: not_found: no route GET /v1/health (request r-42)\n"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("hint: "), std::string::npos) << r.err;
}

TEST_F(FormCli, AuthRefusalExits4) {
  CannedServer server(401, R"({"error":{"code":"unauthorized","message":"bad signature",)"
                           R"("request_id":"r-7"}})");
  auto r = run_form({"--api", server.url(), "version"});
  EXPECT_EQ(r.code, 4);
  EXPECT_NE(r.err.find("error: unauthorized: bad signature (request r-7)"), std::string::npos);
  EXPECT_NE(r.err.find("--key"), std::string::npos) << r.err;
}

TEST_F(FormCli, NonEnvelopeErrorStillReportsStatus) {
  CannedServer server(502, "<html>Bad Gateway</html>");
  auto r = run_form({"--api", server.url(), "health"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("error: http_502: <html>Bad Gateway</html>"), std::string::npos) << r.err;
}

TEST_F(FormCli, VersionShowsClientAndServer) {
  CannedServer server(200, R"({"status":"ok","version":"9.8.7","uptime_seconds":1,"plugins":[]})");
  auto table = run_form({"--api", server.url(), "version"});
  EXPECT_EQ(table.code, 0) << table.err;
  EXPECT_EQ(table.out, std::string("client  ") + FORMATION_VERSION + "\nserver  9.8.7 (" +
                           server.url() + ")\n");
  auto json = run_form({"--api", server.url(), "version", "--output=json"});
  EXPECT_EQ(json.code, 0) << json.err;
  EXPECT_EQ(json.out, std::string(R"({"client_version":")") + FORMATION_VERSION +
                          R"(","server_version":"9.8.7","api":")" + server.url() + "\"}\n");
}

TEST_F(FormCli, DoubleDashEndsOptions) {
  auto r = run_form({"help", "--", "--help"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown command '--help'"), std::string::npos) << r.err;
}

TEST(FormRegistry, MultiWordCommandsAndGroups) {
  form::Registry registry;
  auto add = [&](const std::string& name) {
    form::Command c;
    c.name = name;
    c.summary = "s";
    c.usage = name;
    c.handler = [](form::Context&, const form::Args&) { return 0; };
    registry.add(c);
  };
  add("key generate");
  add("key show");
  add("health");
  EXPECT_THROW(add("health"), std::logic_error);
  auto [command, used] = registry.match({"key", "show", "extra"});
  ASSERT_NE(command, nullptr);
  EXPECT_EQ(command->name, "key show");
  EXPECT_EQ(used, 2u);
  EXPECT_EQ(registry.match({"key"}).first, nullptr);
  EXPECT_EQ(registry.group("key").size(), 2u);
  EXPECT_EQ(registry.names(),
            (std::vector<std::string>{"health", "key", "key generate", "key show"}));
}

TEST(FormSuggest, Closest) {
  std::vector<std::string> names{"health", "help", "version"};
  EXPECT_EQ(form::closest("helth", names), "health");
  EXPECT_EQ(form::closest("hlep", names), "help");
  EXPECT_EQ(form::closest("heal", names), "health");
  EXPECT_EQ(form::closest("vresion", names), "version");
  EXPECT_EQ(form::closest("x", names), std::nullopt);
  EXPECT_EQ(form::closest("instances", names), std::nullopt);
}

TEST(FormOutput, TableAndDuration) {
  form::Table t({"a", "long header"});
  t.add_row({"wide value", "x"});
  t.add_row({"b", ""});
  std::ostringstream out;
  t.print(out);
  EXPECT_EQ(out.str(), "A           LONG HEADER\nwide value  x\nb\n");
  EXPECT_EQ(form::format_duration(0), "0s");
  EXPECT_EQ(form::format_duration(59), "59s");
  EXPECT_EQ(form::format_duration(61), "1m 1s");
  EXPECT_EQ(form::format_duration(3725), "1h 2m");
  EXPECT_EQ(form::format_duration(2 * 86400 + 3 * 3600 + 5), "2d 3h");
}

}  // namespace

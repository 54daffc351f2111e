// HttpServer over real sockets on 127.0.0.1, driven by the raw test client.
#include "http/server.hpp"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <spdlog/sinks/ostream_sink.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "runtime/blocking_pool.hpp"
#include "support/raw_http_client.hpp"

namespace formation::host {
namespace {

using namespace std::chrono_literals;
using test::http_request;
using test::make_request;
using test::RawConnection;
using test::RawResponse;
using Clock = std::chrono::steady_clock;

rapidjson::Document parse(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str(), body.size());
  return doc;
}

// The error envelope's fields, or "" when the body is not one.
std::string envelope_field(const RawResponse& res, const char* field) {
  auto doc = parse(res.body);
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("error")) return {};
  const auto& error = doc["error"];
  if (!error.IsObject() || !error.HasMember(field) || !error[field].IsString()) return {};
  return error[field].GetString();
}

// A Metrics that keeps every series by name and label set. (MetricsRegistry cannot be
// constructed outside metrics_registry.cpp yet: its implicit destructor needs the
// incomplete Series type.)
class RecordingMetrics final : public Metrics {
 public:
  struct Series final : Counter, Gauge, Histogram {
    void inc(double amount) override { value_ += amount; }
    void set(double v) override { value_ = v; }
    void add(double amount) override { value_ += amount; }
    [[nodiscard]] double value() const override { return value_; }
    void observe(double) override { value_ += 1; }  // histograms: the observation count
    std::atomic<double> value_{0};
  };
  Counter& counter(std::string_view name, std::string_view, const MetricLabels& labels) override {
    return series(name, labels);
  }
  Gauge& gauge(std::string_view name, std::string_view, const MetricLabels& labels) override {
    return series(name, labels);
  }
  Histogram& histogram(std::string_view name, std::string_view, const MetricLabels& labels,
                       std::vector<double>) override {
    return series(name, labels);
  }
  double value(std::string_view name, const MetricLabels& labels) {
    return series(name, labels).value();
  }

 private:
  Series& series(std::string_view name, MetricLabels labels) {
    std::sort(labels.begin(), labels.end());
    std::lock_guard lock(mutex_);
    auto& slot = series_[{std::string(name), labels}];
    if (!slot) slot = std::make_unique<Series>();
    return *slot;
  }
  std::mutex mutex_;
  std::map<std::pair<std::string, MetricLabels>, std::unique_ptr<Series>> series_;
};

class HttpServerTest : public ::testing::Test {
 protected:
  HttpServerTest() {
    log_ = std::make_shared<spdlog::logger>(
        "http-test", std::make_shared<spdlog::sinks::ostream_sink_mt>(log_stream_));
    log_->set_pattern("%l %v");
    add(Route{"GET", "/v1/health",
              [](const HttpRequest&) -> Result<HttpResponse> {
                return HttpResponse::json(200, R"({"status":"ok"})");
              },
              RouteAccess::anonymous, RouteExecution::io_thread});
    add(Route{"GET", "/v1/echo/{word}",
              [](const HttpRequest& r) -> Result<HttpResponse> {
                return HttpResponse::text(200, std::string(r.path_param("word")) + "|" + r.query +
                                                   "|" + r.remote_address + "|" +
                                                   std::string(r.header("x-custom")));
              },
              RouteAccess::anonymous});
    add(Route{"POST", "/v1/echo",
              [](const HttpRequest& r) -> Result<HttpResponse> {
                return HttpResponse::text(200, r.body);
              },
              RouteAccess::anonymous});
    add(Route{"GET", "/v1/me", [](const HttpRequest& r) -> Result<HttpResponse> {
                return HttpResponse::text(200, r.caller.value_or("nobody"));
              }});
    add(Route{"PUT", "/v1/things/{id}",
              [](const HttpRequest&) -> Result<HttpResponse> {
                return Status::conflict("thing already exists");
              },
              RouteAccess::anonymous});
    add(Route{"GET", "/v1/throw",
              [](const HttpRequest&) -> Result<HttpResponse> {
                throw std::runtime_error("kaboom from the handler");
              },
              RouteAccess::anonymous});
    add(Route{"GET", "/v1/slow",
              [this](const HttpRequest&) -> Result<HttpResponse> {
                slow_started_ = true;
                std::this_thread::sleep_for(500ms);
                return HttpResponse::json(200, R"({"slow":"done"})");
              },
              RouteAccess::anonymous});
  }
  ~HttpServerTest() override {
    if (server_) server_->shutdown(2s);
  }

  void add(Route route) { ASSERT_TRUE(router_.add(std::move(route), "host").is_ok()); }

  void start(ServerOptions options = {}) {
    options.port = 0;
    server_ = std::make_unique<HttpServer>(options, router_, pool_, metrics_, log_);
    auto port = server_->start();
    ASSERT_TRUE(port.is_ok()) << port.status().to_string();
    port_ = *port;
    ASSERT_NE(port_, 0);
  }

  RawConnection connect() {
    auto c = RawConnection::connect("127.0.0.1", port_);
    EXPECT_TRUE(c.connected()) << "errno " << c.error();
    return c;
  }

  std::string logged() const { return log_stream_.str(); }

  std::ostringstream log_stream_;
  std::shared_ptr<spdlog::logger> log_;
  RecordingMetrics metrics_;
  ThreadPool pool_{4};
  Router router_;
  std::unique_ptr<HttpServer> server_;  // declared after the pool: stopped first
  std::uint16_t port_ = 0;
  std::atomic<bool> slow_started_{false};
};

TEST_F(HttpServerTest, AnonymousRouteAnswersJsonWithStandardHeaders) {
  start();
  auto res = http_request(port_, "GET", "/v1/health");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, R"({"status":"ok"})");
  EXPECT_EQ(res->header("content-type"), "application/json");
  EXPECT_EQ(res->header("content-length"), std::to_string(res->body.size()));
  EXPECT_EQ(res->header("server").rfind("formationd/", 0), 0u) << res->header("server");
  EXPECT_EQ(res->header("x-request-id").size(), 16u);
  EXPECT_EQ(server_->url(), "http://127.0.0.1:" + std::to_string(port_));
}

TEST_F(HttpServerTest, RequestFieldsReachTheHandler) {
  start();
  auto res =
      http_request(port_, "GET", "/v1/echo/h%C3%A9llo?limit=5&x=%20", {}, {{"X-Custom", "abc"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "h\xC3\xA9llo|limit=5&x=%20|127.0.0.1|abc");
  auto post = http_request(port_, "POST", "/v1/echo", "the body");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->body, "the body");
}

TEST_F(HttpServerTest, UnknownPathGives404EnvelopeCarryingTheRequestId) {
  start();
  auto res = http_request(port_, "GET", "/v1/nowhere");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(envelope_field(*res, "code"), "not_found");
  EXPECT_FALSE(envelope_field(*res, "message").empty());
  EXPECT_EQ(envelope_field(*res, "request_id"), res->header("x-request-id"));
  EXPECT_EQ(res->header("x-request-id").size(), 16u);
}

TEST_F(HttpServerTest, ValidIncomingRequestIdIsKeptInvalidOneReplaced) {
  start();
  auto kept = http_request(port_, "GET", "/v1/nowhere", {}, {{"X-Request-Id", "client-id_1.2"}});
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->header("x-request-id"), "client-id_1.2");
  EXPECT_EQ(envelope_field(*kept, "request_id"), "client-id_1.2");
  auto replaced = http_request(port_, "GET", "/v1/health", {}, {{"X-Request-Id", "bad id!"}});
  ASSERT_TRUE(replaced);
  EXPECT_EQ(replaced->header("x-request-id").size(), 16u);
  auto too_long =
      http_request(port_, "GET", "/v1/health", {}, {{"X-Request-Id", std::string(65, 'a')}});
  ASSERT_TRUE(too_long);
  EXPECT_EQ(too_long->header("x-request-id").size(), 16u);
}

TEST_F(HttpServerTest, OtherMethodGives405WithAllow) {
  start();
  auto res = http_request(port_, "DELETE", "/v1/health");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  EXPECT_EQ(res->header("allow"), "GET, HEAD");
  EXPECT_EQ(envelope_field(*res, "code"), "method_not_allowed");
}

TEST_F(HttpServerTest, HeadIsAnsweredLikeGetWithoutBody) {
  start();
  auto c = connect();
  ASSERT_TRUE(c.send(make_request("HEAD", "/v1/health")));
  auto res = c.read_response(5s, /*head_request=*/true);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->header("content-length"), "15");
  // The connection stays usable: no body bytes were sent.
  ASSERT_TRUE(c.send(make_request("GET", "/v1/health")));
  auto next = c.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, R"({"status":"ok"})");
}

TEST_F(HttpServerTest, OversizedBodyGives413AndCloses) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  start(options);
  auto c = connect();
  ASSERT_TRUE(c.send("POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" +
                     std::string(100, 'a')));
  auto res = c.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_EQ(envelope_field(*res, "code"), "payload_too_large");
  EXPECT_EQ(res->header("connection"), "close");
  EXPECT_TRUE(c.wait_closed(5s));

  // Chunked bodies are held to the same limit.
  auto chunked = connect();
  ASSERT_TRUE(chunked.send(
      "POST /v1/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" +
      std::string(2048, 'b') + "\r\n0\r\n\r\n"));
  auto res2 = chunked.read_response();
  ASSERT_TRUE(res2);
  EXPECT_EQ(res2->status, 413);

  // A body at the limit is fine.
  auto fits = http_request(port_, "POST", "/v1/echo", std::string(1024, 'c'));
  ASSERT_TRUE(fits);
  EXPECT_EQ(fits->status, 200);
  EXPECT_EQ(fits->body.size(), 1024u);
}

TEST_F(HttpServerTest, OversizedHeadersGive431) {
  ServerOptions options;
  options.max_header_bytes = 1024;
  start(options);
  auto res = http_request(port_, "GET", "/v1/health", {}, {{"X-Big", std::string(2000, 'x')}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 431);
  EXPECT_EQ(envelope_field(*res, "code"), "headers_too_large");
}

TEST_F(HttpServerTest, MalformedRequestGives400AndCloses) {
  start();
  for (std::string bad : {"THIS IS NOT HTTP\r\n\r\n", "GET /v1/health HTTP/9.9\r\n\r\n",
                          "GET /v1/health HTTP/1.1\r\nBad Header\r\n\r\n",
                          "GET /v1/health HTTP/1.1\r\nContent-Length: x\r\n\r\n"}) {
    auto c = connect();
    ASSERT_TRUE(c.send(bad));
    auto res = c.read_response();
    ASSERT_TRUE(res) << bad;
    EXPECT_EQ(res->status, 400) << bad;
    EXPECT_EQ(envelope_field(*res, "code"), "bad_request") << bad;
    EXPECT_EQ(envelope_field(*res, "request_id"), res->header("x-request-id"));
    EXPECT_TRUE(c.wait_closed(5s)) << bad;
  }
  // Paths the router refuses are a 400 too.
  auto dotdot = http_request(port_, "GET", "/v1/echo/..");
  ASSERT_TRUE(dotdot);
  EXPECT_EQ(dotdot->status, 400);
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneSocket) {
  start();
  auto c = connect();
  ASSERT_TRUE(c.send(make_request("GET", "/v1/health")));
  auto first = c.read_response();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  ASSERT_TRUE(c.send(make_request("GET", "/v1/echo/two")));
  auto second = c.read_response();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(second->body.substr(0, 4), "two|");
  // Two pipelined requests are answered in order.
  ASSERT_TRUE(c.send(make_request("GET", "/v1/echo/a") + make_request("GET", "/v1/echo/b")));
  auto a = c.read_response();
  auto b = c.read_response();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->body.substr(0, 2), "a|");
  EXPECT_EQ(b->body.substr(0, 2), "b|");
}

TEST_F(HttpServerTest, Http10ClosesUnlessKeepAliveAsked) {
  start();
  auto c = connect();
  ASSERT_TRUE(c.send("GET /v1/health HTTP/1.0\r\n\r\n"));
  auto res = c.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_TRUE(c.wait_closed(5s));

  auto k = connect();
  ASSERT_TRUE(k.send("GET /v1/health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  auto first = k.read_response();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->header("connection"), "keep-alive");
  ASSERT_TRUE(k.send("GET /v1/health HTTP/1.0\r\n\r\n"));
  ASSERT_TRUE(k.read_response());
}

TEST_F(HttpServerTest, Expect100ContinueGetsInterimResponse) {
  start();
  auto c = connect();
  ASSERT_TRUE(c.send(
      "POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = c.read_response();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(c.send("hello"));
  auto res = c.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "hello");
}

TEST_F(HttpServerTest, SlowlorisIsCutAtHeaderTimeout) {
  ServerOptions options;
  options.header_timeout = 300ms;
  start(options);
  auto c = connect();
  const auto begin = Clock::now();
  ASSERT_TRUE(c.send("GET /v1/hea"));
  bool closed = false;
  // One byte every 100 ms: each arrives well inside any per-read timeout.
  while (Clock::now() - begin < 5s) {
    if (c.wait_closed(100ms)) {
      closed = true;
      break;
    }
    c.send("l");
  }
  const auto elapsed = Clock::now() - begin;
  EXPECT_TRUE(closed);
  EXPECT_LT(elapsed, 2s);
  EXPECT_NE(c.received().find("HTTP/1.1 408"), std::string::npos) << c.received();
  EXPECT_NE(c.received().find("request_timeout"), std::string::npos) << c.received();
}

TEST_F(HttpServerTest, SilentConnectionIsClosedAtHeaderTimeout) {
  ServerOptions options;
  options.header_timeout = 300ms;
  start(options);
  auto c = connect();
  const auto begin = Clock::now();
  EXPECT_TRUE(c.wait_closed(3s));
  EXPECT_LT(Clock::now() - begin, 2s);
}

TEST_F(HttpServerTest, SlowBodyGets408AtBodyTimeout) {
  ServerOptions options;
  options.body_timeout = 300ms;
  start(options);
  auto c = connect();
  const auto begin = Clock::now();
  ASSERT_TRUE(c.send("POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\npartial"));
  auto res = c.read_response(3s);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 408);
  EXPECT_EQ(envelope_field(*res, "code"), "request_timeout");
  EXPECT_LT(Clock::now() - begin, 2s);
  EXPECT_TRUE(c.wait_closed(3s));
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosed) {
  ServerOptions options;
  options.idle_timeout = 300ms;
  start(options);
  auto c = connect();
  ASSERT_TRUE(c.send(make_request("GET", "/v1/health")));
  ASSERT_TRUE(c.read_response());
  const auto begin = Clock::now();
  EXPECT_TRUE(c.wait_closed(3s));
  EXPECT_LT(Clock::now() - begin, 2s);
  EXPECT_TRUE(c.received().empty()) << c.received();  // no 408 for an idle connection
}

TEST_F(HttpServerTest, SignedRouteWithoutAuthenticatorGives401) {
  start();
  auto res = http_request(port_, "GET", "/v1/me");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(envelope_field(*res, "code"), "signature_missing");
  EXPECT_NE(envelope_field(*res, "message").find("docs/api.md"), std::string::npos);
}

TEST_F(HttpServerTest, AuthenticatorDecidesSignedRoutes) {
  router_.set_authenticator([](const HttpRequest& r) -> std::variant<std::string, ApiError> {
    if (r.header("x-formation-signature") == "good") {
      return std::string("0x00000000000000000000000000000000000000aa");
    }
    return ApiError{401, "signature_invalid", "the signature does not verify"};
  });
  start();
  auto good = http_request(port_, "GET", "/v1/me", {}, {{"X-Formation-Signature", "good"}});
  ASSERT_TRUE(good);
  EXPECT_EQ(good->status, 200);
  EXPECT_EQ(good->body, "0x00000000000000000000000000000000000000aa");
  auto bad = http_request(port_, "GET", "/v1/me", {}, {{"X-Formation-Signature", "bad"}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 401);
  EXPECT_EQ(envelope_field(*bad, "code"), "signature_invalid");
}

TEST_F(HttpServerTest, HandlerStatusBecomesEnvelope) {
  start();
  auto res = http_request(port_, "PUT", "/v1/things/1", "{}");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 409);
  EXPECT_EQ(envelope_field(*res, "code"), "conflict");
  EXPECT_EQ(envelope_field(*res, "message"), "thing already exists");
  EXPECT_EQ(envelope_field(*res, "request_id"), res->header("x-request-id"));
}

TEST_F(HttpServerTest, HandlerExceptionGives500AndServerKeepsServing) {
  start();
  for (int i = 0; i < 3; ++i) {
    auto res = http_request(port_, "GET", "/v1/throw", {}, {{"X-Request-Id", "boom-1"}});
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 500);
    EXPECT_EQ(envelope_field(*res, "code"), "internal");
    EXPECT_EQ(envelope_field(*res, "message"), "internal error, request id boom-1");
    EXPECT_EQ(res->body.find("kaboom"), std::string::npos);  // nothing of the exception leaks
  }
  auto ok = http_request(port_, "GET", "/v1/health");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_NE(logged().find("boom-1"), std::string::npos);
  EXPECT_NE(logged().find("kaboom from the handler"), std::string::npos);
}

TEST_F(HttpServerTest, AccessLogLineCarriesRequestId) {
  start();
  auto res = http_request(port_, "GET", "/v1/health?x=1", {}, {{"X-Request-Id", "log-me-42"}});
  ASSERT_TRUE(res);
  // The line is written once the response is sent; give it a moment.
  const auto deadline = Clock::now() + 3s;
  while (logged().find("log-me-42") == std::string::npos && Clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_NE(logged().find("info log-me-42 127.0.0.1 GET /v1/health?x=1 200 "), std::string::npos)
      << logged();
}

TEST_F(HttpServerTest, MetricsCountRequestsByRouteAndStatus) {
  start();
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(http_request(port_, "GET", "/v1/health"));
  ASSERT_TRUE(http_request(port_, "GET", "/v1/absent"));
  const MetricLabels health{{"method", "GET"}, {"route", "/v1/health"}, {"status", "200"}};
  const MetricLabels unmatched{{"method", "GET"}, {"route", "unmatched"}, {"status", "404"}};
  const char* total = "formation_http_requests_total";
  // Counted once the response is written; give the server a moment.
  const auto deadline = Clock::now() + 3s;
  while ((metrics_.value(total, health) < 2 || metrics_.value(total, unmatched) < 1) &&
         Clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(metrics_.value(total, health), 2);
  EXPECT_EQ(metrics_.value(total, unmatched), 1);
  EXPECT_EQ(metrics_.value("formation_http_request_duration_seconds",
                           {{"method", "GET"}, {"route", "/v1/health"}}),
            2);
}

TEST_F(HttpServerTest, GracefulShutdownFinishesInFlightRequestAndRefusesNewConnections) {
  start();
  auto c = connect();
  ASSERT_TRUE(c.send(make_request("GET", "/v1/slow")));
  const auto deadline = Clock::now() + 5s;
  while (!slow_started_ && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
  ASSERT_TRUE(slow_started_);
  auto idle = connect();  // an idle keep-alive connection is closed at once

  std::thread stopper([this] { server_->shutdown(5s); });
  bool refused = false;
  while (Clock::now() < deadline) {
    auto attempt = RawConnection::connect("127.0.0.1", port_, 1s);
    if (!attempt.connected() && attempt.error() == ECONNREFUSED) {
      refused = true;
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  auto res = c.read_response(5s);
  stopper.join();
  EXPECT_TRUE(refused);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, R"({"slow":"done"})");
  EXPECT_EQ(res->header("connection"), "close");
  EXPECT_TRUE(c.wait_closed(2s));
  EXPECT_TRUE(idle.wait_closed(2s));
  EXPECT_TRUE(idle.received().empty());
}

TEST_F(HttpServerTest, ShutdownAfterGraceClosesStragglers) {
  start();
  auto c = connect();
  ASSERT_TRUE(c.send(make_request("GET", "/v1/slow")));
  const auto deadline = Clock::now() + 5s;
  while (!slow_started_ && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
  const auto begin = Clock::now();
  server_->shutdown(50ms);  // the handler outlives the grace: waited for, then closed
  EXPECT_LT(Clock::now() - begin, 3s);
  EXPECT_TRUE(c.wait_closed(2s));
  server_->shutdown(1s);  // idempotent
}

TEST_F(HttpServerTest, StartFailsNamingAddressWhenPortIsTaken) {
  start();
  ServerOptions options;
  options.port = port_;
  HttpServer second(options, router_, pool_, metrics_, log_);
  auto result = second.start();
  ASSERT_FALSE(result.is_ok());
  const auto& message = result.status().message();
  EXPECT_NE(message.find("127.0.0.1:" + std::to_string(port_)), std::string::npos) << message;
  EXPECT_NE(message.find("in use"), std::string::npos) << message;
}

TEST_F(HttpServerTest, StartFailsOnBadAddress) {
  ServerOptions options;
  options.address = "not an address";
  HttpServer server(options, router_, pool_, metrics_, log_);
  auto result = server.start();
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.status().message().find("not an address"), std::string::npos);
}

// --- TLS -------------------------------------------------------------------------------

struct TempDir {
  TempDir() {
    char pattern[] = "/tmp/formation-http-test-XXXXXX";
    path = mkdtemp(pattern);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::filesystem::path path;
};

// Runs a shell command; its stdout and exit code.
std::pair<int, std::string> run(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return {-1, out};
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

bool have(const char* tool) {
  return run(std::string("command -v ") + tool + " >/dev/null 2>&1").first == 0;
}

TEST_F(HttpServerTest, TlsServesHttpsOnly) {
  if (!have("openssl") || !have("curl")) GTEST_SKIP() << "needs the openssl and curl commands";
  TempDir dir;
  const auto cert = dir.path / "cert.pem";
  const auto key = dir.path / "key.pem";
  auto [rc, out] =
      run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
          "-subj /CN=127.0.0.1 -keyout " +
          key.string() + " -out " + cert.string() + " 2>&1");
  ASSERT_EQ(rc, 0) << out;
  ServerOptions options;
  options.tls = TlsFiles{cert, key};
  start(options);
  EXPECT_EQ(server_->url(), "https://127.0.0.1:" + std::to_string(port_));
  auto [curl_rc, body] = run("curl -sk --max-time 10 " + server_->url() + "/v1/health");
  EXPECT_EQ(curl_rc, 0);
  EXPECT_EQ(body, R"({"status":"ok"})");
  // Keep-alive over TLS: curl reuses the connection for the second URL.
  auto [rc2, two] = run("curl -sk --max-time 10 " + server_->url() + "/v1/echo/one " +
                        server_->url() + "/v1/nowhere");
  EXPECT_EQ(rc2, 0);
  EXPECT_EQ(two.rfind("one|", 0), 0u) << two;
  EXPECT_NE(two.find("not_found"), std::string::npos) << two;
  // TLS 1.1 is refused.
  auto [old_rc, old_out] =
      run("curl -sk --max-time 10 --tlsv1.1 --tls-max 1.1 " + server_->url() + "/v1/health");
  EXPECT_NE(old_rc, 0);
  // Plain HTTP to the TLS port gets no HTTP answer.
  auto plain = http_request(port_, "GET", "/v1/health", {}, {}, 2s);
  EXPECT_FALSE(plain && plain->status == 200);
}

TEST_F(HttpServerTest, TlsStartFailsNamingTheFile) {
  TempDir dir;
  ServerOptions options;
  options.port = 0;
  options.tls = TlsFiles{dir.path / "missing-cert.pem", dir.path / "missing-key.pem"};
  HttpServer server(options, router_, pool_, metrics_, log_);
  auto result = server.start();
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.status().message().find("missing-cert.pem"), std::string::npos)
      << result.status().message();

  std::ofstream(dir.path / "garbage.pem") << "not a certificate\n";
  options.tls = TlsFiles{dir.path / "garbage.pem", dir.path / "garbage.pem"};
  HttpServer garbage(options, router_, pool_, metrics_, log_);
  auto bad = garbage.start();
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("garbage.pem"), std::string::npos)
      << bad.status().message();
}

}  // namespace
}  // namespace formation::host

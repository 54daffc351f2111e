// The only translation unit of formationd that compiles Beast and Asio.
//
// One Session per connection, all of its handlers on one strand. A session reads one
// request, answers it, then waits for the next: no pipelining of handlers. Every phase has
// an absolute deadline on one timer (not reset per read, so a client sending one byte a
// second is cut at header_timeout). When a deadline passes while a request is being read
// the socket's pending operation is cancelled and a 408 is written before closing.
#include "http/server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>
#include <type_traits>
#include <unordered_map>

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "formation/abi.hpp"
#include "http/request_parsing.hpp"

namespace formation::host {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using BeastRequest = http::request<http::string_body>;
using BeastResponse = http::response<http::string_body>;
using Parser = http::request_parser<http::string_body>;
using namespace std::string_view_literals;

constexpr std::string_view kServerHeader = "formationd/" FORMATION_VERSION;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// After an error response the read side is drained this long before closing, so the
// client reads the response instead of a reset.
constexpr std::chrono::milliseconds kLinger{2000};
constexpr std::chrono::milliseconds kTlsShutdown{1000};

// ---------------------------------------------------------------------------------------
// Request and response conversion, shared by the server and parse_request_for_fuzzing().

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

std::string generate_request_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("{:016x}", rng());
}

template <class Fields>
std::string request_id_for(const Fields& fields) {
  auto it = fields.find("X-Request-Id");
  if (it != fields.end() && valid_request_id(it->value())) return std::string(it->value());
  return generate_request_id();
}

void configure(Parser& parser, std::size_t max_header, std::size_t max_body) {
  parser.header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(max_header, std::numeric_limits<std::uint32_t>::max())));
  parser.body_limit(static_cast<std::uint64_t>(max_body));
}

// The answer to a read error that deserves one (413, 431, 400), else nullopt.
std::optional<ApiError> parse_error(const beast::error_code& ec, std::size_t max_header,
                                    std::size_t max_body) {
  if (ec == http::error::body_limit) {
    return ApiError{413, "payload_too_large",
                    fmt::format("the request body exceeds {} bytes", max_body)};
  }
  if (ec == http::error::header_limit) {
    return ApiError{431, "headers_too_large",
                    fmt::format("the request headers exceed {} bytes", max_header)};
  }
  if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
      ec != http::error::end_of_stream && ec != http::error::partial_message &&
      ec != http::error::need_more) {
    return ApiError{400, "bad_request", fmt::format("malformed HTTP request: {}", ec.message())};
  }
  return std::nullopt;
}

HttpRequest to_http_request(BeastRequest&& req, std::string request_id, std::string remote) {
  HttpRequest out;
  out.method = std::string(req.method_string());
  out.target = std::string(req.target());
  auto q = out.target.find('?');
  out.path = out.target.substr(0, q);
  if (q != std::string::npos) out.query = out.target.substr(q + 1);
  for (const auto& field : req) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto [it, inserted] = out.headers.emplace(std::move(name), std::string(field.value()));
    if (!inserted) it->second += ", " + std::string(field.value());  // RFC 9110 5.3
  }
  out.body = std::move(req.body());
  out.request_id = std::move(request_id);
  out.remote_address = std::move(remote);
  return out;
}

HttpResponse error_response(const ApiError& error, const std::string& request_id,
                            std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpResponse res = HttpResponse::json(error.http_status, error_envelope_json(error, request_id));
  res.headers = std::move(headers);
  return res;
}

HttpResponse internal_error(const std::string& request_id) {
  return error_response({500, "internal", fmt::format("internal error, request id {}", request_id)},
                        request_id);
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

bool iequals(std::string_view a, std::string_view b) { return beast::iequals(a, b); }

// A handler's response the server can send as is: status 200..599, well-formed extra
// headers that do not touch framing. Otherwise a 500 (the handler's bug, logged).
HttpResponse checked(HttpResponse res, const HttpRequest& req, std::string_view pattern,
                     spdlog::logger& log) {
  if (res.status < 200 || res.status > 599) {
    log.error("request {}: handler of {} {} returned HTTP status {}", req.request_id, req.method,
              pattern, res.status);
    return internal_error(req.request_id);
  }
  std::erase_if(res.headers, [&](const auto& h) {
    bool reserved = iequals(h.first, "content-length") || iequals(h.first, "transfer-encoding") ||
                    iequals(h.first, "connection") || iequals(h.first, "x-request-id") ||
                    iequals(h.first, "server") || iequals(h.first, "content-type");
    bool bad = !is_token(h.first) || h.second.find_first_of("\r\n\0"sv) != std::string::npos;
    if (reserved || bad) {
      log.warn("request {}: dropped response header '{}' set by the handler of {} {}",
               req.request_id, h.first, req.method, pattern);
    }
    return reserved || bad;
  });
  if (res.content_type.find_first_of("\r\n\0"sv) != std::string::npos) {
    res.content_type = "application/octet-stream";
  }
  return res;
}

// Authentication and the handler; never throws.
HttpResponse invoke_route(const Router& router, const Route& route, HttpRequest& req,
                          spdlog::logger& log) {
  try {
    if (auto error = router.authenticate(route, req)) return error_response(*error, req.request_id);
    auto result = route.handler(req);
    if (!result.is_ok()) return error_response(from_status(result.status()), req.request_id);
    return checked(std::move(result).value(), req, route.pattern, log);
  } catch (const std::exception& e) {
    log.error("request {}: {} {} threw: {}", req.request_id, req.method, route.pattern, e.what());
  } catch (...) {
    log.error("request {}: {} {} threw a non-standard exception", req.request_id, req.method,
              route.pattern);
  }
  return internal_error(req.request_id);
}

BeastResponse to_beast_response(HttpResponse r, unsigned version, bool keep_alive,
                                const std::string& request_id, bool head) {
  BeastResponse res;
  res.version(version);
  res.result(static_cast<unsigned>(r.status));
  res.set(http::field::server, kServerHeader);
  res.set("X-Request-Id", request_id);
  if (!r.content_type.empty()) res.set(http::field::content_type, r.content_type);
  for (auto& [name, value] : r.headers) res.insert(name, value);
  res.keep_alive(keep_alive);
  if (r.status == 204 || r.status == 304) return res;  // no body, no Content-Length
  res.content_length(r.body.size());
  if (!head) res.body() = std::move(r.body);  // HEAD: GET's headers, no body
  return res;
}

std::string method_label(std::string_view method) {
  for (std::string_view m : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    if (method == m) return std::string(m);
  }
  return method.empty() ? "unknown" : "other";  // bounded label values
}

spdlog::logger& null_logger() {
  static auto logger = std::make_shared<spdlog::logger>("formation-http-null");
  return *logger;
}

}  // namespace

// ---------------------------------------------------------------------------------------

namespace http_detail {

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Both post to the session's strand and return at once.
  virtual void stop_gracefully() = 0;  // idle: close now; busy: close after the response
  virtual void force_close() = 0;
};

struct ServerCore {
  ServerCore(ServerOptions o, Router& r, BlockingPool& p, Metrics& m,
             std::shared_ptr<spdlog::logger> l)
      : options(std::move(o)), router(r), pool(p), metrics(m), log(std::move(l)) {
    if (!log) log = spdlog::default_logger();
  }
  ~ServerCore() {
    // Sessions still referenced by queued handlers die with the io_context; they
    // unregister themselves, so everything else must still be alive here.
    acceptor.reset();
    accept_retry.reset();
    iocs.clear();
  }

  Status listen();
  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  template <class Stream>
  void launch(Stream stream, std::string remote);
  void unregister(SessionBase* session) {
    std::lock_guard lock(mutex);
    sessions.erase(session);
    changed.notify_all();
  }
  void record(std::string_view request_id, std::string_view remote, std::string_view method,
              std::string_view target, std::string_view route, int status, std::size_t bytes,
              Clock::duration elapsed);
  std::vector<std::shared_ptr<SessionBase>> live_sessions() {
    std::vector<std::shared_ptr<SessionBase>> out;
    std::lock_guard lock(mutex);
    for (auto& [raw, weak] : sessions) {
      if (auto s = weak.lock()) out.push_back(std::move(s));
    }
    return out;
  }

  ServerOptions options;
  Router& router;
  BlockingPool& pool;
  Metrics& metrics;
  std::shared_ptr<spdlog::logger> log;

  std::unique_ptr<asio::ssl::context> ssl;
  // One io_context per io thread: a connection lives on one context and so one thread,
  // which keeps the scheduler's lock uncontended and wake-ups local (nginx's model).
  // The acceptor lives on the first and deals connections out round-robin.
  std::vector<std::unique_ptr<asio::io_context>> iocs;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> works;
  std::size_t next_ioc = 0;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unique_ptr<asio::steady_timer> accept_retry;
  std::vector<std::thread> threads;
  std::uint16_t bound_port = 0;

  std::mutex lifecycle;  // start() and shutdown()
  bool started = false;
  bool stopped = false;

  std::mutex mutex;  // guards what follows
  std::condition_variable changed;
  bool stopping = false;
  std::unordered_map<SessionBase*, std::weak_ptr<SessionBase>> sessions;
  std::size_t in_pool = 0;  // requests handed to the blocking pool and not yet returned
};

// Counts a request handed to the blocking pool until its closure is destroyed (run or
// dropped by a stopping pool).
struct PoolTicket {
  explicit PoolTicket(ServerCore& s) : server(s) {
    std::lock_guard lock(server.mutex);
    ++server.in_pool;
  }
  ~PoolTicket() {
    std::lock_guard lock(server.mutex);
    --server.in_pool;
    server.changed.notify_all();
  }
  PoolTicket(const PoolTicket&) = delete;
  PoolTicket& operator=(const PoolTicket&) = delete;
  ServerCore& server;
};

template <class Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, tcp::socket>;
  enum class State { handshake, awaiting, header, body, handling, writing, closing, closed };

 public:
  Session(ServerCore& server, Stream stream, std::string remote)
      : server_(server),
        stream_(std::move(stream)),
        timer_(stream_.get_executor()),
        remote_(std::move(remote)) {}
  ~Session() override { server_.unregister(this); }

  void start() {
    const auto deadline = Clock::now() + server_.options.header_timeout;
    if constexpr (kTls) {
      state_ = State::handshake;
      arm(deadline);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this(), deadline](beast::error_code ec) {
                                self->disarm();
                                if (ec) return self->close_now();
                                self->await_request(deadline, deadline);
                              });
    } else {
      await_request(deadline, deadline);
    }
  }

  void stop_gracefully() override {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      self->stopping_ = true;
      if (self->state_ == State::awaiting || self->state_ == State::handshake) self->close_now();
    });
  }

  auto executor() { return stream_.get_executor(); }

  void force_close() override {
    asio::dispatch(stream_.get_executor(),
                   [self = this->shared_from_this()] { self->close_now(); });
  }

 private:
  auto& socket() { return beast::get_lowest_layer(stream_); }

  // --- deadlines ---------------------------------------------------------------------
  void arm(Clock::time_point deadline) {
    ++timer_generation_;
    timed_out_ = false;
    timer_.expires_at(deadline);
    timer_.async_wait(
        [weak = this->weak_from_this(), generation = timer_generation_](beast::error_code ec) {
          if (ec) return;
          auto self = weak.lock();
          if (self && self->timer_generation_ == generation) self->on_deadline();
        });
  }
  void disarm() {
    ++timer_generation_;
    timer_.cancel();
  }
  void on_deadline() {
    if (state_ == State::header || state_ == State::body) {
      timed_out_ = true;  // the pending read completes with operation_aborted
      beast::error_code ignored;
      socket().cancel(ignored);
    } else {
      close_now();
    }
  }

  // --- reading -----------------------------------------------------------------------
  // Waits for the first byte of a request until `first_byte_deadline`, then gives the
  // headers until `header_deadline` (nullopt: header_timeout from the first byte).
  void await_request(Clock::time_point first_byte_deadline,
                     std::optional<Clock::time_point> header_deadline) {
    if (stopping_) return close_now();
    parser_.emplace();
    configure(*parser_, server_.options.max_header_bytes, server_.options.max_body_bytes);
    body_limit_ = server_.options.max_body_bytes;
    request_id_.clear();
    method_.clear();
    target_.clear();
    route_ = "unmatched";
    keep_alive_ = false;
    if (buffer_.size() > 0) {  // pipelined bytes already here
      return read_header(header_deadline.value_or(Clock::now() + server_.options.header_timeout));
    }
    state_ = State::awaiting;
    arm(first_byte_deadline);
    stream_.async_read_some(
        buffer_.prepare(4096),
        [self = this->shared_from_this(), header_deadline](beast::error_code ec, std::size_t n) {
          self->disarm();
          if (ec || self->state_ == State::closed) return self->close_now();
          self->buffer_.commit(n);
          self->read_header(
              header_deadline.value_or(Clock::now() + self->server_.options.header_timeout));
        });
  }

  void read_header(Clock::time_point deadline) {
    state_ = State::header;
    request_start_ = Clock::now();
    arm(deadline);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              self->disarm();
                              if (ec) return self->on_read_error(ec);
                              self->on_header();
                            });
  }

  void on_header() {
    const auto& req = parser_->get();
    method_ = std::string(req.method_string());
    target_ = std::string(req.target());
    request_id_ = request_id_for(req);
    if (parser_->is_done()) return on_request();
    apply_route_body_limit();
    state_ = State::body;
    arm(Clock::now() + server_.options.body_timeout);
    auto expect = req[http::field::expect];
    if (req.version() >= 11 && iequals(expect, "100-continue")) {
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                          if (ec) {
                            self->disarm();
                            return self->on_read_error(ec);
                          }
                          self->read_body();
                        });
    } else {
      read_body();
    }
  }

  // Uploads may exceed the server-wide cap: the route decides, before the body is read.
  void apply_route_body_limit() {
    body_limit_ = server_.options.max_body_bytes;
    std::string_view target = target_;
    auto match = server_.router.match(method_, target.substr(0, target.find('?')));
    if (match.route && match.route->max_body_bytes > 0) body_limit_ = match.route->max_body_bytes;
    parser_->body_limit(static_cast<std::uint64_t>(body_limit_));
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       self->disarm();
                       if (ec) return self->on_read_error(ec);
                       self->on_request();
                     });
  }

  void on_read_error(beast::error_code ec) {
    if (state_ == State::closed) return;
    if (request_id_.empty()) request_id_ = generate_request_id();
    if (timed_out_) {
      bool in_body = state_ == State::body;
      return send_error(ApiError{408, "request_timeout",
                                 fmt::format("the request {} not arrive within {} ms",
                                             in_body ? "body did" : "headers did",
                                             in_body ? server_.options.body_timeout.count()
                                                     : server_.options.header_timeout.count())});
    }
    if (auto error = parse_error(ec, server_.options.max_header_bytes, body_limit_)) {
      return send_error(*error);
    }
    close_now();  // the peer went away, or the server is closing the connection
  }

  void send_error(const ApiError& error) {
    keep_alive_ = false;
    if (method_.empty()) method_ = "-";
    if (target_.empty()) target_ = "-";
    version_ = 11;
    head_ = false;
    respond(error_response(error, request_id_));
  }

  // --- handling ----------------------------------------------------------------------
  void on_request() {
    state_ = State::handling;
    BeastRequest req = parser_->release();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    head_ = req.method() == http::verb::head;
    HttpRequest request = to_http_request(std::move(req), request_id_, remote_);
    auto match = server_.router.match(request.method, request.path);
    route_ = match.pattern;
    if (!match.route) {
      return respond(error_response(*match.error, request_id_, std::move(match.headers)));
    }
    request.path_params = std::move(match.path_params);
    if (match.route->execution == RouteExecution::io_thread) {
      return respond(invoke_route(server_.router, *match.route, request, *server_.log));
    }
    auto ticket = std::make_shared<PoolTicket>(server_);
    server_.pool.post([self = this->shared_from_this(), route = std::move(match.route),
                       request = std::move(request), ticket]() mutable {
      HttpResponse res = invoke_route(self->server_.router, *route, request, *self->server_.log);
      auto executor = self->stream_.get_executor();
      asio::post(executor, [self = std::move(self), res = std::move(res)]() mutable {
        self->respond(std::move(res));
      });
    });
  }

  // --- writing -----------------------------------------------------------------------
  void respond(HttpResponse res) {
    const int status = res.status;
    if (state_ == State::closed) {  // closed while the handler ran (shutdown)
      return finish(status, 0);
    }
    state_ = State::writing;
    const bool keep = keep_alive_ && !stopping_;
    response_.emplace(to_beast_response(std::move(res), version_, keep, request_id_, head_));
    arm(Clock::now() + server_.options.body_timeout);
    http::async_write(
        stream_, *response_,
        [self = this->shared_from_this(), status, keep](beast::error_code ec, std::size_t bytes) {
          self->disarm();
          self->response_.reset();
          self->finish(status, ec ? 0 : bytes);
          if (ec || self->state_ == State::closed) return self->close_now();
          if (!keep || self->stopping_) return self->close_gracefully();
          const auto now = Clock::now();
          self->await_request(now + self->server_.options.idle_timeout, std::nullopt);
        });
  }

  void finish(int status, std::size_t bytes) {
    server_.record(request_id_, remote_, method_, target_, route_, status, bytes,
                   Clock::now() - request_start_);
  }

  // --- closing -----------------------------------------------------------------------
  void close_gracefully() {
    state_ = State::closing;
    if constexpr (kTls) {
      arm(Clock::now() + kTlsShutdown);
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        self->disarm();
        self->close_now();
      });
    } else {
      beast::error_code ignored;
      socket().shutdown(tcp::socket::shutdown_send, ignored);
      arm(Clock::now() + kLinger);
      drain();
    }
  }

  void drain() {
    socket().async_read_some(asio::buffer(drain_),
                             [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                               if (ec || self->state_ == State::closed) {
                                 self->disarm();
                                 return self->close_now();
                               }
                               self->drain();
                             });
  }

  void close_now() {
    if (state_ == State::closed) return;
    state_ = State::closed;
    disarm();
    beast::error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
  }

  ServerCore& server_;
  Stream stream_;
  asio::steady_timer timer_;
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<Parser> parser_;
  std::optional<BeastResponse> response_;
  std::array<char, 4096> drain_{};

  State state_ = State::awaiting;
  std::uint64_t timer_generation_ = 0;
  bool timed_out_ = false;
  bool stopping_ = false;

  // The request being served, for the response, the access log and the metrics.
  std::string request_id_, method_, target_, route_ = "unmatched";
  std::size_t body_limit_ = 0;
  bool keep_alive_ = false;
  bool head_ = false;
  unsigned version_ = 11;
  Clock::time_point request_start_ = Clock::now();
};

// ---------------------------------------------------------------------------------------

void ServerCore::record(std::string_view request_id, std::string_view remote,
                        std::string_view method, std::string_view target, std::string_view route,
                        int status, std::size_t bytes, Clock::duration elapsed) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  const std::string m = method_label(method == "-" ? std::string_view{} : method);
  metrics
      .counter("formation_http_requests_total",
               "HTTP requests answered, by method, route pattern and status",
               {{"method", m}, {"route", std::string(route)}, {"status", std::to_string(status)}})
      .inc();
  metrics
      .histogram("formation_http_request_duration_seconds",
                 "Time from the first byte of a request to the end of its response",
                 {{"method", m}, {"route", std::string(route)}})
      .observe(seconds);
  if (options.access_log) {
    log->info("{} {} {} {} {} {} {:.3f}", request_id, remote, method, target, status, bytes,
              seconds * 1000.0);
  }
}

template <class Stream>
void ServerCore::launch(Stream stream, std::string remote) {
  auto session = std::make_shared<Session<Stream>>(*this, std::move(stream), std::move(remote));
  {
    std::lock_guard lock(mutex);
    if (stopping) return;  // closes the socket as `session` goes
    sessions.emplace(session.get(), session);
  }
  asio::dispatch(session->executor(), [session] { session->start(); });
}

}  // namespace http_detail

struct HttpServer::Impl : http_detail::ServerCore {
  using ServerCore::ServerCore;
};

}  // namespace formation::host

namespace formation::host {

Status http_detail::ServerCore::listen() {
  const std::string where = fmt::format("{}:{}", options.address, options.port);
  if (options.tls) {
    ssl = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    ssl->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::single_dh_use);
    SSL_CTX_set_min_proto_version(ssl->native_handle(), TLS1_2_VERSION);
    beast::error_code ec;
    const auto& cert = options.tls->certificate;
    const auto& key = options.tls->private_key;
    std::error_code fs_ec;
    if (!std::filesystem::is_regular_file(cert, fs_ec)) {
      return Status::invalid(fmt::format("TLS certificate {} does not exist", cert.string()));
    }
    if (!std::filesystem::is_regular_file(key, fs_ec)) {
      return Status::invalid(fmt::format("TLS private key {} does not exist", key.string()));
    }
    ssl->use_certificate_chain_file(cert.string(), ec);
    if (ec) {
      return Status::invalid(
          fmt::format("cannot load TLS certificate {}: {}", cert.string(), ec.message()));
    }
    ssl->use_private_key_file(key.string(), asio::ssl::context::pem, ec);
    if (ec) {
      return Status::invalid(
          fmt::format("cannot load TLS private key {}: {}", key.string(), ec.message()));
    }
    if (SSL_CTX_check_private_key(ssl->native_handle()) != 1) {
      return Status::invalid(fmt::format("TLS private key {} does not match certificate {}",
                                         key.string(), cert.string()));
    }
  }

  iocs.clear();
  for (unsigned i = 0; i < std::max(1u, options.io_threads); ++i) {
    iocs.push_back(std::make_unique<asio::io_context>(1));
  }
  beast::error_code ec;
  tcp::resolver resolver(*iocs.front());
  auto endpoints = resolver.resolve(options.address, std::to_string(options.port),
                                    tcp::resolver::numeric_service | tcp::resolver::passive, ec);
  if (ec || endpoints.empty()) {
    return Status::invalid(fmt::format("cannot listen on {}: cannot resolve address: {}", where,
                                       ec ? ec.message() : "no address"));
  }
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  acceptor = std::make_unique<tcp::acceptor>(asio::make_strand(*iocs.front()));
  accept_retry = std::make_unique<asio::steady_timer>(acceptor->get_executor());
  auto fail = [&](std::string_view what) {
    beast::error_code ignored;
    acceptor->close(ignored);
    return Status::unavailable(
        fmt::format("cannot listen on {}: {}: {}", where, what, ec.message()));
  };
  acceptor->open(endpoint.protocol(), ec);
  if (ec) return fail("open");
  acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("setsockopt");
  acceptor->bind(endpoint, ec);
  if (ec) return fail("bind");
  acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  bound_port = acceptor->local_endpoint(ec).port();
  if (ec) return fail("getsockname");
  return Status::ok();
}

void http_detail::ServerCore::do_accept() {
  auto& target = *iocs[next_ioc++ % iocs.size()];
  acceptor->async_accept(
      target.get_executor(),  // one thread per context: no strand needed
      [this](beast::error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
}

void http_detail::ServerCore::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
  if (ec) {
    // Out of descriptors and the like: wait a little rather than spin.
    log->warn("accept on {}:{} failed: {}", options.address, bound_port, ec.message());
    accept_retry->expires_after(std::chrono::milliseconds(100));
    accept_retry->async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec && acceptor->is_open()) do_accept();
    });
    return;
  }
  beast::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  auto remote = socket.remote_endpoint(ignored);
  std::string address = ignored ? std::string("-") : remote.address().to_string();
  if (ssl) {
    launch(beast::ssl_stream<tcp::socket>(std::move(socket), *ssl), std::move(address));
  } else {
    launch(std::move(socket), std::move(address));
  }
  do_accept();
}

HttpServer::HttpServer(ServerOptions options, Router& router, BlockingPool& pool, Metrics& metrics,
                       std::shared_ptr<spdlog::logger> log)
    : impl_(std::make_unique<Impl>(std::move(options), router, pool, metrics, std::move(log))) {}

HttpServer::~HttpServer() { shutdown(std::chrono::milliseconds(0)); }

Result<std::uint16_t> HttpServer::start() {
  Impl& s = *impl_;
  std::lock_guard lifecycle(s.lifecycle);
  if (s.started) return Status::invalid("the HTTP server was already started");
  if (Status st = s.listen(); !st.is_ok()) {
    s.acceptor.reset();
    s.accept_retry.reset();
    s.iocs.clear();
    s.ssl.reset();
    return st;
  }
  s.started = true;
  for (auto& ioc : s.iocs) s.works.emplace_back(ioc->get_executor());
  asio::dispatch(s.acceptor->get_executor(), [&s] { s.do_accept(); });
  for (auto& ioc : s.iocs) {
    s.threads.emplace_back([&s, ctx = ioc.get()] {
      for (;;) {
        try {
          ctx->run();
          return;
        } catch (const std::exception& e) {  // a bug; keep serving the other connections
          s.log->error("HTTP io thread: unexpected exception: {}", e.what());
        }
      }
    });
  }
  s.log->info("listening on {}", url());
  return s.bound_port;
}

void HttpServer::shutdown(std::chrono::milliseconds grace) {
  Impl& s = *impl_;
  std::lock_guard lifecycle(s.lifecycle);
  if (!s.started || s.stopped) return;
  s.stopped = true;
  const auto deadline = Clock::now() + grace;

  // 1. Stop accepting: once this returns, a new connect is refused.
  std::promise<void> closed;
  asio::dispatch(s.acceptor->get_executor(), [&s, &closed] {
    beast::error_code ignored;
    s.acceptor->close(ignored);
    s.accept_retry->cancel();
    closed.set_value();
  });
  closed.get_future().wait();

  // 2. Idle connections close now; busy ones after their response.
  {
    std::lock_guard lock(s.mutex);
    s.stopping = true;
  }
  for (auto& session : s.live_sessions()) session->stop_gracefully();

  // 3. Let in-flight requests finish, up to the grace period.
  {
    std::unique_lock lock(s.mutex);
    s.changed.wait_until(lock, deadline, [&s] { return s.sessions.empty() && s.in_pool == 0; });
  }

  // 4. Close what is left. Handlers running on the blocking pool cannot be interrupted;
  //    their sessions are still referenced there, so wait for them to return.
  for (auto& session : s.live_sessions()) session->force_close();
  {
    std::unique_lock lock(s.mutex);
    if (!s.changed.wait_for(lock, std::chrono::seconds(1), [&s] { return s.in_pool == 0; })) {
      s.log->warn("HTTP shutdown: waiting for {} handler(s) still running on the blocking pool",
                  s.in_pool);
      s.changed.wait(lock, [&s] { return s.in_pool == 0; });
    }
    s.changed.wait_for(lock, std::chrono::seconds(1), [&s] { return s.sessions.empty(); });
  }

  // 5. Stop the io threads; sessions still queued die with the io_context.
  s.works.clear();
  for (auto& ioc : s.iocs) ioc->stop();
  for (auto& t : s.threads) t.join();
  s.threads.clear();
  s.log->info("HTTP server on {} stopped", url());
}

std::string HttpServer::url() const {
  const Impl& s = *impl_;
  std::string host = s.options.address;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return fmt::format("{}://{}:{}", s.options.tls ? "https" : "http", host,
                     s.started ? s.bound_port : s.options.port);
}

ParsedRequestOutcome parse_request_for_fuzzing(std::string_view bytes, std::size_t max_body,
                                               const Router& router, std::size_t max_header) {
  ParsedRequestOutcome out;
  Parser parser;
  configure(parser, max_header, max_body);
  beast::flat_buffer buffer;
  buffer.commit(
      asio::buffer_copy(buffer.prepare(bytes.size()), asio::buffer(bytes.data(), bytes.size())));
  beast::error_code ec;
  // Feed what there is; stop when the parser is done, fails, or wants bytes we lack (the
  // server would wait for them and then time out).
  while (!parser.is_done() && buffer.size() > 0) {
    const std::size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec == http::error::need_more) ec = {};
    if (ec || used == 0) break;
  }
  if (ec) {
    if (auto error = parse_error(ec, max_header, max_body)) out.status = error->http_status;
    return out;
  }
  if (!parser.is_done()) return out;
  out.complete = true;

  BeastRequest beast_request = parser.release();
  const bool head = beast_request.method() == http::verb::head;
  const unsigned version = beast_request.version();
  const bool keep_alive = beast_request.keep_alive();
  std::string request_id = request_id_for(beast_request);
  HttpRequest request = to_http_request(std::move(beast_request), request_id, "127.0.0.1");
  auto match = router.match(request.method, request.path);
  out.route = match.pattern;
  HttpResponse response;
  if (!match.route) {
    response = error_response(*match.error, request_id, std::move(match.headers));
  } else {
    request.path_params = std::move(match.path_params);
    response = invoke_route(router, *match.route, request, null_logger());
  }
  out.status = response.status;
  // Serialize as the server would, to exercise the response path too.
  std::ostringstream wire;
  wire << to_beast_response(std::move(response), version, keep_alive, request_id, head);
  return out;
}

}  // namespace formation::host

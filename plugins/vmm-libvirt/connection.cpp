#include "connection.hpp"

#include <libvirt/virterror.h>

#include <atomic>
#include <thread>

namespace formation::libvirt {

namespace {

// libvirt prints every error to stderr unless told otherwise; we log them ourselves.
void swallow_error(void* /*opaque*/, virErrorPtr /*error*/) {}

void initialise_libvirt() {
  static std::once_flag once;
  std::call_once(once, [] {
    virInitialize();
    virSetErrorFunc(nullptr, swallow_error);
    // Must precede the first virConnectOpen of the process for events to be delivered.
    virEventRegisterDefaultImpl();
  });
}

// What a tenant may read of a libvirt error: its first line, without the QEMU command line
// and environment libvirt quotes when QEMU fails to start (paths, PATH, HOME of the host).
std::string first_line(const char* text) {
  if (text == nullptr) return "unknown error";
  std::string line(text);
  line = line.substr(0, line.find('\n'));
  if (auto child = line.find("Child process ("); child != std::string::npos) {
    return line.substr(0, child) + "QEMU could not start the guest (details in formationd's log)";
  }
  return line.size() > 300 ? line.substr(0, 300) + "..." : line;
}

}  // namespace

// libvirt has one default event loop per process and it may only be run by one thread at
// a time, so every Connection of the process shares one thread, alive while any uses it.
class EventLoop {
 public:
  EventLoop() : thread_([this] { run(); }) {}
  ~EventLoop() {
    stopping_ = true;
    // A zero timeout wakes the loop at once so that it sees stopping_.
    virEventAddTimeout(0, wake, nullptr, nullptr);
    thread_.join();
  }
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  static std::shared_ptr<EventLoop> acquire() {
    static std::mutex mutex;
    static std::weak_ptr<EventLoop> shared;
    std::lock_guard lock(mutex);
    auto loop = shared.lock();
    if (!loop) {
      loop = std::make_shared<EventLoop>();
      shared = loop;
    }
    return loop;
  }

 private:
  static void wake(int timer, void* /*opaque*/) { virEventRemoveTimeout(timer); }
  void run() {
    while (!stopping_) {
      if (virEventRunDefaultImpl() < 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

Connection::Connection(std::string uri, std::shared_ptr<spdlog::logger> log,
                       LifecycleHandler handler)
    : uri_(std::move(uri)), log_(std::move(log)), handler_(std::move(handler)) {
  initialise_libvirt();
  loop_ = EventLoop::acquire();
}

Connection::~Connection() {
  close();
  loop_.reset();
}

Result<ConnPtr> Connection::get() {
  std::lock_guard lock(mutex_);
  if (conn_ && virConnectIsAlive(conn_.get()) == 1) return conn_;
  if (conn_) {
    log_->warn("the connection to {} was lost; reconnecting", uri_);
    close_locked();
  }
  virConnectPtr raw = virConnectOpen(uri_.c_str());
  if (raw == nullptr) {
    const auto* error = virGetLastError();
    last_error_ = "cannot connect to " + uri_ + ": " + first_line(error ? error->message : nullptr);
    log_->warn("{}", last_error_);
    return Status::unavailable(last_error_ + " (is libvirtd running?)");
  }
  // Keepalive makes a dead daemon visible to virConnectIsAlive; local drivers refuse it.
  if (virConnectSetKeepAlive(raw, 5, 3) < 0) virResetLastError();
  conn_ = ConnPtr(raw, [](virConnectPtr c) { virConnectClose(c); });
  callback_id_ =
      virConnectDomainEventRegisterAny(raw, nullptr, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                       VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), this, nullptr);
  if (callback_id_ < 0) {
    log_->warn("{}: lifecycle events unavailable: {}", uri_, first_line(virGetLastErrorMessage()));
  }
  last_error_.clear();
  log_->info("connected to {}", uri_);
  return conn_;
}

void Connection::close() {
  std::lock_guard lock(mutex_);
  close_locked();
}

void Connection::close_locked() {
  if (conn_ && callback_id_ >= 0) virConnectDomainEventDeregisterAny(conn_.get(), callback_id_);
  callback_id_ = -1;
  conn_.reset();
}

PluginHealth Connection::health() const {
  std::lock_guard lock(mutex_);
  if (conn_ && virConnectIsAlive(conn_.get()) == 1)
    return {HealthState::ok, "connected to " + uri_};
  if (!last_error_.empty()) return {HealthState::down, last_error_ + "; start libvirtd"};
  return {HealthState::down, "not connected to " + uri_};
}

int Connection::on_lifecycle(virConnectPtr /*conn*/, virDomainPtr domain, int event, int detail,
                             void* opaque) {
  const auto* self = static_cast<Connection*>(opaque);
  if (self->handler_) self->handler_(domain, event, detail);
  return 0;
}

int last_error_code() {
  const auto* error = virGetLastError();
  return error == nullptr ? VIR_ERR_OK : error->code;
}

Status libvirt_error(std::string_view doing, spdlog::logger& log) {
  const auto* error = virGetLastError();
  int code = error == nullptr ? VIR_ERR_INTERNAL_ERROR : error->code;
  const char* text = error == nullptr ? nullptr : error->message;
  log.warn("{}: libvirt error {}: {}", doing, code, text ? text : "(none)");
  std::string message = std::string(doing) + ": " + first_line(text);
  switch (code) {
    case VIR_ERR_NO_DOMAIN: return Status::not_found(message);
    case VIR_ERR_OPERATION_INVALID:
    case VIR_ERR_DOM_EXIST: return Status::conflict(message);
    case VIR_ERR_NO_SUPPORT:
    case VIR_ERR_ARGUMENT_UNSUPPORTED: return Status::unsupported(message);
    case VIR_ERR_INVALID_ARG:
    case VIR_ERR_XML_ERROR:
    case VIR_ERR_XML_DETAIL:
    case VIR_ERR_CONFIG_UNSUPPORTED: return Status::invalid(message);
    case VIR_ERR_OPERATION_DENIED:
    case VIR_ERR_AUTH_FAILED:
    case VIR_ERR_AUTH_CANCELLED:
    case VIR_ERR_ACCESS_DENIED: return Status::permission_denied(message);
    case VIR_ERR_NO_CONNECT:
    case VIR_ERR_INVALID_CONN:
    case VIR_ERR_RPC:
    case VIR_ERR_OPERATION_TIMEOUT:
    case VIR_ERR_AGENT_UNRESPONSIVE: return Status::unavailable(message);
    default: return Status::internal(message);
  }
}

}  // namespace formation::libvirt

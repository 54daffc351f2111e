// The shared libvirt connection: opened lazily and again after it drops, so the plugin
// starts without a hypervisor; libvirt's event loop thread; libvirt errors as Status.
#pragma once

#include <libvirt/libvirt.h>
#include <spdlog/logger.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "formation/plugin.hpp"
#include "formation/status.hpp"

namespace formation::libvirt {

using ConnPtr = std::shared_ptr<virConnect>;

// Called on the event loop thread for every domain lifecycle event on the connection.
using LifecycleHandler = std::function<void(virDomainPtr domain, int event, int detail)>;

class EventLoop;

class Connection {
 public:
  Connection(std::string uri, std::shared_ptr<spdlog::logger> log, LifecycleHandler handler);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // The open connection, opening it first when it is closed or dead; unavailable when the
  // hypervisor cannot be reached.
  Result<ConnPtr> get();
  void close();
  [[nodiscard]] PluginHealth health() const;
  [[nodiscard]] const std::string& uri() const { return uri_; }

 private:
  static int on_lifecycle(virConnectPtr conn, virDomainPtr domain, int event, int detail,
                          void* opaque);
  void close_locked();

  std::string uri_;
  std::shared_ptr<spdlog::logger> log_;
  LifecycleHandler handler_;
  std::shared_ptr<EventLoop> loop_;
  mutable std::mutex mutex_;
  ConnPtr conn_;
  int callback_id_ = -1;
  std::string last_error_;
};

// The Status for the libvirt call that just failed on this thread: the full error goes to
// `log`, the message is "<doing>: <first line of libvirt's message>".
Status libvirt_error(std::string_view doing, spdlog::logger& log);

// libvirt's error code of the call that just failed on this thread (VIR_ERR_OK if none).
int last_error_code();

}  // namespace formation::libvirt

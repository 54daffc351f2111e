// What the suites that run formationd as a process share: keys and signed requests (the
// client signing library), replies, the daemon with state-sqlite and an operator admin, and
// the same SQLite file opened in this process (WAL: both see every commit) so that a test
// can write rows the API has no route for.
#pragma once

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "daemon_process.hpp"
#include "formation/kinds/state_store.hpp"
#include "identity/signing.hpp"
#include "plugins/host_services_impl.hpp"
#include "plugins/plugin_registry.hpp"
#include "runtime/blocking_pool.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/metrics_registry.hpp"
#include "runtime/timer_service.hpp"

namespace formation::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

inline const std::filesystem::path kPlugins = PLUGIN_BUILD_DIR;
// The well-known test key of issue 3 (address 0x2c7536E3605D9C16a7a3D7b1898e529396a65c23).
inline constexpr const char* kAdminKey =
    "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";

std::mt19937_64& rng();
std::string random_hex(std::size_t bytes);

struct Key {
  identity::PrivateKey key{};
  std::string address;
};

Key key_from(const std::string& hex);
Key random_key();

long long now_seconds();

// The headers of a request signed by `k`; `signed_target` (when not empty) is what the
// signature covers instead of `target`, to test a mismatch.
Headers sign(const Key& k, const std::string& method, const std::string& target,
             const std::string& body, long long timestamp = now_seconds(),
             const std::string& signed_target = "");

struct Reply {
  int status = 0;
  std::string body;
  std::string code;  // the error envelope's code, when there is one
  std::string message;
  std::shared_ptr<rapidjson::Document> json = std::make_shared<rapidjson::Document>();

  // A string member of the body, or "" when there is none.
  [[nodiscard]] std::string str(const char* key) const;
};

// An in-process StateStore over the daemon's SQLite file (the host's own loader).
struct InProcessStore {
  explicit InProcessStore(const std::filesystem::path& db_file);
  ~InProcessStore();
  InProcessStore(const InProcessStore&) = delete;
  InProcessStore& operator=(const InProcessStore&) = delete;

  std::filesystem::path data_dir;
  host::MetricsRegistry metrics;
  host::ThreadPool pool{2};
  host::InProcessEventBus events;
  host::TimerService timers{pool};
  host::RuntimeServices runtime;
  std::unique_ptr<host::PluginRegistry> registry;
  StateStore* store = nullptr;
  std::string error;
};

// One formationd for a whole suite: its SetUpTestSuite calls make_config(), adds its plugin
// files to config_, then calls start_daemon(). The objects are static, hence pointers, as
// they live from SetUpTestSuite to TearDownTestSuite.
class SignedDaemonTest : public ::testing::Test {
 protected:
  // A config folder with the admin and state-sqlite; `extra_json` is more of formation.json.
  static void make_config(const std::string& extra_json = "");
  static void start_daemon();
  static void TearDownTestSuite();
  // Instances for real: builder-cloudinit over an empty 1 GiB base image and vmm-libvirt on
  // libvirt's test:///default driver (no network). Call between make_config() and
  // start_daemon(); make_config() then needs a node capacity ("node": {"capacity": ...}).
  static void add_instance_plugins();
  // A build of a minimal Formfile through POST /v1/builds, waited for; "" (and a test
  // failure) when it did not succeed.
  static std::string build_image(const Key& k);
  // An instance of `k`'s from build_image(), created through POST /v1/instances and waited
  // for; its id, or "" (and a test failure).
  static std::string create_instance(const Key& k);
  // Polls GET /v1/operations/{id} until it succeeded or failed (60 s at most).
  static Reply wait_operation(const Key& k, const std::string& id);

  void SetUp() override;

  static Reply send(const std::string& method, const std::string& target, const std::string& body,
                    const Headers& headers);
  static Reply call(const Key& k, const std::string& method, const std::string& target,
                    const std::string& body = "");
  // A signed request with extra headers (If-Match, ...).
  static Reply call_with(const Key& k, const std::string& method, const std::string& target,
                         const std::string& body, const Headers& extra);

  static inline Key* admin_ = nullptr;
  static inline TempConfig* config_ = nullptr;
  static inline std::filesystem::path* db_file_ = nullptr;
  static inline DaemonProcess* daemon_ = nullptr;
  static inline InProcessStore* store_ = nullptr;
};

}  // namespace formation::testing

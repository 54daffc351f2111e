#include "app/host.hpp"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <algorithm>

#include "api/builds.hpp"
#include "api/operations.hpp"
#include "api/routes.hpp"
#include "formation/kinds/state_store.hpp"
#include "identity/request_verifier.hpp"

namespace formation::host {

Host::Host(const LoadedConfig& config)
    : config_(config.host),
      started_at_(std::chrono::steady_clock::now()),
      pool_(config.host.blocking_threads),
      timers_(pool_) {
  runtime_ = std::make_unique<RuntimeServices>(
      RuntimeServices{events_, timers_, pool_, metrics_,
                      [this](Route route, const std::string& owner) {
                        return router_.add(std::move(route), owner);
                      },
                      [this](PluginKind kind, std::string_view instance) -> Plugin* {
                        return registry_ ? registry_->find(kind, instance) : nullptr;
                      },
                      config_.data_dir});
  registry_ = std::make_unique<PluginRegistry>(*runtime_);
  route_context_ = std::make_unique<HostRouteContext>(
      HostRouteContext{*registry_, metrics_, started_at_, config_.metrics_public});
  metrics_.gauge("formation_build_info", "formationd version.", {{"version", FORMATION_VERSION}})
      .set(1);
}

Host::~Host() { shutdown(); }

Status Host::start_plugins(std::vector<PreparedInstance> instances) {
  if (auto st = add_host_routes(router_, *route_context_); !st.is_ok()) return st;
  if (std::any_of(instances.begin(), instances.end(), [](const PreparedInstance& i) {
        return i.library.descriptor->kind == PluginKind::state_store;
      })) {
    api::ApiContext api{
        [this] { return static_cast<StateStore*>(registry_->find(PluginKind::state_store, "")); },
        config_.admins};
    if (auto st = api::add_api_routes(router_, std::move(api)); !st.is_ok()) return st;
  }
  if (auto st = registry_->create_and_start(std::move(instances)); !st.is_ok()) return st;
  if (auto st = add_build_routes(); !st.is_ok()) return st;
  // Signed routes (DESIGN.md §5): nonces live in the state store, shared by every host.
  if (auto* store = static_cast<StateStore*>(registry_->find(PluginKind::state_store, ""))) {
    auto verifier = std::make_shared<identity::RequestVerifier>(
        identity::VerifierOptions{config_.clock_skew},
        std::make_shared<identity::StateStoreNonces>(*store));
    router_.set_authenticator([verifier](const HttpRequest& r) { return verifier->verify(r); });
  } else {
    router_.set_authenticator([](const HttpRequest&) -> std::variant<std::string, ApiError> {
      return ApiError{503, "unavailable",
                      "signed routes need a state store plugin (enable state-sqlite in "
                      "plugins.d/)"};
    });
  }
  router_.freeze();
  return Status::ok();
}

// Builds need the started plugins: the upload cap comes from the image builder's limits.
Status Host::add_build_routes() {
  auto* store = static_cast<StateStore*>(registry_->find(PluginKind::state_store, ""));
  if (store == nullptr) return Status::ok();
  const std::string node = node_id();
  if (auto st = api::recover_interrupted_builds(*store, node); !st.is_ok()) {
    spdlog::warn("could not mark interrupted builds as failed: {}", st.to_string());
  }
  api::ApiContext api{[store] { return store; }, config_.admins};
  if (auto st = api::add_operation_routes(router_, api); !st.is_ok()) return st;
  api::BuildsContext builds{
      api,
      [this] { return static_cast<ImageBuilder*>(registry_->find(PluginKind::image_builder, "")); },
      [this](std::function<void()> work) { pool_.post(std::move(work)); },
      [this](Event event) { events_.publish(std::move(event)); },
      config_.data_dir / "builds-work",
      node};
  return api::add_build_routes(router_, std::move(builds));
}

// Until nodes register (issue 5 gives them the operator's address), the host name.
std::string Host::node_id() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "localhost";
  return name;
}

Result<std::string> Host::listen() {
  ServerOptions options;
  options.address = config_.listen_address;
  options.port = config_.port;
  options.max_body_bytes = config_.max_body_bytes;
  options.header_timeout = config_.header_timeout;
  options.body_timeout = config_.body_timeout;
  options.idle_timeout = config_.idle_timeout;
  options.io_threads = config_.io_threads;
  options.access_log = config_.access_log;
  if (config_.tls) options.tls = TlsFiles{config_.tls->certificate, config_.tls->private_key};
  auto log = spdlog::default_logger()->clone("http");
  server_ = std::make_unique<HttpServer>(options, router_, pool_, metrics_, log);
  auto port = server_->start();
  if (!port.is_ok()) return port.status();
  return server_->url();
}

void Host::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (server_) server_->shutdown(config_.shutdown_grace);
  registry_->stop_all();
  // Timers first (they post to the pool), then the bus, then the pool drains what is left.
  timers_.shutdown();
  events_.shutdown();
  pool_.shutdown();
}

}  // namespace formation::host

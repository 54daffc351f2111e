#include "app/host.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "api/billing_routes.hpp"
#include "api/builds.hpp"
#include "api/dns_records.hpp"
#include "api/instance_mesh.hpp"
#include "api/instances.hpp"
#include "api/mesh_routes.hpp"
#include "api/nodes.hpp"
#include "api/operations.hpp"
#include "api/routes.hpp"
#include "api/threshold_routes.hpp"
#include "api/usage_routes.hpp"
#include "api/webhook_routes.hpp"
#include "formation/kinds/dns.hpp"
#include "formation/kinds/image_builder.hpp"
#include "formation/kinds/mesh.hpp"
#include "formation/kinds/state_store.hpp"
#include "identity/request_verifier.hpp"
#include "mesh/join_token.hpp"
#include "mesh/node_peer.hpp"
#include "node/node_identity.hpp"
#include "node/node_registration.hpp"

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
  if (auto st = add_post_start_routes(); !st.is_ok()) return st;
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

// Builds, instances, nodes and DNS records need the started plugins: the upload cap comes from the
// image builder's limits, capacity and events from the VM plugin.
Status Host::add_post_start_routes() {
  auto* store = static_cast<StateStore*>(registry_->find(PluginKind::state_store, ""));
  if (store == nullptr) return Status::ok();
  auto node = node_id(config_.node.id, config_.data_dir);
  if (!node.is_ok()) return node.status();
  node_id_ = *node;
  api::ApiContext api{[store] { return store; }, config_.admins};
  if (auto st = api::add_operation_routes(router_, api); !st.is_ok()) return st;
  if (auto st = api::add_node_routes(router_, api); !st.is_ok()) return st;
  auto run_later = [this](std::function<void()> work) { pool_.post(std::move(work)); };
  auto publish = [this](Event event) { events_.publish(std::move(event)); };
  api::BuildsContext builds{
      api,
      [this] { return static_cast<ImageBuilder*>(registry_->find(PluginKind::image_builder, "")); },
      run_later,
      publish,
      config_.data_dir / "builds-work",
      node_id_};
  if (auto st = api::add_build_routes(router_, std::move(builds)); !st.is_ok()) return st;
  api::InstanceLifecycleOptions options;
  options.node_id = node_id_;
  options.console_dir = config_.data_dir / "consoles";
  auto mesh = [this] { return static_cast<Mesh*>(registry_->find(PluginKind::mesh, "")); };
  std::shared_ptr<const mesh::JoinTokens> tokens;
  if (mesh() != nullptr) {
    auto opened = mesh::JoinTokens::open(config_.data_dir / "mesh" / "join-token.key");
    if (opened.is_ok()) {
      tokens = std::make_shared<const mesh::JoinTokens>(std::move(opened).value());
    } else {
      // Devices still join; instances boot without a join token until this is fixed.
      spdlog::warn("mesh: instance join tokens are off: {}", opened.status().to_string());
    }
    options.mesh = std::make_shared<const api::InstanceMesh>(api::InstanceMeshOptions{
        mesh,
        [this] {
          return static_cast<ImageBuilder*>(registry_->find(PluginKind::image_builder, ""));
        },
        tokens, [this] { return api_url(); }, config_.data_dir / "instance-seeds", node_id_});
  }
  lifecycle_ = std::make_shared<api::InstanceLifecycle>(
      api, [this] { return static_cast<Vmm*>(registry_->find(PluginKind::vmm, "")); }, run_later,
      publish, options);
  auto billing = [this] { return static_cast<Billing*>(registry_->find(PluginKind::billing, "")); };
  if (auto st = api::add_instance_routes(router_, api, lifecycle_, billing); !st.is_ok()) return st;
  api::DnsRoutesContext dns{
      api, [this] { return static_cast<Dns*>(registry_->find(PluginKind::dns, "")); }, publish};
  if (auto st = api::add_dns_routes(router_, std::move(dns)); !st.is_ok()) return st;
  if (auto st = api::add_webhook_routes(router_, api); !st.is_ok()) return st;
  if (auto st = api::add_billing_routes(router_, {api, billing}); !st.is_ok()) return st;
  api::UsageRoutesContext usage{
      api,
      [this] { return static_cast<UsageMeter*>(registry_->find(PluginKind::usage_meter, "")); }};
  if (auto st = api::add_usage_routes(router_, usage); !st.is_ok()) return st;
  if (auto st = api::add_threshold_routes(router_, {usage.api, usage.meter}); !st.is_ok()) {
    return st;
  }
  return api::add_mesh_routes(router_, api::MeshRoutesContext{api, mesh, publish, tokens});
}

// What an instance's first boot calls: node.endpoint when the operator set it, else the
// address this server listens on (a wildcard replaced by node.public_ip when there is one).
std::string Host::api_url() const {
  if (!config_.node.endpoint.empty()) return config_.node.endpoint;
  std::string host = config_.listen_address;
  if ((host == "0.0.0.0" || host == "::" || host.empty()) && !config_.node.public_ip.empty()) {
    host = config_.node.public_ip;
  }
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  std::string port = std::to_string(config_.port);
  // Port 0 asks the kernel for one: the server's URL has the port it got.
  if (server_) {
    const std::string url = server_->url();
    port = url.substr(url.rfind(':') + 1);
  }
  return std::string(config_.tls ? "https" : "http") + "://" + host + ":" + port;
}

// This node as a mesh peer: a failure leaves the node serving (the mesh retries at the next
// start), so it is a warning.
void Host::join_mesh(StateStore& store) {
  auto* mesh = static_cast<Mesh*>(registry_->find(PluginKind::mesh, ""));
  if (mesh == nullptr) return;
  const std::string owner = config_.admins.empty() ? "" : config_.admins.front();
  auto joined = mesh::join_as_node(store, *mesh, node_id_, owner);
  if (!joined.is_ok()) {
    spdlog::warn("mesh: this node ({}) could not join the mesh: {}", node_id_,
                 joined.status().to_string());
    return;
  }
  static constexpr const char* kWhat[] = {"joined", "refreshed its endpoints in",
                                          "rejoined (new key)"};
  std::string endpoints;
  for (const auto& e : joined->peer.endpoints) endpoints += (endpoints.empty() ? "" : ", ") + e;
  spdlog::info("mesh: node {} {} the mesh as {} (endpoints: {})", node_id_,
               kWhat[static_cast<int>(joined->change)], joined->peer.address,
               endpoints.empty() ? "none" : endpoints);
  if (auto st = mesh->apply(); !st.is_ok()) {
    spdlog::warn("mesh: applying the peer set failed: {}", st.to_string());
  }
}

// Usage and threshold events go into the outbox (on the pool: the bus's thread must not wait
// on the store), and the deliverer sends what is due, including what a previous run left.
void Host::start_webhooks(StateStore& store) {
  deliverer_ = std::make_unique<webhooks::Deliverer>([&store] { return &store; },
                                                     webhooks::DelivererOptions{});
  outbox_writer_ = std::make_shared<webhooks::OutboxWriter>([&store] { return &store; },
                                                            [this] { deliverer_->wake(); });
  for (const char* prefix : webhooks::kWebhookEventPrefixes) {
    webhook_subscriptions_.push_back(
        events_.subscribe(prefix, [this, writer = outbox_writer_](const Event& event) {
          pool_.post([writer, event] {
            if (auto stored = writer->write(event); !stored.is_ok()) {
              spdlog::error("webhooks: {} event could not be written to the outbox: {}", event.type,
                            stored.status().to_string());
            }
          });
        }));
  }
  deliverer_->start();
}

// Only for a serving formationd (not --list-routes): interrupted builds marked failed, the
// node registered, heartbeats, the Vmm's lifecycle events and reconciliation (now, then on
// a timer).
Status Host::start_node_work() {
  auto* found = static_cast<StateStore*>(registry_->find(PluginKind::state_store, ""));
  if (found == nullptr || !lifecycle_) return Status::ok();
  StateStore& store = *found;
  if (auto st = api::recover_interrupted_builds(store, node_id_); !st.is_ok()) {
    spdlog::warn("could not mark interrupted builds as failed: {}", st.to_string());
  }
  start_webhooks(store);
  auto* vmm = static_cast<Vmm*>(registry_->find(PluginKind::vmm, ""));
  if (auto st = register_node(store, config_.node, node_id_, node_capacity(config_.node, vmm));
      !st.is_ok()) {
    return Status(st.code(), "registering this node (" + node_id_ + "): " + st.message());
  }
  timers_.every(std::chrono::duration_cast<std::chrono::milliseconds>(config_.node.heartbeat),
                [&store, id = node_id_] {
                  if (auto st = heartbeat(store, id); !st.is_ok()) {
                    spdlog::warn("node heartbeat failed: {}", st.to_string());
                  }
                });
  join_mesh(store);
  if (vmm == nullptr) return Status::ok();
  auto lifecycle = lifecycle_;
  if (auto sub =
          vmm->subscribe([lifecycle](const DomainEvent& e) { lifecycle->on_domain_event(e); });
      sub.is_ok()) {
    vmm_subscription_ = *sub;
  }
  auto reconcile = [lifecycle] {
    auto outcome = lifecycle->reconcile();
    if (outcome.is_ok()) {
      spdlog::info("reconciled instances with the VM plugin: {}", *outcome);
    } else {
      spdlog::warn("reconciliation failed: {}", outcome.status().to_string());
    }
  };
  reconcile();
  timers_.every(std::chrono::duration_cast<std::chrono::milliseconds>(config_.node.reconcile),
                reconcile);
  return Status::ok();
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
  if (vmm_subscription_) {
    if (auto* vmm = static_cast<Vmm*>(registry_->find(PluginKind::vmm, ""))) {
      (void)vmm->unsubscribe(*vmm_subscription_);
    }
  }
  for (auto id : webhook_subscriptions_) events_.unsubscribe(id);
  // Outbox writes already queued reach the store before it stops (metering-usage also
  // republishes its latest periods at the next start, for a shutdown that cannot wait).
  if (!pool_.wait_idle(std::chrono::seconds(5))) {
    spdlog::warn("shutdown: blocking work still running after 5 s; stopping the plugins anyway");
  }
  // Before the store stops: requests in flight finish (bounded by their timeout) or stay
  // claimed until their lease runs out.
  if (deliverer_) deliverer_->stop();
  registry_->stop_all();
  // Timers first (they post to the pool), then the bus, then the pool drains what is left.
  timers_.shutdown();
  events_.shutdown();
  pool_.shutdown();
}

}  // namespace formation::host

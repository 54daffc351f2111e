#include "app/host_routes.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace formation::host {
namespace {

bool is_loopback(std::string_view address) {
  return address.starts_with("127.") || address == "::1" || address.starts_with("::ffff:127.");
}

double health_value(HealthState state) {
  switch (state) {
    case HealthState::ok: return 1.0;
    case HealthState::degraded: return 0.5;
    case HealthState::down: return 0.0;
  }
  return 0.0;
}

}  // namespace

std::string health_json(const HostRouteContext& context, bool* any_down) {
  auto uptime = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                                 context.started_at);
  HealthState overall = HealthState::ok;
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("version");
  w.String(FORMATION_VERSION);
  w.Key("abi");
  w.Int(FORMATION_PLUGIN_ABI);
  w.Key("uptime_seconds");
  w.Int64(uptime.count());
  w.Key("plugins");
  w.StartArray();
  for (const auto& entry : context.registry.entries()) {
    const auto& d = *entry->prepared.library.descriptor;
    auto health =
        entry->started ? entry->plugin->health() : PluginHealth{HealthState::down, "not started"};
    if (health.state > overall) overall = health.state;
    w.StartObject();
    w.Key("name");
    w.String(d.name);
    w.Key("instance");
    w.String(entry->prepared.instance.c_str());
    w.Key("kind");
    w.String(to_string(d.kind).data());
    w.Key("version");
    w.String(d.version);
    w.Key("health");
    w.String(to_string(health.state).data());
    w.Key("detail");
    w.String(health.detail.c_str());
    w.EndObject();
  }
  w.EndArray();
  w.Key("status");
  w.String(to_string(overall).data());
  w.EndObject();
  if (any_down != nullptr) *any_down = overall == HealthState::down;
  return buffer.GetString();
}

Status add_host_routes(Router& router, const HostRouteContext& context) {
  Route health;
  health.method = "GET";
  health.pattern = "/v1/health";
  health.access = RouteAccess::anonymous;
  health.execution = RouteExecution::io_thread;
  health.handler = [&context](const HttpRequest&) -> Result<HttpResponse> {
    bool down = false;
    auto body = health_json(context, &down);
    return HttpResponse::json(down ? 503 : 200, std::move(body));
  };
  if (auto st = router.add(std::move(health), "host"); !st.is_ok()) return st;

  Route metrics;
  metrics.method = "GET";
  metrics.pattern = "/metrics";
  metrics.access = RouteAccess::anonymous;
  metrics.execution = RouteExecution::io_thread;
  metrics.handler = [&context](const HttpRequest& request) -> Result<HttpResponse> {
    if (!context.metrics_public && !is_loopback(request.remote_address)) {
      return Status::permission_denied(
          "/metrics answers loopback clients only; set metrics.public in formation.json to "
          "serve it to others");
    }
    for (const auto& entry : context.registry.entries()) {
      const auto& d = *entry->prepared.library.descriptor;
      auto state = entry->started ? entry->plugin->health().state : HealthState::down;
      context.metrics
          .gauge("formation_plugin_health", "Plugin health: 1 ok, 0.5 degraded, 0 down.",
                 {{"plugin", d.name},
                  {"instance", entry->prepared.instance},
                  {"kind", std::string(to_string(d.kind))}})
          .set(health_value(state));
    }
    context.metrics.gauge("formation_uptime_seconds", "Seconds since formationd started.")
        .set(std::chrono::duration<double>(std::chrono::steady_clock::now() - context.started_at)
                 .count());
    HttpResponse response;
    response.status = 200;
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    response.body = context.metrics.render_prometheus();
    return response;
  };
  return router.add(std::move(metrics), "host");
}

}  // namespace formation::host

#include "api/usage_routes.hpp"

#include <memory>
#include <string>
#include <utility>

#include "api/api_support.hpp"
#include "api/instance_access.hpp"

namespace formation::host::api {
namespace {

Result<UsageMeter*> meter_plugin(const UsageRoutesContext& shared) {
  UsageMeter* meter = shared.meter ? shared.meter() : nullptr;
  if (meter == nullptr) {
    return Status::unsupported(
        "no usage meter is enabled on this node (enable metering-usage in plugins.d/)");
  }
  return meter;
}

void put_number(JsonWriter& w, const char* key, double value) {
  w.Key(key);
  w.Double(value);
}

// The seed's `metrics` object, same names as the usage.sample event.
void write_metrics(JsonWriter& w, const UsageMetrics& m) {
  w.StartObject();
  put_number(w, "cpu_seconds", m.cpu_seconds);
  put_number(w, "cpu_percent_avg", m.cpu_percent_avg);
  put_number(w, "memory_gb", m.memory_gb);
  put_number(w, "memory_percent", m.memory_percent);
  put_number(w, "storage_gb", m.storage_gb);
  put_number(w, "network_egress_mb", m.network_egress_mb);
  put_number(w, "network_ingress_mb", m.network_ingress_mb);
  put_number(w, "gpu_seconds", m.gpu_seconds);
  w.EndObject();
}

void write_summary(JsonWriter& w, const UsageSummary& s) {
  w.StartObject();
  put_string(w, "instance_id", s.instance_id);
  put_string(w, "owner", s.owner);
  w.Key("last_period");
  if (s.last_period && s.last_period_span) {
    w.StartObject();
    w.Key("period");
    w.StartObject();
    put_string(w, "start", rfc3339(s.last_period_span->start));
    put_string(w, "end", rfc3339(s.last_period_span->end));
    w.EndObject();
    w.Key("metrics");
    write_metrics(w, *s.last_period);
    w.EndObject();
  } else {
    w.Null();  // no full period measured yet
  }
  w.Key("since_creation");
  w.StartObject();
  put_string(w, "since", rfc3339(s.since));
  w.Key("metrics");
  write_metrics(w, s.since_creation);
  w.EndObject();
  w.EndObject();
}

Result<HttpResponse> instance_usage(const UsageRoutesContext& shared, const HttpRequest& request) {
  if (!request.query.empty()) {
    return Status::invalid("query: GET /v1/instances/{id}/usage takes no parameters");
  }
  // Authorisation first: a stranger learns nothing, not even whether usage is metered.
  const std::string id(request.path_param("id"));
  {
    auto tx = begin(shared.api);
    if (!tx.is_ok()) return tx.status();
    auto allowed =
        authorised_instance(**tx, shared.api, caller_of(request), id, InstanceAction::read);
    if (!allowed.is_ok()) return allowed.status();
  }
  auto meter = meter_plugin(shared);
  if (!meter.is_ok()) return meter.status();
  auto usage = (*meter)->current_usage(id);
  if (!usage.is_ok()) return usage.status();
  return json_response(200, [&](JsonWriter& w) { write_summary(w, *usage); });
}

Result<HttpResponse> owner_usage(const UsageRoutesContext& shared, const HttpRequest& request) {
  auto params = query_params(request.query, {"owner"});
  if (!params.is_ok()) return params.status();
  auto meter = meter_plugin(shared);
  if (!meter.is_ok()) return meter.status();
  const std::string& caller = caller_of(request);
  std::string owner = caller;
  if (auto it = params->find("owner"); it != params->end()) {
    auto normalized = normalize_address(it->second, "query: parameter 'owner'");
    if (!normalized.is_ok()) return normalized.status();
    owner = std::move(normalized).value();
  }
  if (owner != caller && !is_admin(shared.api, caller)) {
    return Status::permission_denied("only an admin may read the usage of " + owner +
                                     "; leave out ?owner= for your own");
  }
  auto usage = (*meter)->usage_for_owner(owner);
  if (!usage.is_ok()) return usage.status();
  return json_response(200, [&](JsonWriter& w) {
    w.StartObject();
    put_string(w, "owner", owner);
    w.Key("items");
    w.StartArray();
    for (const auto& s : *usage) write_summary(w, s);
    w.EndArray();
    w.EndObject();
  });
}

}  // namespace

Status add_usage_routes(Router& router, UsageRoutesContext context) {
  auto shared = std::make_shared<const UsageRoutesContext>(std::move(context));
  static constexpr RouteEntry<UsageRoutesContext> kRoutes[] = {
      {"GET", "/v1/instances/{id}/usage", &instance_usage},
      {"GET", "/v1/usage", &owner_usage},
  };
  return add_routes(router, shared, kRoutes);
}

}  // namespace formation::host::api

#include "api/threshold_routes.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <rapidjson/document.h>

#include "api/api_support.hpp"
#include "api/instance_access.hpp"
#include "config/schema_check.hpp"
#include "formation/threshold_schema.hpp"
#include "webhooks/delivery_keys.hpp"

namespace formation::host::api {
namespace {

// Each is checked every period against every instance sample of the node.
constexpr std::int64_t kMaxThresholdsPerOwner = 50;
constexpr std::size_t kMaxIdLength = 64;

Status meter_enabled(const ThresholdRoutesContext& shared) {
  if (shared.meter && shared.meter() != nullptr) return Status::ok();
  return Status::unsupported(
      "no usage meter is enabled on this node, so no threshold would be checked (enable "
      "metering-usage in plugins.d/)");
}

const rapidjson::Document& schema() {
  static const rapidjson::Document doc = [] {
    rapidjson::Document d;
    d.Parse(kThresholdSchema);
    return d;
  }();
  return doc;
}

void write_threshold(JsonWriter& w, const UsageThreshold& t) {
  w.StartObject();
  put_string(w, "id", t.id);
  put_string(w, "owner", t.owner);
  put_string(w, "name", t.name);
  put_string(w, "resource", t.resource);
  put_string(w, "kind", t.kind);
  w.Key("limit");
  w.Double(t.limit);
  w.Key("instance_id");
  if (t.instance_id) {
    w.String(t.instance_id->c_str(), static_cast<rapidjson::SizeType>(t.instance_id->size()));
  } else {
    w.Null();
  }
  put_string(w, "scope", t.instance_id ? "instance" : "account");
  put_string(w, "created_at", rfc3339(t.created_at));
  w.EndObject();
}

Result<std::string> threshold_id(const HttpRequest& request) {
  std::string id(request.path_param("id"));
  const bool hex = !id.empty() && id.size() <= kMaxIdLength &&
                   id.find_first_not_of("0123456789abcdef") == std::string::npos;
  if (!hex) {
    return Status::invalid("path: threshold id must be lower-case hex (from GET /v1/thresholds)");
  }
  return id;
}

// The threshold when the caller set it or is an admin; not_found otherwise.
Result<UsageThreshold> own_threshold(const ApiContext& api, Transaction& tx,
                                     const HttpRequest& request) {
  auto id = threshold_id(request);
  if (!id.is_ok()) return id.status();
  auto found = tx.thresholds().get(*id);
  const auto& caller = caller_of(request);
  if (!found.is_ok() || (found->owner != caller && !is_admin(api, caller))) {
    if (found.is_ok() || found.status().code() == StatusCode::not_found) {
      return Status::not_found("no threshold " + *id);
    }
    return found.status();
  }
  return std::move(found).value();
}

// The body, checked by the schema metering-usage's parameters use too; an account of its
// own is what a tenant's threshold without instance_id covers, so "account" is refused.
Result<UsageThreshold> parse_body(const HttpRequest& request) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(request.body.data(), request.body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return Status::invalid(
        "body: expected a JSON object {\"name\", \"resource\", \"kind\", "
        "\"limit\", \"instance_id\"?}");
  }
  if (doc.HasMember("account")) {
    return Status::invalid(
        "body: field 'account': a threshold without instance_id covers all of your own "
        "instances; leave account out");
  }
  if (auto st = validate(doc, schema(), "body"); !st.is_ok()) return st;
  UsageThreshold t;
  t.name = doc["name"].GetString();
  t.resource = doc["resource"].GetString();
  t.kind = doc["kind"].GetString();
  t.limit = doc["limit"].GetDouble();
  if (doc.HasMember("instance_id")) t.instance_id = doc["instance_id"].GetString();
  return t;
}

Result<HttpResponse> create(const ThresholdRoutesContext& shared, const HttpRequest& request) {
  if (auto st = meter_enabled(shared); !st.is_ok()) return st;
  auto threshold = parse_body(request);
  if (!threshold.is_ok()) return threshold.status();
  auto tx = begin(shared.api);
  if (!tx.is_ok()) return tx.status();
  const auto& caller = caller_of(request);
  if (threshold->instance_id) {
    auto visible = authorised_instance(**tx, shared.api, caller, *threshold->instance_id,
                                       InstanceAction::read);
    if (!visible.is_ok()) {
      return Status(visible.status().code(),
                    visible.status().message() + " (body: field 'instance_id')");
    }
  }
  auto existing = (*tx)->thresholds().list(caller, PageRequest{kMaxThresholdsPerOwner + 1, ""});
  if (!existing.is_ok()) return existing.status();
  if (static_cast<std::int64_t>(existing->items.size()) >= kMaxThresholdsPerOwner) {
    return Status::conflict("you have " + std::to_string(kMaxThresholdsPerOwner) +
                            " thresholds, the most an account may have; remove one first");
  }
  threshold->id = webhooks::random_hex(16);
  threshold->owner = caller;
  threshold->created_at =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  auto created = (*tx)->thresholds().create(*threshold);
  if (!created.is_ok()) {
    if (created.status().code() == StatusCode::conflict) {
      return Status::conflict("you already have a threshold named '" + threshold->name +
                              "' (body: field 'name'); remove it first or pick another name");
    }
    return created.status();
  }
  if (auto st = (*tx)->commit(); !st.is_ok()) return st;
  return json_response(201, [&](JsonWriter& w) { write_threshold(w, *created); });
}

Result<HttpResponse> list(const ThresholdRoutesContext& shared, const HttpRequest& request) {
  if (auto st = meter_enabled(shared); !st.is_ok()) return st;
  auto page = page_request(request.query);
  if (!page.is_ok()) return page.status();
  auto tx = begin(shared.api);
  if (!tx.is_ok()) return tx.status();
  const auto& caller = caller_of(request);
  std::optional<std::string> owner;
  if (!is_admin(shared.api, caller)) owner = caller;
  auto found = (*tx)->thresholds().list(owner, *page);
  if (!found.is_ok()) return found.status();
  return json_response(200, [&](JsonWriter& w) {
    w.StartObject();
    w.Key("thresholds");
    w.StartArray();
    for (const auto& t : found->items) write_threshold(w, t);
    w.EndArray();
    put_string(w, "next_page_token", found->next_page_token);
    w.EndObject();
  });
}

Result<HttpResponse> show(const ThresholdRoutesContext& shared, const HttpRequest& request) {
  if (auto st = meter_enabled(shared); !st.is_ok()) return st;
  auto tx = begin(shared.api);
  if (!tx.is_ok()) return tx.status();
  auto found = own_threshold(shared.api, **tx, request);
  if (!found.is_ok()) return found.status();
  return json_response(200, [&](JsonWriter& w) { write_threshold(w, *found); });
}

Result<HttpResponse> remove(const ThresholdRoutesContext& shared, const HttpRequest& request) {
  if (auto st = meter_enabled(shared); !st.is_ok()) return st;
  auto tx = begin(shared.api);
  if (!tx.is_ok()) return tx.status();
  auto found = own_threshold(shared.api, **tx, request);
  if (!found.is_ok()) return found.status();
  if (auto st = (*tx)->thresholds().remove(found->id); !st.is_ok()) return st;
  if (auto st = (*tx)->commit(); !st.is_ok()) return st;
  return no_content();
}

}  // namespace

Status add_threshold_routes(Router& router, ThresholdRoutesContext context) {
  auto shared = std::make_shared<const ThresholdRoutesContext>(std::move(context));
  static constexpr RouteEntry<ThresholdRoutesContext> kRoutes[] = {
      {"POST", "/v1/thresholds", &create, std::size_t{4} * 1024},
      {"GET", "/v1/thresholds", &list},
      {"GET", "/v1/thresholds/{id}", &show},
      {"DELETE", "/v1/thresholds/{id}", &remove},
  };
  return add_routes(router, shared, kRoutes);
}

}  // namespace formation::host::api

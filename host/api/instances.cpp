#include "api/instances.hpp"

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "api/api_support.hpp"
#include "api/authorize.hpp"
#include "api/instance_access.hpp"
#include "api/json_body.hpp"
#include "api/operations.hpp"
#include "api/resource_json.hpp"
#include "http/api_error.hpp"

namespace formation::host::api {
namespace {

struct Shared {
  ApiContext context;
  std::shared_ptr<InstanceLifecycle> lifecycle;
  std::function<Billing*()> billing;
};

constexpr FieldSpec kCreateFields[] = {{"build_id", FieldType::string, true},
                                       {"name", FieldType::string, false},
                                       {"vcpus", FieldType::integer, false},
                                       {"memory_mb", FieldType::integer, false},
                                       {"disk_gb", FieldType::integer, false}};
constexpr FieldSpec kResizeFields[] = {{"vcpus", FieldType::integer, false},
                                       {"memory_mb", FieldType::integer, false}};
constexpr FieldSpec kDiskFields[] = {{"size_gb", FieldType::integer, true}};

Status no_body(const HttpRequest& request) {
  if (request.body.empty()) return Status::ok();
  return Status::invalid("body: this request takes no body");
}

// The instance, once the caller may do `action` on it.
Result<Instance> authorised(const Shared& shared, const HttpRequest& request,
                            InstanceAction action) {
  auto tx = begin(shared.context);
  if (!tx.is_ok()) return tx.status();
  auto loaded = authorised_instance(**tx, shared.context, caller_of(request),
                                    std::string(request.path_param("id")), action);
  if (!loaded.is_ok()) return loaded.status();
  return std::move(loaded).value().instance;
}

HttpResponse accepted(const Accepted& a) {
  auto response = json_response(202, [&](JsonWriter& w) {
    w.StartObject();
    w.Key("instance");
    write_instance(w, a.instance);
    w.Key("operation");
    write_operation(w, a.operation);
    w.EndObject();
  });
  response.headers.emplace_back("Location", "/v1/operations/" + a.operation.id);
  return response;
}

HttpResponse instance_response(const Instance& instance) {
  return json_response(200, [&](JsonWriter& w) { write_instance(w, instance); });
}

// 402 with what the Billing plugin says is short; nothing was written.
HttpResponse payment_required_response(const HttpRequest& request, const CreateDecision& decision) {
  std::vector<std::string> missing = decision.missing;
  if (missing.empty()) missing.emplace_back("the billing plugin refused without a reason");
  const ApiError error =
      payment_required("this account may not create the instance: " + missing.front() +
                       (missing.size() > 1 ? " (and more, see 'missing')" : ""));
  return HttpResponse::json(error.http_status,
                            error_envelope_json(error, request.request_id, missing));
}

Result<HttpResponse> create_instance(const Shared& shared, const HttpRequest& request) {
  auto body = JsonBody::parse(request.body, kCreateFields);
  if (!body.is_ok()) return body.status();
  CreateInstance create;
  create.build_id = *body->string("build_id");
  create.name = body->string("name").value_or("");
  create.vcpus = body->integer("vcpus");
  create.memory_mb = body->integer("memory_mb");
  create.disk_gb = body->integer("disk_gb");
  const auto& caller = caller_of(request);
  auto prepared = shared.lifecycle->prepare(caller, create);
  if (!prepared.is_ok()) return prepared.status();
  if (Billing* billing = shared.billing ? shared.billing() : nullptr) {
    auto decision = billing->may_create(
        caller, InstanceRequest{prepared->vcpus, prepared->memory_mb, prepared->disk_gb});
    if (!decision.is_ok()) return decision.status();
    if (!decision->allowed) return payment_required_response(request, *decision);
  }
  auto started = shared.lifecycle->create(caller, std::move(prepared).value());
  if (!started.is_ok()) return started.status();
  return accepted(*started);
}

Result<HttpResponse> list_instances(const Shared& shared, const HttpRequest& request) {
  auto page = page_request(request.query);
  if (!page.is_ok()) return page.status();
  auto tx = begin(shared.context);
  if (!tx.is_ok()) return tx.status();
  InstanceFilter filter;
  filter.accessible_by = caller_of(request);
  auto instances = (*tx)->instances().list(filter, *page);
  if (!instances.is_ok()) return instances.status();
  return json_response(200, [&](JsonWriter& w) {
    w.StartObject();
    w.Key("instances");
    w.StartArray();
    for (const auto& i : instances->items) write_instance(w, i);
    w.EndArray();
    put_string(w, "next_page_token", instances->next_page_token);
    w.EndObject();
  });
}

Result<HttpResponse> get_instance(const Shared& shared, const HttpRequest& request) {
  auto instance = authorised(shared, request, InstanceAction::read);
  if (!instance.is_ok()) return instance.status();
  return instance_response(*instance);
}

Result<HttpResponse> delete_instance(const Shared& shared, const HttpRequest& request) {
  if (auto st = no_body(request); !st.is_ok()) return st;
  auto instance = authorised(shared, request, InstanceAction::delete_instance);
  if (!instance.is_ok()) return instance.status();
  auto started = shared.lifecycle->remove(caller_of(request), *instance);
  if (!started.is_ok()) return started.status();
  return accepted(*started);
}

Result<HttpResponse> start_instance(const Shared& shared, const HttpRequest& request) {
  if (auto st = no_body(request); !st.is_ok()) return st;
  auto instance = authorised(shared, request, InstanceAction::start_stop_reboot);
  if (!instance.is_ok()) return instance.status();
  auto started = shared.lifecycle->start(*instance);
  if (!started.is_ok()) return started.status();
  return instance_response(*started);
}

Result<HttpResponse> stop_instance(const Shared& shared, const HttpRequest& request) {
  if (auto st = no_body(request); !st.is_ok()) return st;
  auto instance = authorised(shared, request, InstanceAction::start_stop_reboot);
  if (!instance.is_ok()) return instance.status();
  auto stopping = shared.lifecycle->stop(caller_of(request), *instance);
  if (!stopping.is_ok()) return stopping.status();
  return accepted(*stopping);
}

Result<HttpResponse> reboot_instance(const Shared& shared, const HttpRequest& request) {
  if (auto st = no_body(request); !st.is_ok()) return st;
  auto instance = authorised(shared, request, InstanceAction::start_stop_reboot);
  if (!instance.is_ok()) return instance.status();
  auto rebooted = shared.lifecycle->reboot(*instance);
  if (!rebooted.is_ok()) return rebooted.status();
  return instance_response(*rebooted);
}

Result<HttpResponse> resize_instance(const Shared& shared, const HttpRequest& request) {
  auto body = JsonBody::parse(request.body, kResizeFields);
  if (!body.is_ok()) return body.status();
  auto instance = authorised(shared, request, InstanceAction::manage);
  if (!instance.is_ok()) return instance.status();
  auto resized =
      shared.lifecycle->resize(*instance, body->integer("vcpus"), body->integer("memory_mb"));
  if (!resized.is_ok()) return resized.status();
  return instance_response(*resized);
}

Result<HttpResponse> attach_disk(const Shared& shared, const HttpRequest& request) {
  auto body = JsonBody::parse(request.body, kDiskFields);
  if (!body.is_ok()) return body.status();
  auto instance = authorised(shared, request, InstanceAction::manage);
  if (!instance.is_ok()) return instance.status();
  auto attached = shared.lifecycle->attach_disk(*instance, *body->integer("size_gb"));
  if (!attached.is_ok()) return attached.status();
  return json_response(200, [&](JsonWriter& w) {
    w.StartObject();
    put_string(w, "device", attached->first);
    w.Key("instance");
    write_instance(w, attached->second);
    w.EndObject();
  });
}

}  // namespace

Status add_instance_routes(Router& router, ApiContext context,
                           std::shared_ptr<InstanceLifecycle> lifecycle,
                           std::function<Billing*()> billing) {
  auto shared = std::make_shared<const Shared>(
      Shared{std::move(context), std::move(lifecycle), std::move(billing)});
  static constexpr RouteEntry<Shared> kRoutes[] = {
      {"POST", "/v1/instances", &create_instance},
      {"GET", "/v1/instances", &list_instances},
      {"GET", "/v1/instances/{id}", &get_instance},
      {"DELETE", "/v1/instances/{id}", &delete_instance},
      {"POST", "/v1/instances/{id}/start", &start_instance},
      {"POST", "/v1/instances/{id}/stop", &stop_instance},
      {"POST", "/v1/instances/{id}/reboot", &reboot_instance},
      {"POST", "/v1/instances/{id}/resize", &resize_instance},
      {"POST", "/v1/instances/{id}/disks", &attach_disk},
  };
  return add_routes(router, shared, kRoutes);
}

}  // namespace formation::host::api

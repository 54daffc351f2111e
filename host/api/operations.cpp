#include "api/operations.hpp"

#include <openssl/rand.h>

#include <array>
#include <memory>

#include "identity/signing.hpp"

namespace formation::host::api {

void write_operation(JsonWriter& w, const Operation& op) {
  w.StartObject();
  put_string(w, "id", op.id);
  put_string(w, "kind", op.kind);
  put_string(w, "target_id", op.target_id);
  put_string(w, "state", to_string(op.state));
  w.Key("progress");
  w.Int(op.progress);
  put_string(w, "message", op.message);
  w.Key("result");
  if (op.result_json.empty()) {
    w.Null();
  } else {
    w.RawValue(op.result_json.c_str(), op.result_json.size(), rapidjson::kObjectType);
  }
  w.Key("error");
  if (op.state == OperationState::failed) {
    w.StartObject();
    put_string(w, "code", to_string(op.error_code));
    put_string(w, "message", op.error_message);
    w.EndObject();
  } else {
    w.Null();
  }
  put_string(w, "created_at", rfc3339(op.created_at));
  put_string(w, "updated_at", rfc3339(op.updated_at));
  w.EndObject();
}

std::string new_operation_id() {
  std::array<unsigned char, 16> raw{};
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed");  // the router answers 500: no entropy
  }
  return identity::to_hex(raw);
}

namespace {

Result<HttpResponse> get_operation(const ApiContext& context, const HttpRequest& request) {
  std::string id(request.path_param("id"));
  auto tx = begin(context);
  if (!tx.is_ok()) return tx.status();
  auto op = (*tx)->operations().get(id);
  const auto& caller = caller_of(request);
  // Someone else's operation is reported exactly like a missing one.
  if ((!op.is_ok() && op.status().code() == StatusCode::not_found) ||
      (op.is_ok() && op->owner != caller && !is_admin(context, caller))) {
    return Status::not_found("no operation " + id);
  }
  if (!op.is_ok()) return op.status();
  return json_response(200, [&](JsonWriter& w) { write_operation(w, *op); });
}

}  // namespace

Status add_operation_routes(Router& router, ApiContext context) {
  auto shared = std::make_shared<const ApiContext>(std::move(context));
  Route route;
  route.method = "GET";
  route.pattern = "/v1/operations/{id}";
  route.handler = [shared](const HttpRequest& request) { return get_operation(*shared, request); };
  return router.add(std::move(route), "host");
}

}  // namespace formation::host::api

#include "api/webhook_routes.hpp"

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "api/api_support.hpp"
#include "webhooks/delivery_keys.hpp"
#include "webhooks/webhook_body.hpp"

namespace formation::host::api {
namespace {

// A tenant's receivers, not a fan-out service: more would only multiply deliveries.
constexpr std::int64_t kMaxWebhooksPerOwner = 20;
constexpr std::size_t kMaxIdLength = 64;

void write_webhook(JsonWriter& w, const Webhook& hook, const std::string* secret) {
  w.StartObject();
  put_string(w, "id", hook.id);
  put_string(w, "owner", hook.owner);
  put_string(w, "url", hook.url);
  w.Key("events");
  w.StartArray();
  for (const auto& e : hook.events) w.String(e.c_str(), static_cast<rapidjson::SizeType>(e.size()));
  w.EndArray();
  if (secret != nullptr) put_string(w, "secret", *secret);
  put_string(w, "created_at", rfc3339(hook.created_at));
  w.EndObject();
}

void write_delivery(JsonWriter& w, const OutboxEntry& e) {
  w.StartObject();
  put_string(w, "id", e.id);
  put_string(w, "event_type", e.event_type);
  put_string(w, "delivery", e.idempotency_key);
  put_string(w, "state", to_string(e.state));
  w.Key("attempts");
  w.Int64(e.attempts);
  put_string(w, "next_attempt_at", rfc3339(e.next_attempt_at));
  put_string(w, "last_error", e.last_error);
  put_string(w, "created_at", rfc3339(e.created_at));
  put_string(w, "updated_at", rfc3339(e.updated_at));
  w.EndObject();
}

Result<std::string> webhook_id(const HttpRequest& request) {
  std::string id(request.path_param("id"));
  const bool hex = !id.empty() && id.size() <= kMaxIdLength &&
                   id.find_first_not_of("0123456789abcdef") == std::string::npos;
  if (!hex)
    return Status::invalid("path: webhook id must be lower-case hex (from GET /v1/webhooks)");
  return id;
}

// The webhook when the caller owns it or is an admin; not_found otherwise, so that other
// tenants' webhooks are invisible.
Result<Webhook> own_webhook(const ApiContext& api, Transaction& tx, const HttpRequest& request) {
  auto id = webhook_id(request);
  if (!id.is_ok()) return id.status();
  auto hook = tx.webhooks().get(*id);
  if (!hook.is_ok()) {
    if (hook.status().code() == StatusCode::not_found)
      return Status::not_found("no webhook " + *id);
    return hook.status();
  }
  const auto& caller = caller_of(request);
  if (hook->owner != caller && !is_admin(api, caller))
    return Status::not_found("no webhook " + *id);
  return std::move(hook).value();
}

Result<HttpResponse> create(const ApiContext& api, const HttpRequest& request) {
  auto body = webhooks::parse_webhook_request(request.body);
  if (!body.is_ok()) return body.status();
  auto tx = begin(api);
  if (!tx.is_ok()) return tx.status();
  const auto& caller = caller_of(request);
  auto existing = (*tx)->webhooks().list(caller, PageRequest{kMaxWebhooksPerOwner + 1, ""});
  if (!existing.is_ok()) return existing.status();
  if (static_cast<std::int64_t>(existing->items.size()) >= kMaxWebhooksPerOwner) {
    return Status::conflict("you have " + std::to_string(kMaxWebhooksPerOwner) +
                            " webhooks, the most an account may have; remove one first");
  }
  Webhook hook;
  hook.id = webhooks::random_hex(16);
  hook.owner = caller;
  hook.url = body->url;
  hook.events = body->events;
  hook.secret = webhooks::random_hex(32);
  hook.created_at = std::chrono::system_clock::now();
  auto created = (*tx)->webhooks().create(hook);
  if (!created.is_ok()) return created.status();
  if (auto st = (*tx)->commit(); !st.is_ok()) return st;
  return json_response(201, [&](JsonWriter& w) { write_webhook(w, *created, &hook.secret); });
}

Result<HttpResponse> list(const ApiContext& api, const HttpRequest& request) {
  auto page = page_request(request.query);
  if (!page.is_ok()) return page.status();
  auto tx = begin(api);
  if (!tx.is_ok()) return tx.status();
  const auto& caller = caller_of(request);
  std::optional<std::string> owner;
  if (!is_admin(api, caller)) owner = caller;
  auto hooks = (*tx)->webhooks().list(owner, *page);
  if (!hooks.is_ok()) return hooks.status();
  return json_response(200, [&](JsonWriter& w) {
    w.StartObject();
    w.Key("webhooks");
    w.StartArray();
    for (const auto& h : hooks->items) write_webhook(w, h, nullptr);
    w.EndArray();
    put_string(w, "next_page_token", hooks->next_page_token);
    w.EndObject();
  });
}

Result<HttpResponse> show(const ApiContext& api, const HttpRequest& request) {
  auto tx = begin(api);
  if (!tx.is_ok()) return tx.status();
  auto hook = own_webhook(api, **tx, request);
  if (!hook.is_ok()) return hook.status();
  return json_response(200, [&](JsonWriter& w) { write_webhook(w, *hook, nullptr); });
}

Result<HttpResponse> remove(const ApiContext& api, const HttpRequest& request) {
  auto tx = begin(api);
  if (!tx.is_ok()) return tx.status();
  auto hook = own_webhook(api, **tx, request);
  if (!hook.is_ok()) return hook.status();
  if (auto st = (*tx)->webhooks().remove(hook->id); !st.is_ok()) return st;
  if (auto st = (*tx)->commit(); !st.is_ok()) return st;
  return no_content();
}

Result<HttpResponse> deliveries(const ApiContext& api, const HttpRequest& request) {
  auto page = page_request(request.query);
  if (!page.is_ok()) return page.status();
  auto tx = begin(api);
  if (!tx.is_ok()) return tx.status();
  auto hook = own_webhook(api, **tx, request);
  if (!hook.is_ok()) return hook.status();
  auto entries = (*tx)->outbox().list(hook->id, *page);
  if (!entries.is_ok()) return entries.status();
  return json_response(200, [&](JsonWriter& w) {
    w.StartObject();
    w.Key("deliveries");
    w.StartArray();
    for (const auto& e : entries->items) write_delivery(w, e);
    w.EndArray();
    put_string(w, "next_page_token", entries->next_page_token);
    w.EndObject();
  });
}

}  // namespace

Status add_webhook_routes(Router& router, ApiContext context) {
  auto shared = std::make_shared<const ApiContext>(std::move(context));
  static constexpr RouteEntry<ApiContext> kRoutes[] = {
      {"POST", "/v1/webhooks", &create, std::size_t{16} * 1024},
      {"GET", "/v1/webhooks", &list},
      {"GET", "/v1/webhooks/{id}", &show},
      {"DELETE", "/v1/webhooks/{id}", &remove},
      {"GET", "/v1/webhooks/{id}/deliveries", &deliveries},
  };
  return add_routes(router, shared, kRoutes);
}

}  // namespace formation::host::api

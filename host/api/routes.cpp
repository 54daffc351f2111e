#include "api/routes.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>
#include <memory>
#include <utility>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "api/api_support.hpp"
#include "api/authorize.hpp"
#include "api/instance_access.hpp"
#include "api/json_body.hpp"
#include "api/resource_json.hpp"

namespace formation::host::api {
namespace {

using Writer = JsonWriter;

constexpr std::size_t kMaxNameLength = 100;

struct Shared {
  ApiContext context;

  [[nodiscard]] bool is_admin(const std::string& address) const {
    return api::is_admin(context, address);
  }
};

// ---- helpers ---------------------------------------------------------------------------

void write_account(Writer& w, const Account& a) {
  w.StartObject();
  put_string(w, "address", a.address);
  put_string(w, "name", a.name);
  put_string(w, "plan", a.plan);
  put_string(w, "created_at", rfc3339(a.created_at));
  put_string(w, "updated_at", rfc3339(a.updated_at));
  w.Key("version");
  w.Int64(a.version);
  w.EndObject();
}

void write_grant(Writer& w, const Grant& g) {
  w.StartObject();
  put_string(w, "instance_id", g.instance_id);
  put_string(w, "address", g.address);
  put_string(w, "level", to_string(g.level));
  put_string(w, "granted_by", g.granted_by);
  put_string(w, "created_at", rfc3339(g.created_at));
  put_string(w, "updated_at", rfc3339(g.updated_at));
  w.EndObject();
}

Status check_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxNameLength) {
    return Status::invalid("body: field 'name' must be 1 to " + std::to_string(kMaxNameLength) +
                           " bytes");
  }
  return Status::ok();
}

// Self or an admin may act on an account.
Status self_or_admin(const Shared& shared, const std::string& caller, const std::string& target) {
  if (caller == target || shared.is_admin(caller)) return Status::ok();
  return Status::permission_denied("account " + target + " is not yours");
}

// ---- accounts --------------------------------------------------------------------------

constexpr FieldSpec kCreateAccountFields[] = {{"name", FieldType::string, true}};
constexpr FieldSpec kUpdateAccountFields[] = {{"name", FieldType::string, true},
                                              {"version", FieldType::integer, false}};
constexpr FieldSpec kGrantFields[] = {{"level", FieldType::string, true}};
constexpr FieldSpec kTransferFields[] = {{"to", FieldType::string, true}};

Result<HttpResponse> create_account(const Shared& shared, const HttpRequest& request) {
  auto body = JsonBody::parse(request.body, kCreateAccountFields);
  if (!body.is_ok()) return body.status();
  Account account;
  account.address = caller_of(request);
  account.name = *body->string("name");
  if (auto st = check_name(account.name); !st.is_ok()) return st;
  auto tx = begin(shared.context);
  if (!tx.is_ok()) return tx.status();
  auto created = (*tx)->accounts().create(account);
  if (!created.is_ok()) return created.status();
  if (auto st = (*tx)->commit(); !st.is_ok()) return st;
  return json_response(201, [&](Writer& w) { write_account(w, *created); });
}

Result<HttpResponse> get_account(const Shared& shared, const HttpRequest& request) {
  auto address = normalize_address(request.path_param("address"), "address");
  if (!address.is_ok()) return address.status();
  if (auto st = self_or_admin(shared, caller_of(request), *address); !st.is_ok()) return st;
  auto tx = begin(shared.context);
  if (!tx.is_ok()) return tx.status();
  auto account = (*tx)->accounts().get(*address);
  if (!account.is_ok()) return account.status();
  return json_response(200, [&](Writer& w) { write_account(w, *account); });
}

Result<HttpResponse> update_account(const Shared& shared, const HttpRequest& request) {
  auto address = normalize_address(request.path_param("address"), "address");
  if (!address.is_ok()) return address.status();
  if (auto st = self_or_admin(shared, caller_of(request), *address); !st.is_ok()) return st;
  auto body = JsonBody::parse(request.body, kUpdateAccountFields);
  if (!body.is_ok()) return body.status();
  auto name = *body->string("name");
  if (auto st = check_name(name); !st.is_ok()) return st;
  auto tx = begin(shared.context);
  if (!tx.is_ok()) return tx.status();
  auto account = (*tx)->accounts().get(*address);
  if (!account.is_ok()) return account.status();
  if (auto version = body->integer("version")) {
    if (*version != account->version) {
      return Status::conflict("account " + *address + " is at version " +
                              std::to_string(account->version) + ", not " +
                              std::to_string(*version));
    }
  }
  account->name = name;
  auto updated = (*tx)->accounts().update(*account);
  if (!updated.is_ok()) return updated.status();
  if (auto st = (*tx)->commit(); !st.is_ok()) return st;
  return json_response(200, [&](Writer& w) { write_account(w, *updated); });
}

Result<HttpResponse> delete_account(const Shared& shared, const HttpRequest& request) {
  auto address = normalize_address(request.path_param("address"), "address");
  if (!address.is_ok()) return address.status();
  if (auto st = self_or_admin(shared, caller_of(request), *address); !st.is_ok()) return st;
  if (!request.body.empty()) return Status::invalid("body: this request takes no body");
  auto tx = begin(shared.context);
  if (!tx.is_ok()) return tx.status();
  auto account = (*tx)->accounts().get(*address);
  if (!account.is_ok()) return account.status();
  InstanceFilter owned;
  owned.owner = *address;
  auto totals = (*tx)->instances().totals(owned);
  if (!totals.is_ok()) return totals.status();
  if (totals->count > 0) {
    return Status::conflict("account " + *address + " still owns " + std::to_string(totals->count) +
                            " instance(s); delete or transfer them first");
  }
  if (auto st = (*tx)->accounts().remove(*address); !st.is_ok()) return st;
  if (auto st = (*tx)->commit(); !st.is_ok()) return st;
  return no_content();
}

Result<HttpResponse> list_accounts(const Shared& shared, const HttpRequest& request) {
  if (!shared.is_admin(caller_of(request))) {
    return Status::permission_denied("listing accounts is for operator admins");
  }
  auto page = page_request(request.query);
  if (!page.is_ok()) return page.status();
  auto tx = begin(shared.context);
  if (!tx.is_ok()) return tx.status();
  auto accounts = (*tx)->accounts().list(*page);
  if (!accounts.is_ok()) return accounts.status();
  return json_response(200, [&](Writer& w) {
    w.StartObject();
    w.Key("accounts");
    w.StartArray();
    for (const auto& a : accounts->items) write_account(w, a);
    w.EndArray();
    put_string(w, "next_page_token", accounts->next_page_token);
    w.EndObject();
  });
}

// ---- instance grants and transfer ------------------------------------------------------

// Reads the instance and its grants and authorises the caller.
Result<AuthorisedInstance> load_instance(const Shared& shared, Transaction& tx,
                                         const HttpRequest& request, InstanceAction action) {
  return authorised_instance(tx, shared.context, caller_of(request),
                             std::string(request.path_param("id")), action);
}

Result<HttpResponse> list_grants(const Shared& shared, const HttpRequest& request) {
  auto tx = begin(shared.context);
  if (!tx.is_ok()) return tx.status();
  auto loaded = load_instance(shared, **tx, request, InstanceAction::read);
  if (!loaded.is_ok()) return loaded.status();
  return json_response(200, [&](Writer& w) {
    w.StartObject();
    put_string(w, "instance_id", loaded->instance.id);
    put_string(w, "owner", loaded->instance.owner);
    w.Key("grants");
    w.StartArray();
    for (const auto& g : loaded->grants) write_grant(w, g);
    w.EndArray();
    w.EndObject();
  });
}

Result<HttpResponse> put_grant(const Shared& shared, const HttpRequest& request) {
  auto grantee = normalize_address(request.path_param("address"), "address");
  if (!grantee.is_ok()) return grantee.status();
  auto body = JsonBody::parse(request.body, kGrantFields);
  if (!body.is_ok()) return body.status();
  auto level_name = *body->string("level");
  auto level = parse_access_level(level_name);
  if (!level) {
    return Status::invalid("body: field 'level' must be one of manager, operator, read_only");
  }
  auto tx = begin(shared.context);
  if (!tx.is_ok()) return tx.status();
  auto loaded = load_instance(shared, **tx, request, InstanceAction::read);
  if (!loaded.is_ok()) return loaded.status();
  const auto& caller = caller_of(request);
  if (auto st = may_grant(caller, shared.is_admin(caller), loaded->instance, loaded->grants,
                          *grantee, *level);
      !st.is_ok()) {
    return st;
  }
  Grant grant;
  grant.instance_id = loaded->instance.id;
  grant.address = *grantee;
  grant.level = *level;
  grant.granted_by = caller;
  auto stored = (*tx)->grants().put(grant);
  if (!stored.is_ok()) return stored.status();
  if (auto st = (*tx)->commit(); !st.is_ok()) return st;
  return json_response(200, [&](Writer& w) { write_grant(w, *stored); });
}

Result<HttpResponse> delete_grant(const Shared& shared, const HttpRequest& request) {
  auto grantee = normalize_address(request.path_param("address"), "address");
  if (!grantee.is_ok()) return grantee.status();
  if (!request.body.empty()) return Status::invalid("body: this request takes no body");
  auto tx = begin(shared.context);
  if (!tx.is_ok()) return tx.status();
  auto loaded = load_instance(shared, **tx, request, InstanceAction::read);
  if (!loaded.is_ok()) return loaded.status();
  const auto& caller = caller_of(request);
  if (auto st = may_grant(caller, shared.is_admin(caller), loaded->instance, loaded->grants,
                          *grantee, std::nullopt);
      !st.is_ok()) {
    return st;
  }
  const bool has = std::any_of(loaded->grants.begin(), loaded->grants.end(),
                               [&](const Grant& g) { return g.address == *grantee; });
  if (!has) {
    return Status::not_found(*grantee + " has no grant on instance " + loaded->instance.id);
  }
  if (auto st = (*tx)->grants().remove(loaded->instance.id, *grantee); !st.is_ok()) return st;
  if (auto st = (*tx)->commit(); !st.is_ok()) return st;
  return no_content();
}

Result<HttpResponse> transfer_instance(const Shared& shared, const HttpRequest& request) {
  auto body = JsonBody::parse(request.body, kTransferFields);
  if (!body.is_ok()) return body.status();
  auto to = normalize_address(*body->string("to"), "body: field 'to'");
  if (!to.is_ok()) return to.status();
  auto tx = begin(shared.context);
  if (!tx.is_ok()) return tx.status();
  auto loaded = load_instance(shared, **tx, request, InstanceAction::transfer);
  if (!loaded.is_ok()) return loaded.status();
  auto& instance = loaded->instance;
  if (*to == instance.owner) return Status::invalid(*to + " already owns instance " + instance.id);
  auto account = (*tx)->accounts().get(*to);
  if (!account.is_ok()) {
    if (account.status().code() == StatusCode::not_found) {
      return Status::invalid("body: field 'to': " + *to + " has no account");
    }
    return account.status();
  }
  // The new owner's access is ownership, not a grant; the old owner keeps nothing.
  for (const auto& g : loaded->grants) {
    if (g.address == *to) {
      if (auto st = (*tx)->grants().remove(instance.id, *to); !st.is_ok()) return st;
    }
  }
  instance.owner = *to;
  auto updated = (*tx)->instances().update(instance);
  if (!updated.is_ok()) return updated.status();
  if (auto st = (*tx)->commit(); !st.is_ok()) return st;
  return json_response(200, [&](Writer& w) { write_instance(w, *updated); });
}

}  // namespace

Status add_api_routes(Router& router, ApiContext context) {
  auto shared = std::make_shared<const Shared>(Shared{std::move(context)});
  static constexpr RouteEntry<Shared> kRoutes[] = {
      {"POST", "/v1/accounts", &create_account},
      {"GET", "/v1/accounts", &list_accounts},
      {"GET", "/v1/accounts/{address}", &get_account},
      {"PATCH", "/v1/accounts/{address}", &update_account},
      {"DELETE", "/v1/accounts/{address}", &delete_account},
      {"GET", "/v1/instances/{id}/grants", &list_grants},
      {"PUT", "/v1/instances/{id}/grants/{address}", &put_grant},
      {"DELETE", "/v1/instances/{id}/grants/{address}", &delete_grant},
      {"POST", "/v1/instances/{id}/transfer", &transfer_instance},
  };
  return add_routes(router, shared, kRoutes);
}

}  // namespace formation::host::api

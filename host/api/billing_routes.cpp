#include "api/billing_routes.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "api/api_support.hpp"
#include "api/json_body.hpp"

namespace formation::host::api {
namespace {

using Shared = BillingRoutesContext;

// A billion credits: far above any real grant, and far enough below the int64 limit that
// the sum of a long ledger cannot overflow.
constexpr std::int64_t kMaxCreditMicro = 1'000'000'000'000'000;
constexpr std::size_t kMaxReasonLength = 256;

constexpr FieldSpec kCreditFields[] = {{"amount_micro", FieldType::integer, true},
                                       {"reason", FieldType::string, false}};

Result<Billing*> billing_plugin(const Shared& shared) {
  Billing* billing = shared.billing ? shared.billing() : nullptr;
  if (billing == nullptr) {
    return Status::unsupported(
        "no billing plugin is enabled on this node (enable billing-credits in plugins.d/)");
  }
  return billing;
}

// The account named by the path, once the caller may read it: itself or an admin.
Result<Account> readable_account(const Shared& shared, const HttpRequest& request) {
  auto address = normalize_address(request.path_param("address"), "address");
  if (!address.is_ok()) return address.status();
  const auto& caller = caller_of(request);
  if (caller != *address && !is_admin(shared.api, caller)) {
    return Status::permission_denied("account " + *address + " is not yours");
  }
  auto tx = begin(shared.api);
  if (!tx.is_ok()) return tx.status();
  auto account = (*tx)->accounts().get(*address);
  if (!account.is_ok() && account.status().code() == StatusCode::not_found) {
    return Status::not_found("no account " + *address + " (POST /v1/accounts creates it)");
  }
  return account;
}

void write_entry(JsonWriter& w, const LedgerEntry& e) {
  w.StartObject();
  put_string(w, "id", e.id);
  put_string(w, "address", e.address);
  w.Key("amount_micro");
  w.Int64(e.amount_micro);
  put_string(w, "amount", credits_text(e.amount_micro));
  put_string(w, "reason", e.reason);
  w.Key("instance_id");
  if (e.instance_id) {
    w.String(e.instance_id->c_str(), static_cast<rapidjson::SizeType>(e.instance_id->size()));
  } else {
    w.Null();
  }
  w.Key("period");
  if (e.period) {
    w.StartObject();
    put_string(w, "start", rfc3339(e.period->start));
    put_string(w, "end", rfc3339(e.period->end));
    w.EndObject();
  } else {
    w.Null();
  }
  put_string(w, "created_at", rfc3339(e.created_at));
  w.EndObject();
}

Result<HttpResponse> show_credits(const Shared& shared, const HttpRequest& request) {
  auto billing = billing_plugin(shared);
  if (!billing.is_ok()) return billing.status();
  auto account = readable_account(shared, request);
  if (!account.is_ok()) return account.status();
  auto balance = (*billing)->balance(account->address);
  if (!balance.is_ok()) return balance.status();
  return json_response(200, [&](JsonWriter& w) {
    w.StartObject();
    put_string(w, "address", account->address);
    w.Key("balance_micro");
    w.Int64(*balance);
    put_string(w, "balance", credits_text(*balance));
    put_string(w, "plan", account->plan.empty() ? "default" : account->plan);
    w.EndObject();
  });
}

Result<HttpResponse> add_credit(const Shared& shared, const HttpRequest& request) {
  auto billing = billing_plugin(shared);
  if (!billing.is_ok()) return billing.status();
  auto address = normalize_address(request.path_param("address"), "address");
  if (!address.is_ok()) return address.status();
  // Not even for one's own account: credits are what the operator sells.
  if (!is_admin(shared.api, caller_of(request))) {
    return Status::permission_denied("only an operator admin may credit an account");
  }
  auto body = JsonBody::parse(request.body, kCreditFields);
  if (!body.is_ok()) return body.status();
  const std::int64_t amount = *body->integer("amount_micro");
  if (amount <= 0 || amount > kMaxCreditMicro) {
    return Status::invalid(
        "body: field 'amount_micro' must be a positive integer of micro-credits (1 credit = "
        "1000000), at most " +
        std::to_string(kMaxCreditMicro));
  }
  const std::string reason = body->string("reason").value_or("");
  if (reason.size() > kMaxReasonLength) {
    return Status::invalid("body: field 'reason' must be at most " +
                           std::to_string(kMaxReasonLength) + " bytes");
  }
  auto entry = (*billing)->credit(*address, amount, reason);
  if (!entry.is_ok()) {
    if (entry.status().code() == StatusCode::not_found) {
      return Status::not_found("no account " + *address + " (POST /v1/accounts creates it)");
    }
    return entry.status();
  }
  return json_response(201, [&](JsonWriter& w) { write_entry(w, *entry); });
}

Result<HttpResponse> list_ledger(const Shared& shared, const HttpRequest& request) {
  auto billing = billing_plugin(shared);
  if (!billing.is_ok()) return billing.status();
  auto page = page_request(request.query);
  if (!page.is_ok()) return page.status();
  auto account = readable_account(shared, request);
  if (!account.is_ok()) return account.status();
  auto entries = (*billing)->ledger(account->address, *page);
  if (!entries.is_ok()) return entries.status();
  return json_response(200, [&](JsonWriter& w) {
    w.StartObject();
    w.Key("items");
    w.StartArray();
    for (const auto& e : entries->items) write_entry(w, e);
    w.EndArray();
    put_string(w, "next_page_token", entries->next_page_token);
    w.EndObject();
  });
}

}  // namespace

std::string credits_text(std::int64_t micro) {
  // Through unsigned so that INT64_MIN has a magnitude too.
  const bool negative = micro < 0;
  const std::uint64_t magnitude = negative ? std::uint64_t{0} - static_cast<std::uint64_t>(micro)
                                           : static_cast<std::uint64_t>(micro);
  std::string fraction = std::to_string(magnitude % 1'000'000);
  fraction.insert(0, 6 - fraction.size(), '0');
  return (negative ? "-" : "") + std::to_string(magnitude / 1'000'000) + "." + fraction;
}

Status add_billing_routes(Router& router, BillingRoutesContext context) {
  auto shared = std::make_shared<const Shared>(std::move(context));
  static constexpr RouteEntry<Shared> kRoutes[] = {
      {"GET", "/v1/accounts/{address}/credits", &show_credits},
      {"POST", "/v1/accounts/{address}/credits", &add_credit, std::size_t{4} * 1024},
      {"GET", "/v1/accounts/{address}/ledger", &list_ledger},
  };
  return add_routes(router, shared, kRoutes);
}

}  // namespace formation::host::api

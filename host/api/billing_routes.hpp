// The credit routes (docs/api.md "Credits and ledger"): an account's balance, its ledger,
// and an admin's credit, over the Billing plugin (`billing-credits`). Without a Billing
// plugin every route answers 501.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "api/routes.hpp"
#include "formation/kinds/billing.hpp"

namespace formation::host::api {

struct BillingRoutesContext {
  ApiContext api;
  std::function<Billing*()> billing;  // the started Billing plugin; null when none is enabled
};

// GET/POST /v1/accounts/{address}/credits and GET /v1/accounts/{address}/ledger, owned by
// "host". Reading is for the account itself or an admin; crediting is for admins only.
Status add_billing_routes(Router& router, BillingRoutesContext context);

// 12500000 -> "12.500000", -20 -> "-0.000020": credits with every micro-credit shown, so
// that clients never parse a float.
std::string credits_text(std::int64_t micro);

}  // namespace formation::host::api

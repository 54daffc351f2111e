// The webhook routes (docs/webhooks.md, docs/api.md "Webhooks"): a tenant registers URLs
// that receive its usage and threshold events. The secret is generated here and answered
// once, by the POST; the deliverer (host/webhooks) does the sending.
#pragma once

#include <functional>

#include "api/routes.hpp"

namespace formation::host::api {

// POST/GET /v1/webhooks, GET/DELETE /v1/webhooks/{id}, GET /v1/webhooks/{id}/deliveries,
// owned by "host". Owner-scoped: another tenant's webhook is not_found; an admin sees all.
Status add_webhook_routes(Router& router, ApiContext context);

}  // namespace formation::host::api

// The DNS routes (docs/api.md "DNS"; DESIGN.md §5): a tenant's vanity names under the
// network zone and custom domains of their own, stored as DnsRecords in the state store and
// served by the Dns plugin. Every route is signed. Without a Dns plugin every route answers
// 501. After every change the plugin's reload() runs before the answer (so the very next
// DNS query sees it) and `dns.record_changed` is published.
#pragma once

#include <functional>

#include "api/routes.hpp"
#include "formation/events.hpp"
#include "formation/kinds/dns.hpp"

namespace formation::host::api {

struct DnsRoutesContext {
  ApiContext api;
  std::function<Dns*()> dns;  // the started Dns plugin; null when none is enabled
  std::function<void(Event)> publish;
};

// GET /v1/dns/records, GET/PUT/DELETE /v1/dns/records/{fqdn} and
// POST /v1/dns/records/{fqdn}/verify, owned by "host".
Status add_dns_routes(Router& router, DnsRoutesContext context);

}  // namespace formation::host::api

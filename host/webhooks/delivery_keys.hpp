// The cryptographic parts of a delivery (docs/webhooks.md): the signature a receiver checks
// and the idempotency key that makes a repeated delivery harmless.
#pragma once

#include <string>
#include <string_view>

#include "formation/events.hpp"

namespace formation::host::webhooks {

// Lower-case hex HMAC-SHA256 of `body` keyed with `secret` (X-Formation-Signature).
std::string sign_body(std::string_view secret, std::string_view body);

// X-Formation-Delivery: hex SHA-256 of the webhook id, the event type and what identifies
// the event: instance_id and period.start for usage and threshold events (so the same
// period published twice, e.g. after a metering restart, is one delivery), else the whole
// payload. Deterministic: enqueuing an event again is a no-op in the outbox.
std::string idempotency_key(std::string_view webhook_id, const Event& event);

// `bytes` random bytes from OpenSSL as lower-case hex (ids and secrets).
std::string random_hex(std::size_t bytes);

}  // namespace formation::host::webhooks

// Metered usage, webhooks with their delivery outbox, and the credit ledger.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formation/records/common.hpp"
#include "formation/visibility.hpp"

namespace formation {

// ---- usage -----------------------------------------------------------------------------

// What one instance used during one metering period; the unit that is priced and debited.
// Measurements are doubles (they are not money); the price of a record is an integer.
// Key: (instance_id, period.start).
struct FORMATION_API UsageRecord {
  std::string instance_id;
  std::string owner;  // address billed for it (the owner during the period)
  Period period;
  // What was allocated during the period (priced per vCPU-second / GB-second).
  std::int64_t vcpus = 0;
  std::int64_t memory_mb = 0;
  // What was used.
  double cpu_seconds = 0;        // CPU time consumed, summed over vCPUs
  double memory_gb_seconds = 0;  // resident memory integrated over the period
  double storage_gb = 0;         // disk allocated at the end of the period
  std::int64_t network_ingress_bytes = 0;
  std::int64_t network_egress_bytes = 0;
  double gpu_seconds = 0;
  TimePoint created_at;
};

// ---- usage thresholds ------------------------------------------------------------------

// A tenant's threshold (POST /v1/thresholds): a limit on one resource of one metering
// period, for one instance or for all of the owner's instances together. The UsageMeter
// raises `threshold.violation` to the owner's webhooks when usage crosses it. The host
// validates it (formation/threshold_schema.hpp) before it is stored; the store keeps it as
// given.
struct FORMATION_API UsageThreshold {
  std::string id;        // lower-case hex; the key
  std::string owner;     // who set it and gets its events
  std::string name;      // unique per owner
  std::string resource;  // "cpu", "memory", "storage", "network_egress", "network_ingress", "gpu"
  std::string kind;      // "absolute" or "percent"
  double limit = 0;
  std::optional<std::string> instance_id;  // nullopt: all of the owner's instances together
  TimePoint created_at;
};

// ---- webhooks --------------------------------------------------------------------------

struct FORMATION_API Webhook {
  std::string id;  // lower-case hex; the key
  std::string owner;
  std::string url;  // http(s); validated by the host before it is stored
  // Event families or exact types: "usage" matches "usage.sample", "threshold" matches
  // "threshold.violation", "usage.sample" matches only itself.
  std::vector<std::string> events;
  // HMAC-SHA256 key of X-Formation-Signature. Stored as given (it must be usable to sign);
  // shown to the tenant once, at creation, and never returned by the API again.
  std::string secret;
  TimePoint created_at;
};

// True when a webhook subscribed to `pattern` wants an event of type `event_type`.
constexpr bool webhook_event_matches(std::string_view pattern, std::string_view event_type) {
  if (pattern == event_type) return true;
  return event_type.size() > pattern.size() && event_type.starts_with(pattern) &&
         event_type[pattern.size()] == '.';
}

enum class OutboxState {
  pending,    // waiting for next_attempt_at
  in_flight,  // claimed by a deliverer until next_attempt_at (its lease)
  delivered,  // the receiver answered 2xx
  dead,       // gave up after the deliverer's attempt limit
};

constexpr std::string_view to_string(OutboxState state) {
  switch (state) {
    case OutboxState::pending: return "pending";
    case OutboxState::in_flight: return "in_flight";
    case OutboxState::delivered: return "delivered";
    case OutboxState::dead: return "dead";
  }
  return "dead";
}

inline constexpr std::array kAllOutboxStates = {OutboxState::pending, OutboxState::in_flight,
                                                OutboxState::delivered, OutboxState::dead};

constexpr std::optional<OutboxState> parse_outbox_state(std::string_view name) {
  return detail::parse_enum(name, kAllOutboxStates);
}

// One delivery of one event to one webhook, written before it is attempted.
struct FORMATION_API OutboxEntry {
  std::string id;  // lower-case hex; the key
  std::string webhook_id;
  std::string event_type;       // X-Formation-Event
  std::string payload_json;     // the request body, exactly as signed and sent
  std::string idempotency_key;  // X-Formation-Delivery; unique: enqueuing it twice is a no-op
  std::int64_t attempts = 0;
  TimePoint next_attempt_at;  // when pending: earliest retry; when in_flight: lease expiry
  OutboxState state = OutboxState::pending;
  std::string last_error;  // the last failure, for people ("503 from receiver", "timeout")
  TimePoint created_at;
  TimePoint updated_at;
};

// ---- ledger ----------------------------------------------------------------------------

// One movement of credits. Credits are positive, debits negative. A usage debit carries its
// instance and period: (instance_id, period.start) is unique, which makes debits
// exactly-once.
struct FORMATION_API LedgerEntry {
  std::string id;  // lower-case hex; the key
  std::string address;
  std::int64_t amount_micro = 0;           // micro-credits; + credit, - debit
  std::string reason;                      // "usage", "admin credit: promo", ...
  std::optional<Period> period;            // usage debits only
  std::optional<std::string> instance_id;  // usage debits only
  TimePoint created_at;
};

}  // namespace formation

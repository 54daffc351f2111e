// Billing: turns metered usage into money and decides whether an account may create more
// (`billing-credits`, which keeps its ledger in the state store; third parties may keep
// theirs elsewhere). Money is integer micro-credits (1 credit = 1 000 000), never floating
// point.
//
// Error codes:
//   invalid            a negative or zero amount where a positive one is needed, a usage
//                      record with an empty or inverted period
//   not_found          no such account (credit, ledger)
//   conflict           a debit of an (instance, period) already debited with another amount
//   permission_denied  the plugin's policy refuses (e.g. credits disabled)
//   unavailable        the ledger cannot be reached (retry)
//   unsupported        an OPTIONAL method this backend does not implement
//   internal           anything else
//
// Threading: every method may be called concurrently; calls may block (ledger) and run on
// the blocking pool. debit() is idempotent, so concurrent or repeated debits of one
// period debit once.
//
// Events: consumes `usage.sample` (debits the period through debit()); publishes
// `billing.debited` and `billing.credited` after ledger writes, and
// `billing.balance_exhausted` when a balance reaches zero or below.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "formation/plugin.hpp"
#include "formation/records/common.hpp"
#include "formation/records/money.hpp"
#include "formation/status.hpp"
#include "formation/visibility.hpp"

namespace formation {

// What an instance create asks for.
struct FORMATION_API InstanceRequest {
  std::int64_t vcpus = 0;
  std::int64_t memory_mb = 0;
  std::int64_t disk_gb = 0;
};

struct FORMATION_API CreateDecision {
  bool allowed = false;
  // When refused: what is short, in words, one item each ("balance is 0 credits",
  // "plan allows 4 vCPUs, 6 requested"). The API answers 402 with them.
  std::vector<std::string> missing;
};

class FORMATION_API Billing : public Plugin {
 public:
  static constexpr PluginKind kKind = PluginKind::billing;

  // REQUIRED. The price of one usage record in micro-credits (>= 0), from the plugin's
  // price table. Deterministic: the same record always has the same price (rounded once,
  // per record), which keeps debits idempotent.
  virtual Result<std::int64_t> price(const UsageRecord& usage) = 0;

  // REQUIRED. Debits `address` the price of `usage`, once: a repeated debit of the same
  // (instance_id, period.start) writes nothing and returns the entry written the first
  // time. Returns the ledger entry (amount negative).
  virtual Result<LedgerEntry> debit(const std::string& address, const UsageRecord& usage) = 0;

  // REQUIRED. The address's balance in micro-credits (0 for an account never credited;
  // negative when usage outran it).
  virtual Result<std::int64_t> balance(const std::string& address) = 0;

  // REQUIRED. Whether `address` may create an instance of that size: refused when the
  // balance is at or below zero or the plan's limits (instances, vCPUs, ...) would be
  // exceeded. A refusal is a decision (allowed = false), not an error.
  virtual Result<CreateDecision> may_create(const std::string& address,
                                            const InstanceRequest& request) = 0;

  // OPTIONAL. Adds `amount_micro` (> 0) to the address's balance (an admin's credit);
  // returns the ledger entry.
  virtual Result<LedgerEntry> credit(const std::string& /*address*/, std::int64_t /*amount_micro*/,
                                     const std::string& /*reason*/) {
    return Status::unsupported("billing.credit is not supported by this plugin");
  }

  // OPTIONAL. The address's ledger, newest first (GET /v1/accounts/{address}/ledger).
  virtual Result<Page<LedgerEntry>> ledger(const std::string& /*address*/,
                                           const PageRequest& /*page*/) {
    return Status::unsupported("billing.ledger is not supported by this plugin");
  }
};

}  // namespace formation

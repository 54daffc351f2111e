// The billing-credits plugin: prices usage records from its price table, keeps the ledger
// in the state store (exactly-once debits), and decides whether an account may create an
// instance (balance and plan limits). See README.md.
#pragma once

#include <atomic>
#include <optional>
#include <string>

#include "formation/kinds/billing.hpp"
#include "formation/kinds/state_store.hpp"
#include "settings.hpp"
#include "usage_event.hpp"

namespace formation::billing_credits {

class BillingCreditsPlugin final : public Billing {
 public:
  BillingCreditsPlugin(HostServices& host, Settings settings);

  Status start() override;
  void stop() override;
  [[nodiscard]] PluginHealth health() const override;

  Result<std::int64_t> price(const UsageRecord& usage) override;
  Result<LedgerEntry> debit(const std::string& address, const UsageRecord& usage) override;
  Result<std::int64_t> balance(const std::string& address) override;
  Result<CreateDecision> may_create(const std::string& address,
                                    const InstanceRequest& request) override;
  Result<LedgerEntry> credit(const std::string& address, std::int64_t amount_micro,
                             const std::string& reason) override;
  Result<Page<LedgerEntry>> ledger(const std::string& address, const PageRequest& page) override;

  // Debits the stored usage record a usage.sample event names. Public for the tests.
  Status on_usage_sample(const UsageSample& sample);
  // Debits every usage record of the last sweep_lookback_hours (debits are idempotent, so
  // the ones already debited write nothing). Returns how many were newly debited.
  Result<std::int64_t> sweep();

 private:
  // The debit without retry; `written` says whether this call wrote the entry.
  Result<LedgerEntry> debit_once(const LedgerEntry& entry, bool& written,
                                 std::int64_t& balance_after);
  void announce(const char* type, const LedgerEntry& entry, std::int64_t balance_after);
  Result<StateStore*> store();

  HostServices& host_;
  Settings settings_;
  StateStore* store_ = nullptr;
  std::optional<SubscriptionId> subscription_;
  std::optional<TimerId> sweep_timer_;
  std::atomic<bool> last_sweep_failed_{false};
};

}  // namespace formation::billing_credits

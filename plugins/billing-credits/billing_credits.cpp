#include "billing_credits.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <utility>

#include "ledger_ids.hpp"
#include "pricing.hpp"

namespace formation::billing_credits {
namespace {

// A concurrent writer of the same debit (another host, another thread) makes our insert
// or commit fail with conflict; the second attempt then finds its entry.
constexpr int kDebitAttempts = 4;
constexpr std::size_t kMaxReasonLength = 256;

std::string entry_json(const LedgerEntry& entry, std::int64_t balance_after) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("entry_id");
  w.String(entry.id.c_str());
  w.Key("address");
  w.String(entry.address.c_str());
  w.Key("amount_micro");
  w.Int64(entry.amount_micro);
  w.Key("balance_micro");
  w.Int64(balance_after);
  w.Key("reason");
  w.String(entry.reason.c_str());
  if (entry.instance_id) {
    w.Key("instance_id");
    w.String(entry.instance_id->c_str());
  }
  if (entry.period) {
    w.Key("period");
    w.StartObject();
    w.Key("start");
    w.String(format_rfc3339_utc(entry.period->start).c_str());
    w.Key("end");
    w.String(format_rfc3339_utc(entry.period->end).c_str());
    w.EndObject();
  }
  w.EndObject();
  return buffer.GetString();
}

}  // namespace

BillingCreditsPlugin::BillingCreditsPlugin(HostServices& host, Settings settings)
    : host_(host), settings_(std::move(settings)) {}

Status BillingCreditsPlugin::start() {
  store_ = host_.find<StateStore>();
  if (store_ == nullptr) {
    return Status::unavailable("billing-credits needs a state store plugin (enable state-sqlite)");
  }
  // The bus delivers one event at a time and handlers must not block: the ledger write
  // happens on the blocking pool.
  subscription_ = host_.events().subscribe("usage.sample", [this](const Event& event) {
    auto sample = parse_usage_sample(event.payload_json);
    if (!sample.is_ok()) {
      host_.logger()->warn("ignoring a usage.sample from {}: {}", event.source,
                           sample.status().message());
      return;
    }
    host_.blocking_pool().post([this, s = std::move(sample).value()] {
      if (auto st = on_usage_sample(s); !st.is_ok()) {
        host_.logger()->warn(
            "debiting instance {} for the period from {} failed (the sweep "
            "retries): {}",
            s.instance_id, format_rfc3339_utc(s.period.start), st.to_string());
      }
    });
  });
  if (settings_.sweep_interval_seconds > 0) {
    sweep_timer_ =
        host_.timers().every(std::chrono::seconds(settings_.sweep_interval_seconds), [this] {
          auto swept = sweep();
          last_sweep_failed_ = !swept.is_ok();
          if (!swept.is_ok()) {
            host_.logger()->warn("the usage sweep failed: {}", swept.status().to_string());
          } else if (*swept > 0) {
            host_.logger()->info("the usage sweep debited {} records no event had debited", *swept);
          }
        });
  }
  return Status::ok();
}

void BillingCreditsPlugin::stop() {
  if (subscription_) host_.events().unsubscribe(*subscription_);
  if (sweep_timer_) host_.timers().cancel(*sweep_timer_);
  subscription_.reset();
  sweep_timer_.reset();
}

PluginHealth BillingCreditsPlugin::health() const {
  if (last_sweep_failed_) return {HealthState::degraded, "the last usage sweep failed"};
  return {};
}

Result<StateStore*> BillingCreditsPlugin::store() {
  if (store_ == nullptr) store_ = host_.find<StateStore>();
  if (store_ == nullptr) return Status::unavailable("billing-credits: no state store is running");
  return store_;
}

Result<std::int64_t> BillingCreditsPlugin::price(const UsageRecord& usage) {
  return price_of(usage, settings_.prices);
}

Result<LedgerEntry> BillingCreditsPlugin::debit_once(const LedgerEntry& entry, bool& written,
                                                     std::int64_t& balance_after) {
  auto s = store();
  if (!s.is_ok()) return s.status();
  auto tx = (*s)->begin();
  if (!tx.is_ok()) return tx.status();
  auto& ledger = (*tx)->ledger();
  // Whether this call wrote is seen from the balance inside one transaction: append()
  // returns the earlier entry unchanged for a repeat.
  auto before = ledger.balance(entry.address);
  if (!before.is_ok()) return before.status();
  auto stored = ledger.append(entry);
  if (!stored.is_ok()) return stored.status();
  auto after = ledger.balance(entry.address);
  if (!after.is_ok()) return after.status();
  if (auto st = (*tx)->commit(); !st.is_ok()) return st;
  written = *after != *before;
  balance_after = *after;
  return stored;
}

Result<LedgerEntry> BillingCreditsPlugin::debit(const std::string& address,
                                                const UsageRecord& usage) {
  if (address.empty()) return Status::invalid("billing.debit: the address is empty");
  if (usage.instance_id.empty()) return Status::invalid("billing.debit: the instance id is empty");
  auto amount = price(usage);
  if (!amount.is_ok()) return amount.status();
  LedgerEntry entry;
  entry.id = debit_id(usage.instance_id, usage.period.start);
  entry.address = address;
  entry.amount_micro = -*amount;
  entry.reason = "usage";
  entry.period = usage.period;
  entry.instance_id = usage.instance_id;
  Status last = Status::internal("billing.debit: no attempt made");
  for (int attempt = 0; attempt < kDebitAttempts; ++attempt) {
    bool written = false;
    std::int64_t balance_after = 0;
    auto stored = debit_once(entry, written, balance_after);
    if (stored.is_ok()) {
      if (written) {
        announce("billing.debited", *stored, balance_after);
        // Exhausted when this debit took the balance from above zero to zero or below.
        if (balance_after <= 0 && balance_after - stored->amount_micro > 0) {
          announce("billing.balance_exhausted", *stored, balance_after);
        }
      }
      return stored;
    }
    last = stored.status();
    // conflict from our own key (the other writer won) is retried and then found; a
    // conflict from a different amount is final and comes back from append() again.
    if (last.code() != StatusCode::conflict) break;
  }
  return last;
}

Result<std::int64_t> BillingCreditsPlugin::balance(const std::string& address) {
  auto s = store();
  if (!s.is_ok()) return s.status();
  auto tx = (*s)->begin();
  if (!tx.is_ok()) return tx.status();
  return (*tx)->ledger().balance(address);
}

Result<CreateDecision> BillingCreditsPlugin::may_create(const std::string& address,
                                                        const InstanceRequest& request) {
  auto s = store();
  if (!s.is_ok()) return s.status();
  auto tx = (*s)->begin();
  if (!tx.is_ok()) return tx.status();
  CreateDecision decision;
  auto balance = (*tx)->ledger().balance(address);
  if (!balance.is_ok()) return balance.status();
  if (*balance <= 0) {
    decision.missing.push_back("balance is " + format_credits(*balance) +
                               " (an admin credits the account)");
  }
  std::string plan_name = "default";
  auto account = (*tx)->accounts().get(address);
  if (account.is_ok()) {
    if (!account->plan.empty()) plan_name = account->plan;
  } else if (account.status().code() != StatusCode::not_found) {
    return account.status();
  }
  const auto plan = settings_.plans.find(plan_name);
  if (plan == settings_.plans.end()) {
    decision.missing.push_back("plan '" + plan_name + "' is not offered on this network");
  } else {
    InstanceFilter filter;
    filter.owner = address;
    auto totals = (*tx)->instances().totals(filter);
    if (!totals.is_ok()) return totals.status();
    const auto& limits = plan->second;
    if (limits.max_instances && totals->count + 1 > *limits.max_instances) {
      decision.missing.push_back("plan '" + plan_name + "' allows " +
                                 std::to_string(*limits.max_instances) + " instances, " +
                                 std::to_string(totals->count) + " exist");
    }
    const std::int64_t vcpus = totals->resources.vcpus + request.vcpus;
    if (limits.max_vcpus && vcpus > *limits.max_vcpus) {
      decision.missing.push_back("plan '" + plan_name + "' allows " +
                                 std::to_string(*limits.max_vcpus) + " vCPUs, " +
                                 std::to_string(vcpus) + " requested (" +
                                 std::to_string(totals->resources.vcpus) + " in use)");
    }
  }
  if (!settings_.enforce && !decision.missing.empty()) {
    host_.logger()->info("allowing a create by {} that enforce=true would refuse: {} item(s)",
                         address, decision.missing.size());
    decision.missing.clear();
  }
  decision.allowed = decision.missing.empty();
  return decision;
}

Result<LedgerEntry> BillingCreditsPlugin::credit(const std::string& address,
                                                 std::int64_t amount_micro,
                                                 const std::string& reason) {
  if (amount_micro <= 0) return Status::invalid("billing.credit: the amount must be positive");
  if (reason.size() > kMaxReasonLength) {
    return Status::invalid("billing.credit: the reason is longer than 256 characters");
  }
  auto s = store();
  if (!s.is_ok()) return s.status();
  auto tx = (*s)->begin();
  if (!tx.is_ok()) return tx.status();
  if (auto account = (*tx)->accounts().get(address); !account.is_ok()) {
    if (account.status().code() == StatusCode::not_found) {
      return Status::not_found("no account " + address);
    }
    return account.status();
  }
  LedgerEntry entry;
  entry.id = random_id();
  entry.address = address;
  entry.amount_micro = amount_micro;
  entry.reason = reason.empty() ? "admin credit" : "admin credit: " + reason;
  auto stored = (*tx)->ledger().append(entry);
  if (!stored.is_ok()) return stored.status();
  auto after = (*tx)->ledger().balance(address);
  if (!after.is_ok()) return after.status();
  if (auto st = (*tx)->commit(); !st.is_ok()) return st;
  announce("billing.credited", *stored, *after);
  return stored;
}

Result<Page<LedgerEntry>> BillingCreditsPlugin::ledger(const std::string& address,
                                                       const PageRequest& page) {
  auto s = store();
  if (!s.is_ok()) return s.status();
  auto tx = (*s)->begin();
  if (!tx.is_ok()) return tx.status();
  return (*tx)->ledger().list(address, page);
}

Status BillingCreditsPlugin::on_usage_sample(const UsageSample& sample) {
  auto s = store();
  if (!s.is_ok()) return s.status();
  std::vector<UsageRecord> records;
  {
    auto tx = (*s)->begin();
    if (!tx.is_ok()) return tx.status();
    UsageFilter filter;
    filter.instance_id = sample.instance_id;
    filter.from = sample.period.start;
    filter.to = sample.period.start + std::chrono::seconds(1);
    auto page = (*tx)->usage().list(filter, PageRequest{});
    if (!page.is_ok()) return page.status();
    records = std::move(page->items);
  }
  bool found = false;
  for (const auto& record : records) {
    if (record.period.start != sample.period.start) continue;
    found = true;
    auto debited = debit(record.owner, record);
    if (!debited.is_ok()) return debited.status();
  }
  if (!found) {
    return Status::not_found("no usage record of instance " + sample.instance_id + " starts at " +
                             format_rfc3339_utc(sample.period.start));
  }
  return Status::ok();
}

Result<std::int64_t> BillingCreditsPlugin::sweep() {
  auto s = store();
  if (!s.is_ok()) return s.status();
  UsageFilter filter;
  filter.from =
      std::chrono::system_clock::now() - std::chrono::hours(settings_.sweep_lookback_hours);
  std::int64_t newly = 0;
  PageRequest page{1000, ""};
  do {
    Page<UsageRecord> records;
    {
      auto tx = (*s)->begin();
      if (!tx.is_ok()) return tx.status();
      auto listed = (*tx)->usage().list(filter, page);
      if (!listed.is_ok()) return listed.status();
      records = std::move(listed).value();
    }
    for (const auto& record : records.items) {
      auto before = balance(record.owner);
      auto debited = debit(record.owner, record);
      if (!debited.is_ok()) {
        host_.logger()->warn("sweep: debiting instance {} failed: {}", record.instance_id,
                             debited.status().to_string());
        continue;
      }
      auto after = balance(record.owner);
      if (before.is_ok() && after.is_ok() && *before != *after) ++newly;
    }
    page.page_token = records.next_page_token;
  } while (!page.page_token.empty());
  return newly;
}

void BillingCreditsPlugin::announce(const char* type, const LedgerEntry& entry,
                                    std::int64_t balance_after) {
  host_.events().publish(
      Event{type, entry_json(entry, balance_after),
            std::string(host_.plugin_name()) + "/" + std::string(host_.instance_name())});
}

}  // namespace formation::billing_credits

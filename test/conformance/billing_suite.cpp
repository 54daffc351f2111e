// Billing conformance: the contract of formation/kinds/billing.hpp checked on any backend
// (docs/plugins.md "Writing a billing plugin"). It runs against a started plugin whose
// parameters enforce its policy (billing-credits: "enforce": true). Addresses and instance
// ids are random, so it may share a ledger with other runs; the accounts it credits are
// created in the state store when one runs beside the plugin (the host's accounts live
// there). credit() and ledger() are optional: where a plugin answers unsupported, the
// checks that need them pass and say so.
#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "check_support.hpp"
#include "conformance.hpp"
#include "formation/kinds/billing.hpp"
#include "formation/kinds/state_store.hpp"

namespace formation::conformance {
namespace {

// Whole seconds, so that every ledger keeps them exactly.
TimePoint hours_ago(std::int64_t h) {
  auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  return TimePoint(now - std::chrono::hours(h));
}

// One hour of a 2-vCPU, 2 GB instance that sent 1 GB out: priced above zero by any table
// that charges for anything.
UsageRecord usage_of(const std::string& owner, const std::string& instance_id, TimePoint start) {
  UsageRecord u;
  u.instance_id = instance_id;
  u.owner = owner;
  u.period = Period{start, start + std::chrono::hours(1)};
  u.vcpus = 2;
  u.memory_mb = 2048;
  u.cpu_seconds = 1800;
  u.memory_gb_seconds = 7200;
  u.storage_gb = 10;
  u.network_ingress_bytes = 1'000'000;
  u.network_egress_bytes = 1'000'000'000;
  u.created_at = start + std::chrono::hours(1);
  return u;
}

class BillingChecks {
 public:
  explicit BillingChecks(Subject& subject)
      : billing_(static_cast<Billing&>(subject.plugin)),
        store_(subject.find ? static_cast<StateStore*>(subject.find(PluginKind::state_store))
                            : nullptr) {}

  // A fresh address with an account (when a state store runs beside the plugin).
  Result<std::string> account() {
    std::string address = "0x" + random_hex(40);
    if (store_ == nullptr) return address;
    auto tx = store_->begin();
    if (!tx.is_ok()) return tx.status();
    Account a;
    a.address = address;
    a.name = "billing conformance";
    auto created = (*tx)->accounts().create(a);
    if (!created.is_ok()) return created.status();
    if (auto st = (*tx)->commit(); !st.is_ok()) return st;
    return address;
  }

  std::string price_is_deterministic() {
    const std::string owner = "0x" + random_hex(40);
    for (std::int64_t h = 1; h <= 3; ++h) {
      auto u = usage_of(owner, random_hex(16), hours_ago(h * 2));
      u.vcpus = h;
      u.network_egress_bytes *= h;
      auto first = billing_.price(u);
      REQUIRE_OK(first, "price()");
      auto second = billing_.price(u);
      REQUIRE_OK(second, "price() again");
      REQUIRE(*first == *second, "the same record priced " + std::to_string(*first) + " then " +
                                     std::to_string(*second));
      REQUIRE(*first >= 0, "a negative price: " + std::to_string(*first));
    }
    auto inverted = usage_of(owner, random_hex(16), hours_ago(2));
    std::swap(inverted.period.start, inverted.period.end);
    auto refused = billing_.price(inverted);
    REQUIRE(!refused.is_ok() && refused.status().code() == StatusCode::invalid,
            "an inverted period is not invalid: " +
                (refused.is_ok() ? std::to_string(*refused) : refused.status().to_string()));
    return "";
  }

  std::string unknown_balance_is_zero() {
    auto balance = billing_.balance("0x" + random_hex(40));
    REQUIRE_OK(balance, "balance() of an address never seen");
    REQUIRE(*balance == 0, "balance of an unknown address is " + std::to_string(*balance));
    return "";
  }

  std::string credit_needs_a_positive_amount() {
    auto address = account();
    REQUIRE_OK(address, "creating the account");
    for (std::int64_t amount : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{-1'000'000}}) {
      auto r = billing_.credit(*address, amount, "conformance");
      if (!r.is_ok() && r.status().code() == StatusCode::unsupported) return "";
      REQUIRE(!r.is_ok() && r.status().code() == StatusCode::invalid,
              "credit(" + std::to_string(amount) +
                  ") is not invalid: " + (r.is_ok() ? "ok" : r.status().to_string()));
    }
    auto balance = billing_.balance(*address);
    REQUIRE_OK(balance, "balance()");
    REQUIRE(*balance == 0, "refused credits moved the balance to " + std::to_string(*balance));
    return "";
  }

  std::string debit_is_idempotent() {
    auto address = account();
    REQUIRE_OK(address, "creating the account");
    // Credited when the plugin can, so that the debit does not start from nothing.
    auto credited = billing_.credit(*address, 50'000'000, "conformance");
    if (!credited.is_ok() && credited.status().code() != StatusCode::unsupported) {
      return "credit(): " + credited.status().to_string();
    }
    auto before = billing_.balance(*address);
    REQUIRE_OK(before, "balance() before");
    const auto usage = usage_of(*address, random_hex(16), hours_ago(5));
    auto price = billing_.price(usage);
    REQUIRE_OK(price, "price()");
    auto first = billing_.debit(*address, usage);
    REQUIRE_OK(first, "debit()");
    REQUIRE(first->amount_micro == -*price, "the debit is " + std::to_string(first->amount_micro) +
                                                ", the price " + std::to_string(*price));
    REQUIRE(first->address == *address, "the entry names " + first->address);
    auto second = billing_.debit(*address, usage);
    REQUIRE_OK(second, "the same debit again");
    REQUIRE(second->id == first->id, "the repeat wrote entry " + second->id + ", not " + first->id);
    REQUIRE(second->amount_micro == first->amount_micro, "the repeat has another amount");
    auto after = billing_.balance(*address);
    REQUIRE_OK(after, "balance() after");
    REQUIRE(*after == *before - *price, "balance went from " + std::to_string(*before) + " to " +
                                            std::to_string(*after) + " for one debit of " +
                                            std::to_string(*price));
    return "";
  }

  std::string may_create_refuses_without_balance() {
    auto address = account();
    REQUIRE_OK(address, "creating the account");
    const InstanceRequest small{1, 512, 5};
    auto empty = billing_.may_create(*address, small);
    REQUIRE_OK(empty, "may_create() at balance 0");
    REQUIRE(!empty->allowed, "allowed at balance 0 (run the suite with the policy enforced)");
    REQUIRE(!empty->missing.empty(), "refused at balance 0 without saying what is missing");
    // Usage beyond the balance: negative is refused too.
    auto debited = billing_.debit(*address, usage_of(*address, random_hex(16), hours_ago(3)));
    REQUIRE_OK(debited, "debit()");
    auto negative = billing_.may_create(*address, small);
    REQUIRE_OK(negative, "may_create() below zero");
    REQUIRE(!negative->allowed && !negative->missing.empty(),
            "a negative balance is not refused with a reason");
    return "";
  }

  std::string may_create_allows_when_credited() {
    auto address = account();
    REQUIRE_OK(address, "creating the account");
    auto credited = billing_.credit(*address, 100'000'000, "conformance");
    if (!credited.is_ok() && credited.status().code() == StatusCode::unsupported) return "";
    REQUIRE_OK(credited, "credit()");
    REQUIRE(credited->amount_micro == 100'000'000,
            "the credit entry says " + std::to_string(credited->amount_micro));
    auto balance = billing_.balance(*address);
    REQUIRE_OK(balance, "balance()");
    REQUIRE(*balance == 100'000'000,
            "balance after a credit of 100000000 is " + std::to_string(*balance));
    auto decision = billing_.may_create(*address, InstanceRequest{1, 512, 5});
    REQUIRE_OK(decision, "may_create()");
    REQUIRE(decision->allowed, "a credited account with no instances may not create 1 vCPU" +
                                   (decision->missing.empty() ? "" : ": " + decision->missing[0]));
    return "";
  }

  std::string ledger_is_newest_first() {
    auto address = account();
    REQUIRE_OK(address, "creating the account");
    std::set<std::string> written;
    for (std::int64_t amount = 1; amount <= 3; ++amount) {
      auto credited = billing_.credit(*address, amount, "conformance");
      if (!credited.is_ok() && credited.status().code() == StatusCode::unsupported) break;
      REQUIRE_OK(credited, "credit()");
      written.insert(credited->id);
    }
    auto debited = billing_.debit(*address, usage_of(*address, random_hex(16), hours_ago(7)));
    REQUIRE_OK(debited, "debit()");
    written.insert(debited->id);
    auto all = billing_.ledger(*address, PageRequest{100, ""});
    if (!all.is_ok() && all.status().code() == StatusCode::unsupported) return "";
    REQUIRE_OK(all, "ledger()");
    REQUIRE(all->items.size() == written.size(),
            "ledger() lists " + std::to_string(all->items.size()) + " entries, " +
                std::to_string(written.size()) + " were written");
    for (std::size_t i = 0; i < all->items.size(); ++i) {
      REQUIRE(written.contains(all->items[i].id), "ledger() lists an entry nobody wrote");
      REQUIRE(all->items[i].address == *address, "ledger() lists another address's entry");
      if (i > 0) {
        REQUIRE(all->items[i - 1].created_at >= all->items[i].created_at,
                "entry " + std::to_string(i) + " is newer than the one before it");
      }
    }
    // A page at a time gives the same entries, each once.
    std::vector<std::string> paged;
    PageRequest page{1, ""};
    for (int pages = 0; pages <= 10; ++pages) {
      auto one = billing_.ledger(*address, page);
      REQUIRE_OK(one, "ledger() page");
      REQUIRE(one->items.size() <= 1,
              "a page of limit 1 holds " + std::to_string(one->items.size()) + " entries");
      for (const auto& e : one->items) paged.push_back(e.id);
      if (one->next_page_token.empty()) break;
      page.page_token = one->next_page_token;
    }
    std::vector<std::string> expected;
    expected.reserve(all->items.size());
    for (const auto& e : all->items) expected.push_back(e.id);
    REQUIRE(paged == expected, "paging with limit 1 does not give the same entries in order");
    return "";
  }

 private:
  Billing& billing_;
  StateStore* store_;
};

}  // namespace

std::vector<CheckResult> billing_suite(Subject& subject) {
  BillingChecks checks(subject);
  std::vector<CheckResult> out;
  auto add = [&](const std::string& name, std::string (BillingChecks::*check)()) {
    run_check(out, "billing: " + name, [&] { return (checks.*check)(); });
  };
  add("price() is deterministic and >= 0; an inverted period is invalid",
      &BillingChecks::price_is_deterministic);
  add("balance() of an address never credited is 0", &BillingChecks::unknown_balance_is_zero);
  add("credit() of zero or less is invalid and moves nothing",
      &BillingChecks::credit_needs_a_positive_amount);
  add("debit() is idempotent on (instance, period): same entry, balance moved once",
      &BillingChecks::debit_is_idempotent);
  add("may_create() refuses at a balance <= 0, saying what is missing",
      &BillingChecks::may_create_refuses_without_balance);
  add("credit() shows in balance(); a credited account may create a small instance",
      &BillingChecks::may_create_allows_when_credited);
  add("ledger() lists newest first and pages without gaps or repeats",
      &BillingChecks::ledger_is_newest_first);
  return out;
}

}  // namespace formation::conformance

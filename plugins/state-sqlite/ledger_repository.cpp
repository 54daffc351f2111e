// The credit ledger: append-only; usage debits are exactly-once on (instance_id, period.start).
#include "paging.hpp"
#include "repositories.hpp"

namespace formation::sqlite {
namespace {

constexpr std::string_view kColumns =
    "SELECT id, address, amount_micro, reason, period_start, period_end, instance_id, "
    "created_at FROM ledger";

LedgerEntry read_entry(const Row& r) {
  LedgerEntry e;
  e.id = r.text(0);
  e.address = r.text(1);
  e.amount_micro = r.i64(2);
  e.reason = r.text(3);
  if (!r.is_null(4)) e.period = Period{r.time(4), r.time(5)};
  e.instance_id = r.opt_text(6);
  e.created_at = r.time(7);
  return e;
}

class Ledger final : public LedgerRepository {
 public:
  explicit Ledger(Connection& db) : db_(db) {}

  Result<std::int64_t> balance(const std::string& address) override {
    auto sum = db_.scalar("SELECT SUM(amount_micro) FROM ledger WHERE address = ?", {address});
    if (!sum.is_ok()) return sum.status();
    return sum->value_or(0);
  }

  Result<Page<LedgerEntry>> list(const std::string& address, const PageRequest& page) override {
    ListQuery q{.scope = "ledger",
                .select = std::string(kColumns),
                .where = {"address = ?"},
                .args = {address},
                .key = {{"created_at", true}, {"id"}},
                .descending = true};
    return list_page<LedgerEntry>(db_, q, page, read_entry, [](const LedgerEntry& e) {
      return std::vector{std::to_string(to_ms(e.created_at)), e.id};
    });
  }

  Result<LedgerEntry> append(const LedgerEntry& e) override {
    bool usage_debit = e.instance_id && e.period;
    if (usage_debit) {
      auto existing = db_.one<LedgerEntry>(
          std::string(kColumns) + " WHERE instance_id = ? AND period_start = ?",
          {e.instance_id, e.period->start}, read_entry);
      if (!existing.is_ok()) return existing.status();
      if (*existing) {
        if ((*existing)->amount_micro == e.amount_micro) return std::move(**existing);
        return Status::conflict("instance " + *e.instance_id + " was already debited " +
                                std::to_string((*existing)->amount_micro) +
                                " micro-credits for that period, not " +
                                std::to_string(e.amount_micro));
      }
    }
    std::optional<TimePoint> start;
    std::optional<TimePoint> end;
    if (e.period) {
      start = e.period->start;
      end = e.period->end;
    }
    auto done = db_.run(
        "INSERT INTO ledger (id, address, amount_micro, reason, period_start, period_end, "
        "instance_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        {e.id, e.address, e.amount_micro, e.reason, start, end, e.instance_id, now()});
    if (!done.is_ok()) {
      if (done.status().code() == StatusCode::conflict) {
        return Status::conflict("ledger entry " + e.id + " already exists");
      }
      return done.status();
    }
    auto row = db_.one<LedgerEntry>(std::string(kColumns) + " WHERE id = ?", {e.id}, read_entry);
    if (!row.is_ok()) return row.status();
    if (!*row) return Status::internal("ledger entry " + e.id + " vanished after insert");
    return std::move(**row);
  }

 private:
  Connection& db_;
};

}  // namespace

std::unique_ptr<LedgerRepository> make_ledger_repository(Connection& db) {
  return std::make_unique<Ledger>(db);
}

}  // namespace formation::sqlite

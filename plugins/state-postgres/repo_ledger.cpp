// The credit ledger (usage debits exactly once) and request nonces (replay protection).
#include "paging.hpp"
#include "repositories.hpp"

namespace formation::postgres {
namespace {

constexpr const char* kCols =
    "id, address, amount_micro, reason, period_start, period_end, instance_id, created_at, seq";

LedgerEntry read_entry(const pqxx::row& r) {
  LedgerEntry e;
  e.id = text(r[0]);
  e.address = text(r[1]);
  e.amount_micro = i64(r[2]);
  e.reason = text(r[3]);
  if (!r[4].is_null()) e.period = Period{time(r[4]), time(r[5])};
  e.instance_id = opt_text(r[6]);
  e.created_at = time(r[7]);
  return e;
}

}  // namespace

Result<std::int64_t> PgLedger::balance(const std::string& address) {
  return guarded(ctx_, [&]() -> Result<std::int64_t> {
    Params p;
    auto r = exec(
        *ctx_.work,
        "SELECT coalesce(sum(amount_micro), 0) FROM ledger WHERE address = " + p.add(address), p);
    return i64(r[0][0]);
  });
}

Result<Page<LedgerEntry>> PgLedger::list(const std::string& address, const PageRequest& page) {
  return guarded(ctx_, [&]() -> Result<Page<LedgerEntry>> {
    // Newest first by insertion sequence; the token holds the last sequence number.
    ListQuery q;
    q.scope = "ledger";
    q.select = std::string("SELECT ") + kCols + " FROM ledger";
    q.where.push_back("address = " + q.params.add(address));
    q.key = {{"seq", true}};
    q.descending = true;
    std::int64_t limit = 0;
    auto sql = page_sql(q, page, limit);
    if (!sql.is_ok()) return sql.status();
    Page<LedgerEntry> out;
    std::string last_seq;
    for (const auto& row : exec(*ctx_.work, *sql, q.params)) {
      if (static_cast<std::int64_t>(out.items.size()) == limit) {
        out.next_page_token = make_page_token(q.scope, {last_seq});
        break;
      }
      out.items.push_back(read_entry(row));
      last_seq = text(row[8]);
    }
    return out;
  });
}

Result<LedgerEntry> PgLedger::append(const LedgerEntry& e) {
  return guarded(ctx_, [&]() -> Result<LedgerEntry> {
    Params p;
    std::optional<TimePoint> start;
    std::optional<TimePoint> end;
    if (e.period) {
      start = e.period->start;
      end = e.period->end;
    }
    auto sql =
        "INSERT INTO ledger (id, address, amount_micro, reason, period_start, period_end, "
        "instance_id, created_at) VALUES (" +
        p.add(e.id) + ", " + p.add(e.address) + ", " + p.add(e.amount_micro) + ", " +
        p.add(e.reason) + ", " + p.add(start) + ", " + p.add(end) + ", " + p.add(e.instance_id) +
        ", " + p.add(now()) + ") ON CONFLICT DO NOTHING RETURNING " + kCols;
    auto r = exec(*ctx_.work, sql, p);
    if (!r.empty()) return read_entry(r[0]);
    // Nothing written: a repeated usage debit, or an id that exists.
    if (e.instance_id && e.period) {
      Params q;
      auto found = exec(*ctx_.work,
                        std::string("SELECT ") + kCols + " FROM ledger WHERE instance_id = " +
                            q.add(*e.instance_id) + " AND period_start = " + q.add(e.period->start),
                        q);
      if (!found.empty()) {
        auto existing = read_entry(found[0]);
        if (existing.amount_micro == e.amount_micro) return existing;
        return Status::conflict("instance " + *e.instance_id + " was already debited " +
                                std::to_string(existing.amount_micro) + " for that period, not " +
                                std::to_string(e.amount_micro));
      }
    }
    return Status::conflict("ledger entry " + e.id + " already exists");
  });
}

Result<bool> PgNonces::remember(const std::string& address, const std::string& nonce,
                                TimePoint expires_at) {
  return guarded(ctx_, [&]() -> Result<bool> {
    Params p;
    // One statement, atomic across hosts: inserted, or taken over when the old one expired
    // (not yet purged); no row comes back for a live nonce, which is a replay.
    auto sql = "INSERT INTO nonces (address, nonce, expires_at) VALUES (" + p.add(address) + ", " +
               p.add(nonce) + ", " + p.add(expires_at) +
               ") ON CONFLICT (address, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at "
               "WHERE nonces.expires_at <= " +
               p.add(now()) + " RETURNING 1";
    return !exec(*ctx_.work, sql, p).empty();
  });
}

Result<std::int64_t> PgNonces::purge_expired(TimePoint now_at) {
  return guarded(ctx_, [&]() -> Result<std::int64_t> {
    Params p;
    auto r = exec(*ctx_.work, "DELETE FROM nonces WHERE expires_at <= " + p.add(now_at), p);
    return static_cast<std::int64_t>(r.affected_rows());
  });
}

}  // namespace formation::postgres

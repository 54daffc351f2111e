// Webhooks and their delivery outbox (claimed with FOR UPDATE SKIP LOCKED).
#include "paging.hpp"
#include "repositories.hpp"

namespace formation::postgres {
namespace {

constexpr const char* kHookCols = "id, owner, url, events, secret, created_at";

Webhook read_hook(const pqxx::row& r) {
  Webhook w;
  w.id = text(r[0]);
  w.owner = text(r[1]);
  w.url = text(r[2]);
  w.events = text_array(r[3]);
  w.secret = text(r[4]);
  w.created_at = time(r[5]);
  return w;
}

constexpr const char* kOutboxCols =
    "id, webhook_id, event_type, payload_json, idempotency_key, attempts, next_attempt_at, "
    "state, last_error, created_at, updated_at";

OutboxEntry read_entry(const pqxx::row& r) {
  OutboxEntry e;
  e.id = text(r[0]);
  e.webhook_id = text(r[1]);
  e.event_type = text(r[2]);
  e.payload_json = text(r[3]);
  e.idempotency_key = text(r[4]);
  e.attempts = i64(r[5]);
  e.next_attempt_at = time(r[6]);
  e.state = parse_outbox_state(text(r[7])).value_or(OutboxState::dead);
  e.last_error = text(r[8]);
  e.created_at = time(r[9]);
  e.updated_at = time(r[10]);
  return e;
}

std::string name(OutboxState s) { return std::string(to_string(s)); }

}  // namespace

Result<Webhook> PgWebhooks::get(const std::string& id) {
  return guarded(ctx_, [&]() -> Result<Webhook> {
    Params p;
    auto r = exec(*ctx_.work,
                  std::string("SELECT ") + kHookCols + " FROM webhooks WHERE id = " + p.add(id), p);
    if (r.empty()) return Status::not_found("no webhook " + id);
    return read_hook(r[0]);
  });
}

Result<Page<Webhook>> PgWebhooks::list(const std::optional<std::string>& owner,
                                       const PageRequest& page) {
  ListQuery q;
  q.scope = "webhooks";
  q.select = std::string("SELECT ") + kHookCols + " FROM webhooks";
  if (owner) q.where.push_back("owner = " + q.params.add(*owner));
  q.key = {{"id"}};
  return list_page<Webhook>(ctx_, std::move(q), page, read_hook,
                            [](const Webhook& w) { return std::vector{w.id}; });
}

Result<std::vector<Webhook>> PgWebhooks::subscribed(const std::string& owner,
                                                    const std::string& event_type) {
  return guarded(ctx_, [&]() -> Result<std::vector<Webhook>> {
    Params p;
    auto r = exec(*ctx_.work,
                  std::string("SELECT ") + kHookCols +
                      " FROM webhooks WHERE owner = " + p.add(owner) + " ORDER BY id",
                  p);
    std::vector<Webhook> out;
    for (const auto& row : r) {
      auto hook = read_hook(row);
      for (const auto& pattern : hook.events) {
        if (webhook_event_matches(pattern, event_type)) {
          out.push_back(hook);
          break;
        }
      }
    }
    return out;
  });
}

Result<Webhook> PgWebhooks::create(const Webhook& w) {
  return guarded(ctx_, [&]() -> Result<Webhook> {
    Params p;
    auto sql = std::string("INSERT INTO webhooks (") + kHookCols + ") VALUES (" + p.add(w.id) +
               ", " + p.add(w.owner) + ", " + p.add(w.url) + ", " + p.add_array(w.events) + ", " +
               p.add(w.secret) + ", " + p.add(now()) + ") ON CONFLICT DO NOTHING RETURNING " +
               kHookCols;
    auto r = exec(*ctx_.work, sql, p);
    if (r.empty()) return Status::conflict("webhook " + w.id + " already exists");
    return read_hook(r[0]);
  });
}

Status PgWebhooks::remove(const std::string& id) {
  return guarded(ctx_, [&]() -> Status {
    Params p;
    auto r = exec(*ctx_.work, "DELETE FROM webhooks WHERE id = " + p.add(id), p);
    if (r.affected_rows() == 0) return Status::not_found("no webhook " + id);
    Params o;
    exec(*ctx_.work, "DELETE FROM outbox WHERE webhook_id = " + o.add(id), o);
    return Status::ok();
  });
}

Result<bool> PgOutbox::enqueue(const OutboxEntry& e) {
  return guarded(ctx_, [&]() -> Result<bool> {
    Params p;
    auto t = now();
    auto sql = std::string("INSERT INTO outbox (") + kOutboxCols + ") VALUES (" + p.add(e.id) +
               ", " + p.add(e.webhook_id) + ", " + p.add(e.event_type) + ", " +
               p.add(e.payload_json) + ", " + p.add(e.idempotency_key) + ", " + p.add(e.attempts) +
               ", " + p.add(e.next_attempt_at) + ", " + p.add(name(e.state)) + ", " +
               p.add(e.last_error) + ", " + p.add(t) + ", " + p.add(t) + ") ON CONFLICT DO NOTHING";
    return exec(*ctx_.work, sql, p).affected_rows() == 1;
  });
}

Result<std::vector<OutboxEntry>> PgOutbox::claim_due(TimePoint now_at, std::int64_t limit,
                                                     TimePoint lease_until) {
  if (limit < 0) return Status::invalid("limit must not be negative");
  return guarded(ctx_, [&]() -> Result<std::vector<OutboxEntry>> {
    Params p;
    auto at = p.add(now_at);
    // Oldest due first: the claimed rows are ordered by the next_attempt_at they had.
    auto sql =
        "WITH due AS (SELECT id, next_attempt_at AS due_at FROM outbox WHERE state IN "
        "('pending', 'in_flight') AND next_attempt_at <= " +
        at + " ORDER BY next_attempt_at, id LIMIT " + p.add(limit) +
        " FOR UPDATE SKIP LOCKED), claimed AS (UPDATE outbox o SET state = 'in_flight', "
        "next_attempt_at = " +
        p.add(lease_until) +
        ", attempts = o.attempts + 1, "
        "updated_at = " +
        p.add(now()) + " FROM due WHERE o.id = due.id RETURNING " +
        "o.id, o.webhook_id, o.event_type, o.payload_json, o.idempotency_key, o.attempts, "
        "o.next_attempt_at, o.state, o.last_error, o.created_at, o.updated_at, due.due_at) "
        "SELECT * FROM claimed ORDER BY due_at, id";
    std::vector<OutboxEntry> out;
    for (const auto& row : exec(*ctx_.work, sql, p)) out.push_back(read_entry(row));
    return out;
  });
}

Status PgOutbox::set_state(const std::string& id, OutboxState state,
                           const std::optional<std::string>& error,
                           std::optional<TimePoint> next_attempt_at) {
  return guarded(ctx_, [&]() -> Status {
    Params p;
    auto sql = "UPDATE outbox SET state = " + p.add(name(state)) + ", updated_at = " + p.add(now());
    if (error) sql += ", last_error = " + p.add(*error);
    if (next_attempt_at) sql += ", next_attempt_at = " + p.add(*next_attempt_at);
    sql += " WHERE id = " + p.add(id);
    if (exec(*ctx_.work, sql, p).affected_rows() == 0) {
      return Status::not_found("no outbox entry " + id);
    }
    return Status::ok();
  });
}

Status PgOutbox::mark_delivered(const std::string& id) {
  return set_state(id, OutboxState::delivered, std::nullopt, std::nullopt);
}

Status PgOutbox::mark_failed(const std::string& id, const std::string& error,
                             TimePoint next_attempt_at) {
  return set_state(id, OutboxState::pending, error, next_attempt_at);
}

Status PgOutbox::mark_dead(const std::string& id, const std::string& error) {
  return set_state(id, OutboxState::dead, error, std::nullopt);
}

Result<Page<OutboxEntry>> PgOutbox::list(const std::string& webhook_id, const PageRequest& page) {
  ListQuery q;
  q.scope = "outbox";
  q.select = std::string("SELECT ") + kOutboxCols + " FROM outbox";
  q.where.push_back("webhook_id = " + q.params.add(webhook_id));
  q.key = {{"id"}};
  return list_page<OutboxEntry>(ctx_, std::move(q), page, read_entry,
                                [](const OutboxEntry& e) { return std::vector{e.id}; });
}

Result<std::int64_t> PgOutbox::purge(TimePoint before) {
  return guarded(ctx_, [&]() -> Result<std::int64_t> {
    Params p;
    auto r = exec(
        *ctx_.work,
        "DELETE FROM outbox WHERE state IN ('delivered', 'dead') AND updated_at < " + p.add(before),
        p);
    return static_cast<std::int64_t>(r.affected_rows());
  });
}

}  // namespace formation::postgres

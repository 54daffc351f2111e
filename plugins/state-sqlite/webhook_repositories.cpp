// Webhooks and their delivery outbox. Secrets are stored (they must sign deliveries) but
// never logged nor put into a status message.
#include "paging.hpp"
#include "repositories.hpp"

namespace formation::sqlite {
namespace {

// ---- webhooks ----------------------------------------------------------------------------

constexpr std::string_view kWebhookColumns =
    "SELECT id, owner, url, events_json, secret, created_at FROM webhooks";

Webhook read_webhook(const Row& r) {
  Webhook w;
  w.id = r.text(0);
  w.owner = r.text(1);
  w.url = r.text(2);
  w.events = strings_from_json(r.text(3));
  w.secret = r.text(4);
  w.created_at = r.time(5);
  return w;
}

class Webhooks final : public WebhookRepository {
 public:
  explicit Webhooks(Connection& db) : db_(db) {}

  Result<Webhook> get(const std::string& id) override {
    auto row = db_.one<Webhook>(std::string(kWebhookColumns) + " WHERE id = ?", {id}, read_webhook);
    if (!row.is_ok()) return row.status();
    if (!*row) return Status::not_found("webhook " + id + " does not exist");
    return std::move(**row);
  }

  Result<Page<Webhook>> list(const std::optional<std::string>& owner,
                             const PageRequest& page) override {
    ListQuery q{.scope = "webhooks", .select = std::string(kWebhookColumns), .key = {{"id"}}};
    if (owner) {
      q.where.emplace_back("owner = ?");
      q.args.emplace_back(*owner);
    }
    return list_page<Webhook>(db_, q, page, read_webhook,
                              [](const Webhook& w) { return std::vector{w.id}; });
  }

  Result<std::vector<Webhook>> subscribed(const std::string& owner,
                                          const std::string& event_type) override {
    std::vector<Webhook> out;
    auto st = db_.query(std::string(kWebhookColumns) + " WHERE owner = ? ORDER BY id", {owner},
                        [&](const Row& r) {
                          auto w = read_webhook(r);
                          for (const auto& pattern : w.events) {
                            if (webhook_event_matches(pattern, event_type)) {
                              out.push_back(std::move(w));
                              break;
                            }
                          }
                        });
    if (!st.is_ok()) return st;
    return out;
  }

  Result<Webhook> create(const Webhook& w) override {
    auto done = db_.run(
        "INSERT INTO webhooks (id, owner, url, events_json, secret, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        {w.id, w.owner, w.url, to_json(w.events), w.secret, now()});
    if (!done.is_ok()) {
      if (done.status().code() == StatusCode::conflict) {
        return Status::conflict("webhook " + w.id + " already exists");
      }
      return Status(done.status().code(), "storing webhook " + w.id + " failed");
    }
    return get(w.id);
  }

  Status remove(const std::string& id) override {
    // Its outbox entries go with it (ON DELETE CASCADE).
    return require_changed(db_.run("DELETE FROM webhooks WHERE id = ?", {id}), "webhook " + id);
  }

 private:
  Connection& db_;
};

// ---- outbox ------------------------------------------------------------------------------

constexpr std::string_view kOutboxColumns =
    "SELECT id, webhook_id, event_type, payload_json, idempotency_key, attempts, "
    "next_attempt_at, state, last_error, created_at, updated_at FROM outbox";

OutboxEntry read_entry(const Row& r) {
  OutboxEntry e;
  e.id = r.text(0);
  e.webhook_id = r.text(1);
  e.event_type = r.text(2);
  e.payload_json = r.text(3);
  e.idempotency_key = r.text(4);
  e.attempts = r.i64(5);
  e.next_attempt_at = r.time(6);
  e.state = parse_outbox_state(r.text(7)).value_or(OutboxState::dead);
  e.last_error = r.text(8);
  e.created_at = r.time(9);
  e.updated_at = r.time(10);
  return e;
}

class Outbox final : public OutboxRepository {
 public:
  explicit Outbox(Connection& db) : db_(db) {}

  Result<bool> enqueue(const OutboxEntry& e) override {
    auto hook = db_.scalar("SELECT 1 FROM webhooks WHERE id = ?", {e.webhook_id});
    if (!hook.is_ok()) return hook.status();
    if (!*hook) return Status::not_found("webhook " + e.webhook_id + " does not exist");
    auto t = now();
    auto done = db_.run(
        "INSERT INTO outbox (id, webhook_id, event_type, payload_json, idempotency_key, "
        "attempts, next_attempt_at, state, last_error, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING",
        {e.id, e.webhook_id, e.event_type, e.payload_json, e.idempotency_key, e.attempts,
         e.next_attempt_at, to_string(e.state), e.last_error, t, t});
    if (!done.is_ok()) {
      if (done.status().code() == StatusCode::conflict) {
        return Status::conflict("outbox entry " + e.id + " already exists");
      }
      return done.status();
    }
    return *done > 0;
  }

  Result<std::vector<OutboxEntry>> claim_due(TimePoint now_at, std::int64_t limit,
                                             TimePoint lease_until) override {
    if (limit < 0) return Status::invalid("limit must not be negative");
    std::vector<OutboxEntry> due;
    // The transaction holds SQLite's write lock (BEGIN IMMEDIATE), so no other host can
    // claim between this SELECT and the UPDATEs below.
    auto st = db_.query(std::string(kOutboxColumns) +
                            " WHERE state IN ('pending', 'in_flight') AND next_attempt_at <= ? "
                            "ORDER BY next_attempt_at, id LIMIT ?",
                        {now_at, limit}, [&](const Row& r) { due.push_back(read_entry(r)); });
    if (!st.is_ok()) return st;
    auto t = now();
    for (auto& e : due) {
      auto done = db_.run(
          "UPDATE outbox SET state = 'in_flight', next_attempt_at = ?, attempts = attempts + 1, "
          "updated_at = ? WHERE id = ?",
          {lease_until, t, e.id});
      if (!done.is_ok()) return done.status();
      e.state = OutboxState::in_flight;
      e.next_attempt_at = from_ms(to_ms(lease_until));
      e.attempts += 1;
      e.updated_at = t;
    }
    return due;
  }

  Status mark_delivered(const std::string& id) override {
    return require_changed(
        db_.run("UPDATE outbox SET state = 'delivered', updated_at = ? WHERE id = ?", {now(), id}),
        "outbox entry " + id);
  }

  Status mark_failed(const std::string& id, const std::string& error,
                     TimePoint next_attempt_at) override {
    return require_changed(db_.run("UPDATE outbox SET state = 'pending', last_error = ?, "
                                   "next_attempt_at = ?, updated_at = ? WHERE id = ?",
                                   {error, next_attempt_at, now(), id}),
                           "outbox entry " + id);
  }

  Status mark_dead(const std::string& id, const std::string& error) override {
    return require_changed(
        db_.run("UPDATE outbox SET state = 'dead', last_error = ?, updated_at = ? WHERE id = ?",
                {error, now(), id}),
        "outbox entry " + id);
  }

  Result<Page<OutboxEntry>> list(const std::string& webhook_id, const PageRequest& page) override {
    ListQuery q{.scope = "outbox",
                .select = std::string(kOutboxColumns),
                .where = {"webhook_id = ?"},
                .args = {webhook_id},
                .key = {{"id"}}};
    return list_page<OutboxEntry>(db_, q, page, read_entry,
                                  [](const OutboxEntry& e) { return std::vector{e.id}; });
  }

  Result<std::int64_t> purge(TimePoint before) override {
    return db_.run("DELETE FROM outbox WHERE state IN ('delivered', 'dead') AND updated_at < ?",
                   {before});
  }

 private:
  Connection& db_;
};

}  // namespace

std::unique_ptr<WebhookRepository> make_webhook_repository(Connection& db) {
  return std::make_unique<Webhooks>(db);
}
std::unique_ptr<OutboxRepository> make_outbox_repository(Connection& db) {
  return std::make_unique<Outbox>(db);
}

}  // namespace formation::sqlite

// Accounts, instance grants and request nonces.
#include "paging.hpp"
#include "repositories.hpp"

namespace formation::sqlite {
namespace {

// ---- accounts ----------------------------------------------------------------------------

constexpr std::string_view kAccountColumns =
    "SELECT address, name, plan, created_at, updated_at, version FROM accounts";

Account read_account(const Row& r) {
  Account a;
  a.address = r.text(0);
  a.name = r.text(1);
  a.plan = r.text(2);
  a.created_at = r.time(3);
  a.updated_at = r.time(4);
  a.version = r.i64(5);
  return a;
}

class Accounts final : public AccountRepository {
 public:
  explicit Accounts(Connection& db) : db_(db) {}

  Result<Account> get(const std::string& address) override {
    auto row = db_.one<Account>(std::string(kAccountColumns) + " WHERE address = ?", {address},
                                read_account);
    if (!row.is_ok()) return row.status();
    if (!*row) return Status::not_found("account " + address + " does not exist");
    return std::move(**row);
  }

  Result<Page<Account>> list(const PageRequest& page) override {
    ListQuery q{.scope = "accounts", .select = std::string(kAccountColumns), .key = {{"address"}}};
    return list_page<Account>(db_, q, page, read_account,
                              [](const Account& a) { return std::vector{a.address}; });
  }

  Result<Account> create(const Account& account) override {
    auto t = now();
    auto done = db_.run(
        "INSERT INTO accounts (address, name, plan, created_at, updated_at, version) "
        "VALUES (?, ?, ?, ?, ?, 1)",
        {account.address, account.name, account.plan, t, t});
    if (!done.is_ok()) {
      if (done.status().code() == StatusCode::conflict) {
        return Status::conflict("account " + account.address + " already exists");
      }
      return done.status();
    }
    return get(account.address);
  }

  Result<Account> update(const Account& account) override {
    auto done = db_.run(
        "UPDATE accounts SET name = ?, plan = ?, updated_at = ?, version = version + 1 "
        "WHERE address = ? AND version = ?",
        {account.name, account.plan, now(), account.address, account.version});
    if (!done.is_ok()) return done.status();
    if (*done == 0) {
      return cas_failure(db_, "account " + account.address, "accounts", "address = ?",
                         {account.address}, account.version);
    }
    return get(account.address);
  }

  Status remove(const std::string& address) override {
    return require_changed(db_.run("DELETE FROM accounts WHERE address = ?", {address}),
                           "account " + address);
  }

 private:
  Connection& db_;
};

// ---- grants ------------------------------------------------------------------------------

constexpr std::string_view kGrantColumns =
    "SELECT instance_id, address, level, granted_by, created_at, updated_at FROM grants";

Grant read_grant(const Row& r) {
  Grant g;
  g.instance_id = r.text(0);
  g.address = r.text(1);
  g.level = parse_access_level(r.text(2)).value_or(AccessLevel::read_only);
  g.granted_by = r.text(3);
  g.created_at = r.time(4);
  g.updated_at = r.time(5);
  return g;
}

class Grants final : public GrantRepository {
 public:
  explicit Grants(Connection& db) : db_(db) {}

  Result<Grant> get(const std::string& instance_id, const std::string& address) override {
    auto row = db_.one<Grant>(std::string(kGrantColumns) + " WHERE instance_id = ? AND address = ?",
                              {instance_id, address}, read_grant);
    if (!row.is_ok()) return row.status();
    if (!*row) {
      return Status::not_found("no grant for " + address + " on instance " + instance_id);
    }
    return std::move(**row);
  }

  Result<std::vector<Grant>> list_for_instance(const std::string& instance_id) override {
    std::vector<Grant> out;
    auto st = db_.query(std::string(kGrantColumns) + " WHERE instance_id = ? ORDER BY address",
                        {instance_id}, [&](const Row& r) { out.push_back(read_grant(r)); });
    if (!st.is_ok()) return st;
    return out;
  }

  Result<Grant> put(const Grant& grant) override {
    if (grant.level == AccessLevel::owner) {
      return Status::invalid("a grant cannot give owner access (ownership is a transfer)");
    }
    auto exists = db_.scalar("SELECT 1 FROM instances WHERE id = ?", {grant.instance_id});
    if (!exists.is_ok()) return exists.status();
    if (!*exists) return Status::not_found("instance " + grant.instance_id + " does not exist");
    auto t = now();
    auto done = db_.run(
        "INSERT INTO grants (instance_id, address, level, granted_by, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (instance_id, address) DO UPDATE SET "
        "level = excluded.level, granted_by = excluded.granted_by, updated_at = "
        "excluded.updated_at",
        {grant.instance_id, grant.address, to_string(grant.level), grant.granted_by, t, t});
    if (!done.is_ok()) return done.status();
    return get(grant.instance_id, grant.address);
  }

  Status remove(const std::string& instance_id, const std::string& address) override {
    return require_changed(
        db_.run("DELETE FROM grants WHERE instance_id = ? AND address = ?", {instance_id, address}),
        "grant for " + address + " on instance " + instance_id);
  }

 private:
  Connection& db_;
};

// ---- nonces ------------------------------------------------------------------------------

class Nonces final : public NonceRepository {
 public:
  explicit Nonces(Connection& db) : db_(db) {}

  Result<bool> remember(const std::string& address, const std::string& nonce,
                        TimePoint expires_at) override {
    // One statement: a new key inserts; an expired one is taken over; a live one is a replay.
    auto done = db_.run(
        "INSERT INTO nonces (address, nonce, expires_at) VALUES (?, ?, ?) "
        "ON CONFLICT (address, nonce) DO UPDATE SET expires_at = excluded.expires_at "
        "WHERE nonces.expires_at <= ?",
        {address, nonce, expires_at, now()});
    if (!done.is_ok()) return done.status();
    return *done > 0;
  }

  Result<std::int64_t> purge_expired(TimePoint now) override {
    return db_.run("DELETE FROM nonces WHERE expires_at <= ?", {now});
  }

 private:
  Connection& db_;
};

}  // namespace

std::unique_ptr<AccountRepository> make_account_repository(Connection& db) {
  return std::make_unique<Accounts>(db);
}
std::unique_ptr<GrantRepository> make_grant_repository(Connection& db) {
  return std::make_unique<Grants>(db);
}
std::unique_ptr<NonceRepository> make_nonce_repository(Connection& db) {
  return std::make_unique<Nonces>(db);
}

}  // namespace formation::sqlite

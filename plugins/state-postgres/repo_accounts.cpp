// Accounts and instance grants.
#include "paging.hpp"
#include "repositories.hpp"

namespace formation::postgres {
namespace {

constexpr const char* kAccountCols = "address, name, plan, created_at, updated_at, version";

Account read_account(const pqxx::row& r) {
  Account a;
  a.address = text(r[0]);
  a.name = text(r[1]);
  a.plan = text(r[2]);
  a.created_at = time(r[3]);
  a.updated_at = time(r[4]);
  a.version = i64(r[5]);
  return a;
}

constexpr const char* kGrantCols =
    "instance_id, address, level, granted_by, created_at, updated_at";

Grant read_grant(const pqxx::row& r) {
  Grant g;
  g.instance_id = text(r[0]);
  g.address = text(r[1]);
  g.level = parse_access_level(text(r[2])).value_or(AccessLevel::read_only);
  g.granted_by = text(r[3]);
  g.created_at = time(r[4]);
  g.updated_at = time(r[5]);
  return g;
}

}  // namespace

Result<Account> PgAccounts::get(const std::string& address) {
  return guarded(ctx_, [&]() -> Result<Account> {
    Params p;
    auto r = exec(
        *ctx_.work,
        std::string("SELECT ") + kAccountCols + " FROM accounts WHERE address = " + p.add(address),
        p);
    if (r.empty()) return Status::not_found("no account " + address);
    return read_account(r[0]);
  });
}

Result<Page<Account>> PgAccounts::list(const PageRequest& page) {
  ListQuery q;
  q.scope = "accounts";
  q.select = std::string("SELECT ") + kAccountCols + " FROM accounts";
  q.key = {{"address"}};
  return list_page<Account>(ctx_, std::move(q), page, read_account,
                            [](const Account& a) { return std::vector{a.address}; });
}

Result<Account> PgAccounts::create(const Account& account) {
  return guarded(ctx_, [&]() -> Result<Account> {
    Params p;
    auto t = now();
    auto sql =
        "INSERT INTO accounts (address, name, plan, created_at, updated_at, version) "
        "VALUES (" +
        p.add(account.address) + ", " + p.add(account.name) + ", " + p.add(account.plan) + ", " +
        p.add(t) + ", " + p.add(t) + ", 1) ON CONFLICT DO NOTHING RETURNING " + kAccountCols;
    auto r = exec(*ctx_.work, sql, p);
    if (r.empty()) return Status::conflict("account " + account.address + " already exists");
    return read_account(r[0]);
  });
}

Result<Account> PgAccounts::update(const Account& account) {
  return guarded(ctx_, [&]() -> Result<Account> {
    Params p;
    auto sql = "UPDATE accounts SET name = " + p.add(account.name) +
               ", plan = " + p.add(account.plan) + ", updated_at = " + p.add(now()) +
               ", version = version + 1 WHERE address = " + p.add(account.address) +
               " AND version = " + p.add(account.version) + " RETURNING " + kAccountCols;
    auto r = exec(*ctx_.work, sql, p);
    if (!r.empty()) return read_account(r[0]);
    Params q;
    auto found = exec(*ctx_.work,
                      "SELECT version FROM accounts WHERE address = " + q.add(account.address), q);
    if (found.empty()) return Status::not_found("no account " + account.address);
    return Status::conflict("account " + account.address + " is at version " + text(found[0][0]) +
                            ", not " + std::to_string(account.version));
  });
}

Status PgAccounts::remove(const std::string& address) {
  return guarded(ctx_, [&]() -> Status {
    Params p;
    auto r = exec(*ctx_.work, "DELETE FROM accounts WHERE address = " + p.add(address), p);
    if (r.affected_rows() == 0) return Status::not_found("no account " + address);
    return Status::ok();
  });
}

Result<Grant> PgGrants::get(const std::string& instance_id, const std::string& address) {
  return guarded(ctx_, [&]() -> Result<Grant> {
    Params p;
    auto r = exec(*ctx_.work,
                  std::string("SELECT ") + kGrantCols + " FROM grants WHERE instance_id = " +
                      p.add(instance_id) + " AND address = " + p.add(address),
                  p);
    if (r.empty()) return Status::not_found("no grant to " + address + " on " + instance_id);
    return read_grant(r[0]);
  });
}

Result<std::vector<Grant>> PgGrants::list_for_instance(const std::string& instance_id) {
  return guarded(ctx_, [&]() -> Result<std::vector<Grant>> {
    Params p;
    auto r = exec(*ctx_.work,
                  std::string("SELECT ") + kGrantCols + " FROM grants WHERE instance_id = " +
                      p.add(instance_id) + " ORDER BY address",
                  p);
    std::vector<Grant> out;
    for (const auto& row : r) out.push_back(read_grant(row));
    return out;
  });
}

Result<Grant> PgGrants::put(const Grant& grant) {
  if (grant.level == AccessLevel::owner) {
    return Status::invalid("a grant cannot give owner; ownership changes by transfer");
  }
  return guarded(ctx_, [&]() -> Result<Grant> {
    Params q;
    // Locks the instance row so that a concurrent remove cannot leave an orphan grant.
    auto found =
        exec(*ctx_.work,
             "SELECT 1 FROM instances WHERE id = " + q.add(grant.instance_id) + " FOR SHARE", q);
    if (found.empty()) return Status::not_found("no instance " + grant.instance_id);
    Params p;
    auto t = now();
    auto sql =
        "INSERT INTO grants (instance_id, address, level, granted_by, created_at, "
        "updated_at) VALUES (" +
        p.add(grant.instance_id) + ", " + p.add(grant.address) + ", " +
        p.add(std::string(to_string(grant.level))) + ", " + p.add(grant.granted_by) + ", " +
        p.add(t) + ", " + p.add(t) +
        ") ON CONFLICT (instance_id, address) DO UPDATE SET level = EXCLUDED.level, "
        "granted_by = EXCLUDED.granted_by, updated_at = EXCLUDED.updated_at RETURNING " +
        kGrantCols;
    return read_grant(exec(*ctx_.work, sql, p)[0]);
  });
}

Status PgGrants::remove(const std::string& instance_id, const std::string& address) {
  return guarded(ctx_, [&]() -> Status {
    Params p;
    auto r = exec(*ctx_.work,
                  "DELETE FROM grants WHERE instance_id = " + p.add(instance_id) +
                      " AND address = " + p.add(address),
                  p);
    if (r.affected_rows() == 0) {
      return Status::not_found("no grant to " + address + " on " + instance_id);
    }
    return Status::ok();
  });
}

}  // namespace formation::postgres

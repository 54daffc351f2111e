// Metered usage records: idempotent on (instance_id, period.start).
#include "paging.hpp"
#include "repositories.hpp"

namespace formation::postgres {
namespace {

constexpr const char* kCols =
    "instance_id, owner, period_start, period_end, vcpus, memory_mb, cpu_seconds, "
    "memory_gb_seconds, storage_gb, network_ingress_bytes, network_egress_bytes, gpu_seconds, "
    "created_at";

UsageRecord read_usage(const pqxx::row& r) {
  UsageRecord u;
  u.instance_id = text(r[0]);
  u.owner = text(r[1]);
  u.period = {time(r[2]), time(r[3])};
  u.vcpus = i64(r[4]);
  u.memory_mb = i64(r[5]);
  u.cpu_seconds = f64(r[6]);
  u.memory_gb_seconds = f64(r[7]);
  u.storage_gb = f64(r[8]);
  u.network_ingress_bytes = i64(r[9]);
  u.network_egress_bytes = i64(r[10]);
  u.gpu_seconds = f64(r[11]);
  u.created_at = time(r[12]);
  return u;
}

std::vector<std::string> conditions(const UsageFilter& f, Params& p) {
  std::vector<std::string> where;
  if (f.instance_id) where.push_back("instance_id = " + p.add(*f.instance_id));
  if (f.owner) where.push_back("owner = " + p.add(*f.owner));
  if (f.from) where.push_back("period_start >= " + p.add(*f.from));
  if (f.to) where.push_back("period_start < " + p.add(*f.to));
  return where;
}

std::string where_clause(const std::vector<std::string>& where) {
  std::string sql;
  for (std::size_t i = 0; i < where.size(); ++i) sql += (i ? " AND " : " WHERE ") + where[i];
  return sql;
}

}  // namespace

Result<bool> PgUsage::add(const UsageRecord& u) {
  return guarded(ctx_, [&]() -> Result<bool> {
    Params p;
    auto sql = std::string("INSERT INTO usage_records (") + kCols + ") VALUES (" +
               p.add(u.instance_id) + ", " + p.add(u.owner) + ", " + p.add(u.period.start) + ", " +
               p.add(u.period.end) + ", " + p.add(u.vcpus) + ", " + p.add(u.memory_mb) + ", " +
               p.add(u.cpu_seconds) + ", " + p.add(u.memory_gb_seconds) + ", " +
               p.add(u.storage_gb) + ", " + p.add(u.network_ingress_bytes) + ", " +
               p.add(u.network_egress_bytes) + ", " + p.add(u.gpu_seconds) + ", " + p.add(now()) +
               ") ON CONFLICT (instance_id, period_start) DO NOTHING";
    return exec(*ctx_.work, sql, p).affected_rows() == 1;
  });
}

Result<Page<UsageRecord>> PgUsage::list(const UsageFilter& filter, const PageRequest& page) {
  ListQuery q;
  q.scope = "usage";
  q.select = std::string("SELECT ") + kCols + " FROM usage_records";
  q.where = conditions(filter, q.params);
  q.key = {{"period_start", true}, {"instance_id"}};
  return list_page<UsageRecord>(ctx_, std::move(q), page, read_usage, [](const UsageRecord& u) {
    return std::vector{std::to_string(to_ms(u.period.start)), u.instance_id};
  });
}

Result<std::optional<UsageRecord>> PgUsage::latest(const std::string& instance_id) {
  return guarded(ctx_, [&]() -> Result<std::optional<UsageRecord>> {
    Params p;
    auto r = exec(*ctx_.work,
                  std::string("SELECT ") + kCols + " FROM usage_records WHERE instance_id = " +
                      p.add(instance_id) + " ORDER BY period_start DESC LIMIT 1",
                  p);
    if (r.empty()) return std::optional<UsageRecord>{};
    return std::optional<UsageRecord>{read_usage(r[0])};
  });
}

Result<std::optional<UsageRecord>> PgUsage::total(const UsageFilter& filter) {
  return guarded(ctx_, [&]() -> Result<std::optional<UsageRecord>> {
    Params p;
    auto where = where_clause(conditions(filter, p));
    auto last = exec(*ctx_.work,
                     std::string("SELECT ") + kCols + " FROM usage_records" + where +
                         " ORDER BY period_start DESC, instance_id DESC LIMIT 1",
                     p);
    if (last.empty()) return std::optional<UsageRecord>{};
    auto total = read_usage(last[0]);
    auto sums = exec(*ctx_.work,
                     "SELECT min(period_start), max(period_end), sum(cpu_seconds), "
                     "sum(memory_gb_seconds), sum(network_ingress_bytes), "
                     "sum(network_egress_bytes), sum(gpu_seconds), min(created_at) "
                     "FROM usage_records" +
                         where,
                     p);
    const auto& s = sums[0];
    total.period = {time(s[0]), time(s[1])};
    total.cpu_seconds = f64(s[2]);
    total.memory_gb_seconds = f64(s[3]);
    total.network_ingress_bytes = i64(s[4]);
    total.network_egress_bytes = i64(s[5]);
    total.gpu_seconds = f64(s[6]);
    return std::optional<UsageRecord>{total};
  });
}

}  // namespace formation::postgres

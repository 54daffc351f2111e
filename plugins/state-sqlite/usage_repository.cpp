// Metered usage records, keyed by (instance_id, period.start).
#include "paging.hpp"
#include "repositories.hpp"

namespace formation::sqlite {
namespace {

constexpr std::string_view kColumns =
    "SELECT instance_id, owner, period_start, period_end, vcpus, memory_mb, cpu_seconds, "
    "memory_gb_seconds, storage_gb, network_ingress_bytes, network_egress_bytes, gpu_seconds, "
    "created_at FROM usage_records";

UsageRecord read_usage(const Row& r) {
  UsageRecord u;
  u.instance_id = r.text(0);
  u.owner = r.text(1);
  u.period = {r.time(2), r.time(3)};
  u.vcpus = r.i64(4);
  u.memory_mb = r.i64(5);
  u.cpu_seconds = r.real(6);
  u.memory_gb_seconds = r.real(7);
  u.storage_gb = r.real(8);
  u.network_ingress_bytes = r.i64(9);
  u.network_egress_bytes = r.i64(10);
  u.gpu_seconds = r.real(11);
  u.created_at = r.time(12);
  return u;
}

void apply_filter(const UsageFilter& f, std::vector<std::string>& where, Values& args) {
  if (f.instance_id) {
    where.emplace_back("instance_id = ?");
    args.emplace_back(*f.instance_id);
  }
  if (f.owner) {
    where.emplace_back("owner = ?");
    args.emplace_back(*f.owner);
  }
  if (f.from) {
    where.emplace_back("period_start >= ?");
    args.emplace_back(*f.from);
  }
  if (f.to) {
    where.emplace_back("period_start < ?");
    args.emplace_back(*f.to);
  }
}

std::string where_clause(const std::vector<std::string>& where) {
  std::string sql;
  for (std::size_t i = 0; i < where.size(); ++i) sql += (i ? " AND " : " WHERE ") + where[i];
  return sql;
}

class Usage final : public UsageRepository {
 public:
  explicit Usage(Connection& db) : db_(db) {}

  Result<bool> add(const UsageRecord& u) override {
    auto done = db_.run(
        "INSERT INTO usage_records (instance_id, owner, period_start, period_end, vcpus, "
        "memory_mb, cpu_seconds, memory_gb_seconds, storage_gb, network_ingress_bytes, "
        "network_egress_bytes, gpu_seconds, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (instance_id, period_start) DO NOTHING",
        {u.instance_id, u.owner, u.period.start, u.period.end, u.vcpus, u.memory_mb, u.cpu_seconds,
         u.memory_gb_seconds, u.storage_gb, u.network_ingress_bytes, u.network_egress_bytes,
         u.gpu_seconds, now()});
    if (!done.is_ok()) return done.status();
    return *done > 0;
  }

  Result<Page<UsageRecord>> list(const UsageFilter& f, const PageRequest& page) override {
    ListQuery q{.scope = "usage",
                .select = std::string(kColumns),
                .key = {{"period_start", true}, {"instance_id"}}};
    apply_filter(f, q.where, q.args);
    return list_page<UsageRecord>(db_, q, page, read_usage, [](const UsageRecord& u) {
      return std::vector{std::to_string(to_ms(u.period.start)), u.instance_id};
    });
  }

  Result<std::optional<UsageRecord>> latest(const std::string& instance_id) override {
    return db_.one<UsageRecord>(
        std::string(kColumns) + " WHERE instance_id = ? ORDER BY period_start DESC LIMIT 1",
        {instance_id}, read_usage);
  }

  Result<std::optional<UsageRecord>> total(const UsageFilter& f) override {
    std::vector<std::string> where;
    Values args;
    apply_filter(f, where, args);
    auto last = db_.one<UsageRecord>(std::string(kColumns) + where_clause(where) +
                                         " ORDER BY period_start DESC, instance_id DESC LIMIT 1",
                                     args, read_usage);
    if (!last.is_ok() || !*last) return last;
    UsageRecord sum = **last;  // instance, owner, vcpus, memory_mb, storage_gb of the latest
    auto st = db_.query(
        "SELECT MIN(period_start), MAX(period_end), SUM(cpu_seconds), SUM(memory_gb_seconds), "
        "SUM(network_ingress_bytes), SUM(network_egress_bytes), SUM(gpu_seconds), "
        "MIN(created_at) FROM usage_records" +
            where_clause(where),
        args, [&](const Row& r) {
          sum.period = {r.time(0), r.time(1)};
          sum.cpu_seconds = r.real(2);
          sum.memory_gb_seconds = r.real(3);
          sum.network_ingress_bytes = r.i64(4);
          sum.network_egress_bytes = r.i64(5);
          sum.gpu_seconds = r.real(6);
          sum.created_at = r.time(7);
        });
    if (!st.is_ok()) return st;
    return std::optional<UsageRecord>(std::move(sum));
  }

 private:
  Connection& db_;
};

}  // namespace

std::unique_ptr<UsageRepository> make_usage_repository(Connection& db) {
  return std::make_unique<Usage>(db);
}

}  // namespace formation::sqlite

// Tenants' usage thresholds (POST /v1/thresholds), read by the UsageMeter every period.
#include "paging.hpp"
#include "repositories.hpp"

namespace formation::postgres {
namespace {

constexpr const char* kCols =
    "id, owner, name, resource, kind, limit_value, instance_id, created_at";

UsageThreshold read_threshold(const pqxx::row& r) {
  UsageThreshold t;
  t.id = text(r[0]);
  t.owner = text(r[1]);
  t.name = text(r[2]);
  t.resource = text(r[3]);
  t.kind = text(r[4]);
  t.limit = f64(r[5]);
  t.instance_id = opt_text(r[6]);
  t.created_at = time(r[7]);
  return t;
}

}  // namespace

Result<UsageThreshold> PgThresholds::get(const std::string& id) {
  return guarded(ctx_, [&]() -> Result<UsageThreshold> {
    Params p;
    auto r =
        exec(*ctx_.work,
             std::string("SELECT ") + kCols + " FROM usage_thresholds WHERE id = " + p.add(id), p);
    if (r.empty()) return Status::not_found("no threshold " + id);
    return read_threshold(r[0]);
  });
}

Result<Page<UsageThreshold>> PgThresholds::list(const std::optional<std::string>& owner,
                                                const PageRequest& page) {
  ListQuery q;
  q.scope = "thresholds";
  q.select = std::string("SELECT ") + kCols + " FROM usage_thresholds";
  if (owner) q.where.push_back("owner = " + q.params.add(*owner));
  q.key = {{"id"}};
  return list_page<UsageThreshold>(ctx_, std::move(q), page, read_threshold,
                                   [](const UsageThreshold& t) { return std::vector{t.id}; });
}

Result<UsageThreshold> PgThresholds::create(const UsageThreshold& t) {
  return guarded(ctx_, [&]() -> Result<UsageThreshold> {
    Params p;
    const TimePoint created = t.created_at.time_since_epoch().count() == 0 ? now() : t.created_at;
    auto sql = std::string("INSERT INTO usage_thresholds (") + kCols + ") VALUES (" + p.add(t.id) +
               ", " + p.add(t.owner) + ", " + p.add(t.name) + ", " + p.add(t.resource) + ", " +
               p.add(t.kind) + ", " + p.add(t.limit) + ", " + p.add(t.instance_id) + ", " +
               p.add(created) + ") ON CONFLICT DO NOTHING RETURNING " + kCols;
    auto r = exec(*ctx_.work, sql, p);
    if (r.empty()) {
      return Status::conflict("threshold " + t.id + " or the name '" + t.name + "' of " + t.owner +
                              " already exists");
    }
    return read_threshold(r[0]);
  });
}

Status PgThresholds::remove(const std::string& id) {
  return guarded(ctx_, [&]() -> Status {
    Params p;
    auto r = exec(*ctx_.work, "DELETE FROM usage_thresholds WHERE id = " + p.add(id), p);
    if (r.affected_rows() == 0) return Status::not_found("no threshold " + id);
    return Status::ok();
  });
}

}  // namespace formation::postgres

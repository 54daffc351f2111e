// Tenants' usage thresholds (POST /v1/thresholds), read by the UsageMeter every period.
#include "paging.hpp"
#include "repositories.hpp"

namespace formation::sqlite {
namespace {

constexpr std::string_view kColumns =
    "SELECT id, owner, name, resource, kind, limit_value, instance_id, created_at "
    "FROM usage_thresholds";

UsageThreshold read_threshold(const Row& r) {
  UsageThreshold t;
  t.id = r.text(0);
  t.owner = r.text(1);
  t.name = r.text(2);
  t.resource = r.text(3);
  t.kind = r.text(4);
  t.limit = r.real(5);
  t.instance_id = r.opt_text(6);
  t.created_at = r.time(7);
  return t;
}

class Thresholds final : public ThresholdRepository {
 public:
  explicit Thresholds(Connection& db) : db_(db) {}

  Result<UsageThreshold> get(const std::string& id) override {
    auto row =
        db_.one<UsageThreshold>(std::string(kColumns) + " WHERE id = ?", {id}, read_threshold);
    if (!row.is_ok()) return row.status();
    if (!*row) return Status::not_found("threshold " + id + " does not exist");
    return std::move(**row);
  }

  Result<Page<UsageThreshold>> list(const std::optional<std::string>& owner,
                                    const PageRequest& page) override {
    ListQuery q{.scope = "thresholds", .select = std::string(kColumns), .key = {{"id"}}};
    if (owner) {
      q.where.emplace_back("owner = ?");
      q.args.emplace_back(*owner);
    }
    return list_page<UsageThreshold>(db_, q, page, read_threshold,
                                     [](const UsageThreshold& t) { return std::vector{t.id}; });
  }

  Result<UsageThreshold> create(const UsageThreshold& t) override {
    const TimePoint created = t.created_at.time_since_epoch().count() == 0 ? now() : t.created_at;
    auto done = db_.run(
        "INSERT INTO usage_thresholds (id, owner, name, resource, kind, limit_value, "
        "instance_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        {t.id, t.owner, t.name, t.resource, t.kind, t.limit, t.instance_id, created});
    if (!done.is_ok()) {
      if (done.status().code() == StatusCode::conflict) {
        return Status::conflict("threshold " + t.id + " or the name '" + t.name + "' of " +
                                t.owner + " already exists");
      }
      return done.status();
    }
    return get(t.id);
  }

  Status remove(const std::string& id) override {
    return require_changed(db_.run("DELETE FROM usage_thresholds WHERE id = ?", {id}),
                           "threshold " + id);
  }

 private:
  Connection& db_;
};

}  // namespace

std::unique_ptr<ThresholdRepository> make_threshold_repository(Connection& db) {
  return std::make_unique<Thresholds>(db);
}

}  // namespace formation::sqlite

// Builds, keyed by build_id.
#include "paging.hpp"
#include "repositories.hpp"

namespace formation::sqlite {
namespace {

constexpr std::string_view kColumns =
    "SELECT build_id, owner, name, state, reason, manifest_json, seed_iso, context_tarball, "
    "base_image, node_id, created_at, updated_at, version FROM builds";

Build read_build(const Row& r) {
  Build b;
  b.build_id = r.text(0);
  b.owner = r.text(1);
  b.name = r.text(2);
  b.state = parse_build_state(r.text(3)).value_or(BuildState::failed);
  b.reason = r.text(4);
  b.manifest_json = r.text(5);
  b.artifacts = {r.text(6), r.text(7), r.text(8)};
  b.node_id = r.text(9);
  b.created_at = r.time(10);
  b.updated_at = r.time(11);
  b.version = r.i64(12);
  return b;
}

class Builds final : public BuildRepository {
 public:
  explicit Builds(Connection& db) : db_(db) {}

  Result<Build> get(const std::string& build_id) override {
    auto row =
        db_.one<Build>(std::string(kColumns) + " WHERE build_id = ?", {build_id}, read_build);
    if (!row.is_ok()) return row.status();
    if (!*row) return Status::not_found("build " + build_id + " does not exist");
    return std::move(**row);
  }

  Result<Page<Build>> list(const std::optional<std::string>& owner,
                           const PageRequest& page) override {
    ListQuery q{.scope = "builds", .select = std::string(kColumns), .key = {{"build_id"}}};
    if (owner) {
      q.where.emplace_back("owner = ?");
      q.args.emplace_back(*owner);
    }
    return list_page<Build>(db_, q, page, read_build,
                            [](const Build& b) { return std::vector{b.build_id}; });
  }

  Result<Build> create(const Build& b) override {
    auto t = now();
    auto done = db_.run(
        "INSERT INTO builds (build_id, owner, name, state, reason, manifest_json, seed_iso, "
        "context_tarball, base_image, node_id, created_at, updated_at, version) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
        {b.build_id, b.owner, b.name, to_string(b.state), b.reason, b.manifest_json,
         b.artifacts.seed_iso, b.artifacts.context_tarball, b.artifacts.base_image, b.node_id, t,
         t});
    if (!done.is_ok()) {
      if (done.status().code() == StatusCode::conflict) {
        return Status::conflict("build " + b.build_id + " already exists");
      }
      return done.status();
    }
    return get(b.build_id);
  }

  Result<Build> update(const Build& b) override {
    auto done = db_.run(
        "UPDATE builds SET owner = ?, name = ?, state = ?, reason = ?, manifest_json = ?, "
        "seed_iso = ?, context_tarball = ?, base_image = ?, node_id = ?, updated_at = ?, "
        "version = version + 1 WHERE build_id = ? AND version = ?",
        {b.owner, b.name, to_string(b.state), b.reason, b.manifest_json, b.artifacts.seed_iso,
         b.artifacts.context_tarball, b.artifacts.base_image, b.node_id, now(), b.build_id,
         b.version});
    if (!done.is_ok()) return done.status();
    if (*done == 0) {
      return cas_failure(db_, "build " + b.build_id, "builds", "build_id = ?", {b.build_id},
                         b.version);
    }
    return get(b.build_id);
  }

  Status remove(const std::string& build_id) override {
    return require_changed(db_.run("DELETE FROM builds WHERE build_id = ?", {build_id}),
                           "build " + build_id);
  }

 private:
  Connection& db_;
};

}  // namespace

std::unique_ptr<BuildRepository> make_build_repository(Connection& db) {
  return std::make_unique<Builds>(db);
}

}  // namespace formation::sqlite

// Builds.
#include "paging.hpp"
#include "repositories.hpp"

namespace formation::postgres {
namespace {

constexpr const char* kCols =
    "build_id, owner, name, state, reason, manifest_json, seed_iso, context_tarball, "
    "base_image, node_id, created_at, updated_at, version";

Build read_build(const pqxx::row& r) {
  Build b;
  b.build_id = text(r[0]);
  b.owner = text(r[1]);
  b.name = text(r[2]);
  b.state = parse_build_state(text(r[3])).value_or(BuildState::failed);
  b.reason = text(r[4]);
  b.manifest_json = text(r[5]);
  b.artifacts.seed_iso = text(r[6]);
  b.artifacts.context_tarball = text(r[7]);
  b.artifacts.base_image = text(r[8]);
  b.node_id = text(r[9]);
  b.created_at = time(r[10]);
  b.updated_at = time(r[11]);
  b.version = i64(r[12]);
  return b;
}

}  // namespace

Result<Build> PgBuilds::get(const std::string& build_id) {
  return guarded(ctx_, [&]() -> Result<Build> {
    Params p;
    auto r = exec(
        *ctx_.work,
        std::string("SELECT ") + kCols + " FROM builds WHERE build_id = " + p.add(build_id), p);
    if (r.empty()) return Status::not_found("no build " + build_id);
    return read_build(r[0]);
  });
}

Result<Page<Build>> PgBuilds::list(const std::optional<std::string>& owner,
                                   const PageRequest& page) {
  ListQuery q;
  q.scope = "builds";
  q.select = std::string("SELECT ") + kCols + " FROM builds";
  if (owner) q.where.push_back("owner = " + q.params.add(*owner));
  q.key = {{"build_id"}};
  return list_page<Build>(ctx_, std::move(q), page, read_build,
                          [](const Build& b) { return std::vector{b.build_id}; });
}

Result<Build> PgBuilds::create(const Build& b) {
  return guarded(ctx_, [&]() -> Result<Build> {
    Params p;
    auto t = now();
    auto sql = std::string("INSERT INTO builds (") + kCols + ") VALUES (" + p.add(b.build_id) +
               ", " + p.add(b.owner) + ", " + p.add(b.name) + ", " +
               p.add(std::string(to_string(b.state))) + ", " + p.add(b.reason) + ", " +
               p.add(b.manifest_json) + ", " + p.add(b.artifacts.seed_iso) + ", " +
               p.add(b.artifacts.context_tarball) + ", " + p.add(b.artifacts.base_image) + ", " +
               p.add(b.node_id) + ", " + p.add(t) + ", " + p.add(t) +
               ", 1) ON CONFLICT DO NOTHING RETURNING " + kCols;
    auto r = exec(*ctx_.work, sql, p);
    if (r.empty()) return Status::conflict("build " + b.build_id + " already exists");
    return read_build(r[0]);
  });
}

Result<Build> PgBuilds::update(const Build& b) {
  return guarded(ctx_, [&]() -> Result<Build> {
    Params p;
    auto sql = "UPDATE builds SET owner = " + p.add(b.owner) + ", name = " + p.add(b.name) +
               ", state = " + p.add(std::string(to_string(b.state))) +
               ", reason = " + p.add(b.reason) + ", manifest_json = " + p.add(b.manifest_json) +
               ", seed_iso = " + p.add(b.artifacts.seed_iso) +
               ", context_tarball = " + p.add(b.artifacts.context_tarball) +
               ", base_image = " + p.add(b.artifacts.base_image) +
               ", node_id = " + p.add(b.node_id) + ", updated_at = " + p.add(now()) +
               ", version = version + 1 WHERE build_id = " + p.add(b.build_id) +
               " AND version = " + p.add(b.version) + " RETURNING " + kCols;
    auto r = exec(*ctx_.work, sql, p);
    if (!r.empty()) return read_build(r[0]);
    Params q;
    auto found =
        exec(*ctx_.work, "SELECT version FROM builds WHERE build_id = " + q.add(b.build_id), q);
    if (found.empty()) return Status::not_found("no build " + b.build_id);
    return Status::conflict("build " + b.build_id + " is at version " + text(found[0][0]) +
                            ", not " + std::to_string(b.version));
  });
}

Status PgBuilds::remove(const std::string& build_id) {
  return guarded(ctx_, [&]() -> Status {
    Params p;
    auto r = exec(*ctx_.work, "DELETE FROM builds WHERE build_id = " + p.add(build_id), p);
    if (r.affected_rows() == 0) return Status::not_found("no build " + build_id);
    return Status::ok();
  });
}

}  // namespace formation::postgres

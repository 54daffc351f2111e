// Operations: the progress of slow work.
#include "paging.hpp"
#include "repositories.hpp"

namespace formation::postgres {
namespace {

constexpr const char* kCols =
    "id, kind, target_id, owner, state, progress, message, result_json, error_code, "
    "error_message, created_at, updated_at, version";

Operation read_operation(const pqxx::row& r) {
  Operation o;
  o.id = text(r[0]);
  o.kind = text(r[1]);
  o.target_id = text(r[2]);
  o.owner = text(r[3]);
  o.state = parse_operation_state(text(r[4])).value_or(OperationState::failed);
  o.progress = static_cast<int>(i64(r[5]));
  o.message = text(r[6]);
  o.result_json = text(r[7]);
  o.error_code = parse_status_code(text(r[8])).value_or(StatusCode::internal);
  o.error_message = text(r[9]);
  o.created_at = time(r[10]);
  o.updated_at = time(r[11]);
  o.version = i64(r[12]);
  return o;
}

std::string name(OperationState s) { return std::string(to_string(s)); }
std::string name(StatusCode c) { return std::string(to_string(c)); }

}  // namespace

Result<Operation> PgOperations::get(const std::string& id) {
  return guarded(ctx_, [&]() -> Result<Operation> {
    Params p;
    auto r = exec(*ctx_.work,
                  std::string("SELECT ") + kCols + " FROM operations WHERE id = " + p.add(id), p);
    if (r.empty()) return Status::not_found("no operation " + id);
    return read_operation(r[0]);
  });
}

Result<Page<Operation>> PgOperations::list(const OperationFilter& filter, const PageRequest& page) {
  ListQuery q;
  q.scope = "operations";
  q.select = std::string("SELECT ") + kCols + " FROM operations";
  if (filter.owner) q.where.push_back("owner = " + q.params.add(*filter.owner));
  if (filter.target_id) q.where.push_back("target_id = " + q.params.add(*filter.target_id));
  if (filter.state) q.where.push_back("state = " + q.params.add(name(*filter.state)));
  q.key = {{"id"}};
  return list_page<Operation>(ctx_, std::move(q), page, read_operation,
                              [](const Operation& o) { return std::vector{o.id}; });
}

Result<Operation> PgOperations::create(const Operation& o) {
  return guarded(ctx_, [&]() -> Result<Operation> {
    Params p;
    auto t = now();
    auto sql = std::string("INSERT INTO operations (") + kCols + ") VALUES (" + p.add(o.id) + ", " +
               p.add(o.kind) + ", " + p.add(o.target_id) + ", " + p.add(o.owner) + ", " +
               p.add(name(o.state)) + ", " + p.add(o.progress) + ", " + p.add(o.message) + ", " +
               p.add(o.result_json) + ", " + p.add(name(o.error_code)) + ", " +
               p.add(o.error_message) + ", " + p.add(t) + ", " + p.add(t) +
               ", 1) ON CONFLICT DO NOTHING RETURNING " + kCols;
    auto r = exec(*ctx_.work, sql, p);
    if (r.empty()) return Status::conflict("operation " + o.id + " already exists");
    return read_operation(r[0]);
  });
}

Result<Operation> PgOperations::update(const Operation& o) {
  return guarded(ctx_, [&]() -> Result<Operation> {
    Params p;
    auto sql = "UPDATE operations SET kind = " + p.add(o.kind) +
               ", target_id = " + p.add(o.target_id) + ", owner = " + p.add(o.owner) +
               ", state = " + p.add(name(o.state)) + ", progress = " + p.add(o.progress) +
               ", message = " + p.add(o.message) + ", result_json = " + p.add(o.result_json) +
               ", error_code = " + p.add(name(o.error_code)) +
               ", error_message = " + p.add(o.error_message) + ", updated_at = " + p.add(now()) +
               ", version = version + 1 WHERE id = " + p.add(o.id) +
               " AND version = " + p.add(o.version) + " RETURNING " + kCols;
    auto r = exec(*ctx_.work, sql, p);
    if (!r.empty()) return read_operation(r[0]);
    Params q;
    auto found = exec(*ctx_.work, "SELECT version FROM operations WHERE id = " + q.add(o.id), q);
    if (found.empty()) return Status::not_found("no operation " + o.id);
    return Status::conflict("operation " + o.id + " is at version " + text(found[0][0]) + ", not " +
                            std::to_string(o.version));
  });
}

Result<std::int64_t> PgOperations::purge_finished(TimePoint before) {
  return guarded(ctx_, [&]() -> Result<std::int64_t> {
    Params p;
    auto r =
        exec(*ctx_.work,
             "DELETE FROM operations WHERE state IN ('succeeded', 'failed') AND updated_at < " +
                 p.add(before),
             p);
    return static_cast<std::int64_t>(r.affected_rows());
  });
}

}  // namespace formation::postgres

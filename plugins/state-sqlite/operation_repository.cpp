// Operations: the progress of slow work.
#include "paging.hpp"
#include "repositories.hpp"

namespace formation::sqlite {
namespace {

constexpr std::string_view kColumns =
    "SELECT id, kind, target_id, owner, state, progress, message, result_json, error_code, "
    "error_message, created_at, updated_at, version FROM operations";

Operation read_operation(const Row& r) {
  Operation o;
  o.id = r.text(0);
  o.kind = r.text(1);
  o.target_id = r.text(2);
  o.owner = r.text(3);
  o.state = parse_operation_state(r.text(4)).value_or(OperationState::failed);
  o.progress = static_cast<int>(r.i64(5));
  o.message = r.text(6);
  o.result_json = r.text(7);
  o.error_code = parse_status_code(r.text(8)).value_or(StatusCode::internal);
  o.error_message = r.text(9);
  o.created_at = r.time(10);
  o.updated_at = r.time(11);
  o.version = r.i64(12);
  return o;
}

class Operations final : public OperationRepository {
 public:
  explicit Operations(Connection& db) : db_(db) {}

  Result<Operation> get(const std::string& id) override {
    auto row = db_.one<Operation>(std::string(kColumns) + " WHERE id = ?", {id}, read_operation);
    if (!row.is_ok()) return row.status();
    if (!*row) return Status::not_found("operation " + id + " does not exist");
    return std::move(**row);
  }

  Result<Page<Operation>> list(const OperationFilter& f, const PageRequest& page) override {
    ListQuery q{.scope = "operations", .select = std::string(kColumns), .key = {{"id"}}};
    if (f.owner) {
      q.where.emplace_back("owner = ?");
      q.args.emplace_back(*f.owner);
    }
    if (f.target_id) {
      q.where.emplace_back("target_id = ?");
      q.args.emplace_back(*f.target_id);
    }
    if (f.state) {
      q.where.emplace_back("state = ?");
      q.args.emplace_back(to_string(*f.state));
    }
    return list_page<Operation>(db_, q, page, read_operation,
                                [](const Operation& o) { return std::vector{o.id}; });
  }

  Result<Operation> create(const Operation& o) override {
    auto t = now();
    auto done = db_.run(
        "INSERT INTO operations (id, kind, target_id, owner, state, progress, message, "
        "result_json, error_code, error_message, created_at, updated_at, version) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
        {o.id, o.kind, o.target_id, o.owner, to_string(o.state), o.progress, o.message,
         o.result_json, to_string(o.error_code), o.error_message, t, t});
    if (!done.is_ok()) {
      if (done.status().code() == StatusCode::conflict) {
        return Status::conflict("operation " + o.id + " already exists");
      }
      return done.status();
    }
    return get(o.id);
  }

  Result<Operation> update(const Operation& o) override {
    auto done = db_.run(
        "UPDATE operations SET kind = ?, target_id = ?, owner = ?, state = ?, progress = ?, "
        "message = ?, result_json = ?, error_code = ?, error_message = ?, updated_at = ?, "
        "version = version + 1 WHERE id = ? AND version = ?",
        {o.kind, o.target_id, o.owner, to_string(o.state), o.progress, o.message, o.result_json,
         to_string(o.error_code), o.error_message, now(), o.id, o.version});
    if (!done.is_ok()) return done.status();
    if (*done == 0) {
      return cas_failure(db_, "operation " + o.id, "operations", "id = ?", {o.id}, o.version);
    }
    return get(o.id);
  }

  Result<std::int64_t> purge_finished(TimePoint before) override {
    return db_.run(
        "DELETE FROM operations WHERE state IN ('succeeded', 'failed') AND updated_at < ?",
        {before});
  }

 private:
  Connection& db_;
};

}  // namespace

std::unique_ptr<OperationRepository> make_operation_repository(Connection& db) {
  return std::make_unique<Operations>(db);
}

}  // namespace formation::sqlite

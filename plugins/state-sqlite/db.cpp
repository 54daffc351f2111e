#include "db.hpp"

#include <memory>
#include <string>

namespace formation::sqlite {

std::int64_t to_ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TimePoint from_ms(std::int64_t ms) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::milliseconds(ms)));
}

TimePoint now() { return from_ms(to_ms(std::chrono::system_clock::now())); }

bool Row::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
std::int64_t Row::i64(int col) const { return sqlite3_column_int64(stmt_, col); }
double Row::real(int col) const { return sqlite3_column_double(stmt_, col); }

std::string Row::text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  if (p == nullptr) return {};
  return {reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, col))};
}

std::optional<std::string> Row::opt_text(int col) const {
  if (is_null(col)) return std::nullopt;
  return text(col);
}

Status status_from(int rc, sqlite3* db, std::string_view what) {
  std::string message = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Status::unavailable(message + " (database is busy)");
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return Status::conflict(message);
      }
      return Status::invalid(message);
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM: return Status::unavailable(message);
    default: return Status::internal(message);
  }
}

namespace {

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

int bind_all(sqlite3_stmt* stmt, const Values& args) {
  int index = 1;
  for (const auto& v : args) {
    int rc = SQLITE_OK;
    switch (v.type()) {
      case Value::Type::null: rc = sqlite3_bind_null(stmt, index); break;
      case Value::Type::integer: rc = sqlite3_bind_int64(stmt, index, v.integer()); break;
      case Value::Type::real: rc = sqlite3_bind_double(stmt, index, v.real()); break;
      case Value::Type::text:
        rc = sqlite3_bind_text(stmt, index, v.text().data(), static_cast<int>(v.text().size()),
                               SQLITE_TRANSIENT);
        break;
    }
    if (rc != SQLITE_OK) return rc;
    ++index;
  }
  return SQLITE_OK;
}

}  // namespace

Result<std::unique_ptr<Connection>> Connection::open(const ConnectionOptions& options) {
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(options.path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Status st = status_from(rc, db, "opening " + options.path.string());
    sqlite3_close(db);
    return Status::unavailable(st.message());
  }
  std::unique_ptr<Connection> conn(new Connection(db));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, static_cast<int>(options.busy_timeout.count()));
  // journal_mode answers a row, so it goes through query().
  std::string mode;
  auto st = conn->query("PRAGMA journal_mode=WAL", {}, [&](const Row& r) { mode = r.text(0); });
  if (!st.is_ok()) return st;
  if (mode != "wal")
    return Status::unavailable("could not switch " + options.path.string() +
                               " to WAL (journal_mode is " + mode + ")");
  st = conn->exec("PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;");
  if (!st.is_ok()) return st;
  return conn;
}

Connection::~Connection() { sqlite3_close_v2(db_); }

Status Connection::exec(std::string_view sql) {
  std::string text(sql);
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return status_from(rc, db_, "exec");
  return Status::ok();
}

Status Connection::query(std::string_view sql, const Values& args,
                         const std::function<void(const Row&)>& on_row) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return status_from(rc, db_, "prepare");
  rc = bind_all(stmt.get(), args);
  if (rc != SQLITE_OK) return status_from(rc, db_, "bind");
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    if (on_row) on_row(Row(stmt.get()));
  }
  if (rc != SQLITE_DONE) return status_from(rc, db_, "step");
  return Status::ok();
}

Result<std::int64_t> Connection::run(std::string_view sql, const Values& args) {
  auto st = query(sql, args, nullptr);
  if (!st.is_ok()) return st;
  return static_cast<std::int64_t>(sqlite3_changes64(db_));
}

Result<std::optional<std::int64_t>> Connection::scalar(std::string_view sql, const Values& args) {
  std::optional<std::int64_t> out;
  auto st = query(sql, args, [&](const Row& r) {
    if (!out && !r.is_null(0)) out = r.i64(0);
  });
  if (!st.is_ok()) return st;
  return out;
}

}  // namespace formation::sqlite

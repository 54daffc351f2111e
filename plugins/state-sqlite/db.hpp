// The thin layer over the SQLite C API used by every repository: one Connection per open
// database handle, bound values, row access, and the mapping of SQLite result codes to
// formation::Status (busy -> unavailable, unique violation -> conflict).
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <formation/records/common.hpp>
#include <formation/status.hpp>

namespace formation::sqlite {

// Timestamps are stored as integer unix milliseconds.
std::int64_t to_ms(TimePoint t);
TimePoint from_ms(std::int64_t ms);
// The current time, truncated to what the database keeps.
TimePoint now();

// One value bound to a `?` placeholder.
class Value {
 public:
  enum class Type { null, integer, real, text };
  Value() = default;
  Value(std::nullptr_t) {}                                       // NOLINT
  Value(int v) : type_(Type::integer), i_(v) {}                  // NOLINT
  Value(std::int64_t v) : type_(Type::integer), i_(v) {}         // NOLINT
  Value(bool v) : type_(Type::integer), i_(v ? 1 : 0) {}         // NOLINT
  Value(double v) : type_(Type::real), d_(v) {}                  // NOLINT
  Value(TimePoint v) : type_(Type::integer), i_(to_ms(v)) {}     // NOLINT
  Value(std::string v) : type_(Type::text), s_(std::move(v)) {}  // NOLINT
  Value(std::string_view v) : type_(Type::text), s_(v) {}        // NOLINT
  Value(const char* v) : type_(Type::text), s_(v) {}             // NOLINT
  Value(const std::optional<std::string>& v) {                   // NOLINT
    if (v) {
      type_ = Type::text;
      s_ = *v;
    }
  }
  Value(const std::optional<TimePoint>& v) {  // NOLINT
    if (v) {
      type_ = Type::integer;
      i_ = to_ms(*v);
    }
  }

  [[nodiscard]] Type type() const { return type_; }
  [[nodiscard]] std::int64_t integer() const { return i_; }
  [[nodiscard]] double real() const { return d_; }
  [[nodiscard]] const std::string& text() const { return s_; }

 private:
  Type type_ = Type::null;
  std::int64_t i_ = 0;
  double d_ = 0;
  std::string s_;
};

using Values = std::vector<Value>;

// The current row of a query, read by column index.
class Row {
 public:
  explicit Row(sqlite3_stmt* stmt) : stmt_(stmt) {}
  [[nodiscard]] bool is_null(int col) const;
  [[nodiscard]] std::int64_t i64(int col) const;
  [[nodiscard]] double real(int col) const;
  [[nodiscard]] std::string text(int col) const;
  [[nodiscard]] std::optional<std::string> opt_text(int col) const;
  [[nodiscard]] TimePoint time(int col) const { return from_ms(i64(col)); }

 private:
  sqlite3_stmt* stmt_;
};

// Maps a SQLite result code to a Status; `what` says what was being done.
Status status_from(int rc, sqlite3* db, std::string_view what);

struct ConnectionOptions {
  std::filesystem::path path;
  std::chrono::milliseconds busy_timeout{5000};
};

// One database handle: WAL, busy timeout and foreign keys are set when it opens. Not
// thread-safe; a Connection belongs to one transaction at a time.
class Connection {
 public:
  static Result<std::unique_ptr<Connection>> open(const ConnectionOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs SQL text without parameters (may hold several statements).
  Status exec(std::string_view sql);
  // Runs one statement; returns the number of rows it changed.
  Result<std::int64_t> run(std::string_view sql, const Values& args = {});
  // Runs one query and calls `on_row` for every row.
  Status query(std::string_view sql, const Values& args,
               const std::function<void(const Row&)>& on_row);
  // One row or nullopt; `read` turns it into a T.
  template <typename T>
  Result<std::optional<T>> one(std::string_view sql, const Values& args,
                               const std::function<T(const Row&)>& read) {
    std::optional<T> out;
    auto st = query(sql, args, [&](const Row& row) {
      if (!out) out = read(row);
    });
    if (!st.is_ok()) return st;
    return out;
  }
  // A single integer (COUNT, MAX, PRAGMA); nullopt when no row or NULL.
  Result<std::optional<std::int64_t>> scalar(std::string_view sql, const Values& args = {});

  [[nodiscard]] sqlite3* handle() const { return db_; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

}  // namespace formation::sqlite

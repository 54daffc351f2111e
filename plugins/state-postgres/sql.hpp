// The thin layer over libpqxx used by every repository: bound parameters (with NULL),
// field decoding, time and array encoding, and the mapping of libpqxx exceptions to
// formation::Status (unique violation / serialization failure -> conflict, lost connection
// or statement timeout -> unavailable).
#pragma once

#include <pqxx/pqxx>

#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include <formation/records/common.hpp>
#include <formation/status.hpp>

namespace formation::postgres {

// Timestamps are stored as integer unix milliseconds (as state-sqlite does).
std::int64_t to_ms(TimePoint t);
TimePoint from_ms(std::int64_t ms);
// The current time, truncated to what the database keeps.
TimePoint now();

// One bound parameter: text, or NULL.
struct Param {
  std::optional<std::string> text;
};

// The parameters of one statement; add() returns the placeholder to write in the SQL.
class Params {
 public:
  std::string add(std::string v);
  std::string add(const char* v) { return add(std::string(v)); }
  std::string add(std::int64_t v);
  std::string add(int v) { return add(static_cast<std::int64_t>(v)); }
  std::string add(bool v);
  std::string add(double v);
  std::string add(TimePoint v) { return add(to_ms(v)); }
  std::string add(const std::optional<std::string>& v);
  std::string add(const std::optional<TimePoint>& v);
  std::string add_null();
  std::string add_array(const std::vector<std::string>& v);   // text[]
  std::string add_array(const std::vector<std::int64_t>& v);  // bigint[]

  [[nodiscard]] const std::vector<Param>& values() const { return values_; }

 private:
  std::string next(std::optional<std::string> text, const char* cast);
  std::vector<Param> values_;
};

pqxx::result exec(pqxx::work& work, const std::string& sql, const Params& params);
inline pqxx::result exec(pqxx::work& work, const std::string& sql) {
  return exec(work, sql, Params{});
}

// Field decoding (NULL reads as empty / zero / nullopt).
std::string text(const pqxx::field& f);
std::optional<std::string> opt_text(const pqxx::field& f);
std::int64_t i64(const pqxx::field& f);
double f64(const pqxx::field& f);
bool boolean(const pqxx::field& f);
TimePoint time(const pqxx::field& f);
std::vector<std::string> text_array(const pqxx::field& f);
std::vector<std::int64_t> i64_array(const pqxx::field& f);

// What one open transaction shares with its repositories.
struct TxnContext {
  pqxx::work* work = nullptr;  // null once the transaction ended
  bool broken = false;         // the connection was lost: do not pool it again
};

// The Status for the exception being handled; sets ctx.broken when the connection is gone.
Status current_exception_status(bool& broken);

// Runs `f` (returning Status or Result<T>) on the transaction's connection, turning every
// exception into a Status.
template <typename F>
auto guarded(TxnContext& ctx, F&& f) -> decltype(f()) {
  if (ctx.work == nullptr) return Status::invalid("the transaction has already ended");
  try {
    return f();
  } catch (...) {
    return current_exception_status(ctx.broken);
  }
}

}  // namespace formation::postgres

namespace pqxx {
template <>
struct string_traits<formation::postgres::Param> {
  static constexpr const char* name() noexcept { return "formation::postgres::Param"; }
  static constexpr bool has_null() noexcept { return true; }
  static bool is_null(const formation::postgres::Param& p) { return !p.text.has_value(); }
  static formation::postgres::Param null() { return {}; }
  static void from_string(const char* str, formation::postgres::Param& p) { p.text = str; }
  static std::string to_string(const formation::postgres::Param& p) { return p.text.value_or(""); }
};
}  // namespace pqxx

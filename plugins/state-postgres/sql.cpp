#include "sql.hpp"

#include <array>
#include <charconv>
#include <cstdio>

namespace formation::postgres {

std::int64_t to_ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TimePoint from_ms(std::int64_t ms) { return TimePoint{std::chrono::milliseconds(ms)}; }

TimePoint now() { return from_ms(to_ms(std::chrono::system_clock::now())); }

std::string Params::next(std::optional<std::string> text, const char* cast) {
  values_.push_back(Param{std::move(text)});
  return "$" + std::to_string(values_.size()) + "::" + cast;
}

std::string Params::add(std::string v) { return next(std::move(v), "text"); }
std::string Params::add(std::int64_t v) { return next(std::to_string(v), "bigint"); }
std::string Params::add(bool v) { return next(v ? "t" : "f", "boolean"); }
std::string Params::add(double v) {
  std::array<char, 64> buffer{};
  auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), v);
  return next(std::string(buffer.data(), end), "double precision");
}
std::string Params::add(const std::optional<std::string>& v) { return next(v, "text"); }
std::string Params::add(const std::optional<TimePoint>& v) {
  return v ? add(*v) : next(std::nullopt, "bigint");
}
std::string Params::add_null() { return next(std::nullopt, "text"); }

std::string Params::add_array(const std::vector<std::string>& v) {
  std::string literal = "{";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i > 0) literal += ',';
    literal += '"';
    for (char c : v[i]) {
      if (c == '"' || c == '\\') literal += '\\';
      literal += c;
    }
    literal += '"';
  }
  literal += '}';
  return next(std::move(literal), "text[]");
}

std::string Params::add_array(const std::vector<std::int64_t>& v) {
  std::string literal = "{";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i > 0) literal += ',';
    literal += std::to_string(v[i]);
  }
  literal += '}';
  return next(std::move(literal), "bigint[]");
}

pqxx::result exec(pqxx::work& work, const std::string& sql, const Params& params) {
  return work.exec_params(sql, pqxx::prepare::make_dynamic_params(params.values()));
}

std::string text(const pqxx::field& f) { return f.is_null() ? std::string{} : f.c_str(); }

std::optional<std::string> opt_text(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return std::string(f.c_str());
}

std::int64_t i64(const pqxx::field& f) { return f.is_null() ? 0 : f.as<std::int64_t>(); }
double f64(const pqxx::field& f) { return f.is_null() ? 0.0 : f.as<double>(); }
bool boolean(const pqxx::field& f) { return !f.is_null() && f.as<bool>(); }
TimePoint time(const pqxx::field& f) { return from_ms(i64(f)); }

std::vector<std::string> text_array(const pqxx::field& f) {
  std::vector<std::string> out;
  if (f.is_null()) return out;
  auto parser = f.as_array();
  for (auto item = parser.get_next(); item.first != pqxx::array_parser::done;
       item = parser.get_next()) {
    if (item.first == pqxx::array_parser::string_value) out.push_back(item.second);
  }
  return out;
}

std::vector<std::int64_t> i64_array(const pqxx::field& f) {
  std::vector<std::int64_t> out;
  for (const auto& s : text_array(f)) out.push_back(std::stoll(s));
  return out;
}

Status current_exception_status(bool& broken) {
  try {
    throw;
  } catch (const pqxx::broken_connection& e) {
    broken = true;
    return Status::unavailable(std::string("lost the connection to PostgreSQL: ") + e.what());
  } catch (const pqxx::in_doubt_error& e) {
    broken = true;
    return Status::unavailable(std::string("commit outcome unknown: ") + e.what());
  } catch (const pqxx::statement_completion_unknown& e) {
    broken = true;
    return Status::unavailable(std::string("statement outcome unknown: ") + e.what());
  } catch (const pqxx::transaction_rollback& e) {
    return Status::conflict(std::string("concurrent transaction won; retry: ") + e.what());
  } catch (const pqxx::sql_error& e) {
    const auto& state = e.sqlstate();
    if (state == "23505") return Status::conflict(std::string("already exists: ") + e.what());
    if (state == "40001" || state == "40P01") {
      return Status::conflict(std::string("concurrent transaction won; retry: ") + e.what());
    }
    if (state == "57014") return Status::unavailable("statement timed out");
    if (state.starts_with("08") || state.starts_with("57P")) {
      broken = true;
      return Status::unavailable(std::string("PostgreSQL unavailable: ") + e.what());
    }
    return Status::internal(std::string("PostgreSQL error ") + state + ": " + e.what());
  } catch (const std::exception& e) {
    return Status::internal(e.what());
  } catch (...) {
    return Status::internal("unknown exception");
  }
}

}  // namespace formation::postgres

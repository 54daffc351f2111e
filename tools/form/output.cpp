#include "output.hpp"

#include <algorithm>
#include <cctype>
#include <ostream>

namespace form {

void Table::print(std::ostream& out) const {
  std::vector<std::size_t> widths;
  auto measure = [&](const std::vector<std::string>& row) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  };
  std::vector<std::string> header_row;
  for (const auto& h : headers_) {
    std::string upper = h;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    header_row.push_back(std::move(upper));
  }
  measure(header_row);
  for (const auto& row : rows_) measure(row);

  auto emit = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  };
  if (!header_row.empty()) emit(header_row);
  for (const auto& row : rows_) emit(row);
}

std::string format_duration(std::int64_t seconds) {
  if (seconds < 0) seconds = 0;
  const std::int64_t d = seconds / 86400, h = seconds % 86400 / 3600, m = seconds % 3600 / 60,
                     s = seconds % 60;
  auto part = [](std::int64_t v, const char* unit) { return std::to_string(v) + unit; };
  if (d > 0) return part(d, "d") + " " + part(h, "h");
  if (h > 0) return part(h, "h") + " " + part(m, "m");
  if (m > 0) return part(m, "m") + " " + part(s, "s");
  return part(s, "s");
}

void print_raw_json(std::ostream& out, std::string_view body) {
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
  out << body << '\n';
}

}  // namespace form

// Output helpers shared by the commands: aligned tables and raw JSON pass-through.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace form {

// Columns separated by two spaces, each as wide as its widest cell; the last column is not
// padded. Headers are printed upper case; no header line when `headers` is empty.
class Table {
 public:
  explicit Table(std::vector<std::string> headers = {}) : headers_(std::move(headers)) {}
  void add_row(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }
  void print(std::ostream& out) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// "45s", "3m 12s", "5h 2m", "2d 3h".
std::string format_duration(std::int64_t seconds);

// Writes a JSON body as the server sent it, ending with exactly one newline.
void print_raw_json(std::ostream& out, std::string_view body);

}  // namespace form

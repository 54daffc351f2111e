#include "paging.hpp"

#include <algorithm>
#include <charconv>

namespace formation::sqlite {

namespace {
constexpr std::string_view kPrefix = "p1.";
constexpr char kSeparator = '\x1f';
constexpr std::string_view kHex = "0123456789abcdef";
}  // namespace

std::optional<std::int64_t> parse_i64(std::string_view text) {
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return value;
}

Result<std::int64_t> page_limit(const PageRequest& page) {
  if (page.limit < 0) return Status::invalid("limit must not be negative");
  if (page.limit == 0) return std::int64_t{100};
  return std::min<std::int64_t>(page.limit, 1000);
}

std::string make_page_token(std::string_view scope, const std::vector<std::string>& key) {
  std::string plain(scope);
  for (const auto& part : key) {
    plain += kSeparator;
    plain += part;
  }
  std::string out(kPrefix);
  for (unsigned char c : plain) {
    out += kHex[c >> 4];
    out += kHex[c & 0xf];
  }
  return out;
}

Result<std::vector<std::string>> parse_page_token(std::string_view scope, std::string_view token,
                                                  std::size_t parts) {
  auto bad = [] { return Status::invalid("page_token was not issued by this list"); };
  if (!token.starts_with(kPrefix)) return bad();
  token.remove_prefix(kPrefix.size());
  if (token.size() % 2 != 0) return bad();
  std::string plain;
  for (std::size_t i = 0; i < token.size(); i += 2) {
    auto hi = kHex.find(token[i]);
    auto lo = kHex.find(token[i + 1]);
    if (hi == std::string_view::npos || lo == std::string_view::npos) return bad();
    plain += static_cast<char>((hi << 4) | lo);
  }
  std::vector<std::string> fields;
  std::size_t start = 0;
  while (true) {
    auto end = plain.find(kSeparator, start);
    fields.push_back(plain.substr(start, end == std::string::npos ? end : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (fields.size() != parts + 1 || fields.front() != scope) return bad();
  fields.erase(fields.begin());
  return fields;
}

}  // namespace formation::sqlite

#include "paging.hpp"

#include <charconv>

namespace formation::postgres {
namespace {

constexpr char kSeparator = '\x1f';
constexpr std::string_view kHex = "0123456789abcdef";

std::string hex(std::string_view in) {
  std::string out;
  out.reserve(in.size() * 2);
  for (unsigned char c : in) {
    out += kHex[c >> 4U];
    out += kHex[c & 0x0fU];
  }
  return out;
}

bool unhex(std::string_view in, std::string& out) {
  if (in.size() % 2 != 0) return false;
  for (std::size_t i = 0; i < in.size(); i += 2) {
    auto hi = kHex.find(in[i]);
    auto lo = kHex.find(in[i + 1]);
    if (hi == std::string_view::npos || lo == std::string_view::npos) return false;
    out += static_cast<char>((hi << 4U) | lo);
  }
  return true;
}

bool is_integer(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc{} && end == text.data() + text.size();
}

}  // namespace

Result<std::int64_t> page_limit(const PageRequest& page) {
  if (page.limit < 0) return Status::invalid("limit must not be negative");
  if (page.limit == 0) return std::int64_t{100};
  return std::min<std::int64_t>(page.limit, 1000);
}

std::string make_page_token(std::string_view scope, const std::vector<std::string>& key) {
  std::string plain(scope);
  for (const auto& part : key) plain += kSeparator + part;
  return "p1" + hex(plain);
}

Result<std::vector<std::string>> parse_page_token(std::string_view scope, std::string_view token,
                                                  std::size_t parts) {
  auto bad = Status::invalid("page_token was not issued by this list");
  std::string plain;
  if (!token.starts_with("p1") || !unhex(token.substr(2), plain)) return bad;
  std::vector<std::string> fields;
  std::size_t start = 0;
  for (;;) {
    auto end = plain.find(kSeparator, start);
    fields.push_back(plain.substr(start, end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (fields.size() != parts + 1 || fields.front() != scope) return bad;
  fields.erase(fields.begin());
  return fields;
}

Result<std::string> page_sql(ListQuery& q, const PageRequest& request, std::int64_t& limit) {
  auto effective = page_limit(request);
  if (!effective.is_ok()) return effective.status();
  limit = *effective;
  if (!request.page_token.empty()) {
    auto key = parse_page_token(q.scope, request.page_token, q.key.size());
    if (!key.is_ok()) return key.status();
    std::string cols;
    std::string marks;
    for (std::size_t i = 0; i < q.key.size(); ++i) {
      cols += (i ? ", " : "") + q.key[i].column;
      if (q.key[i].integer) {
        if (!is_integer((*key)[i]))
          return Status::invalid("page_token was not issued by this list");
        marks += (i ? ", " : "") + q.params.add(static_cast<std::int64_t>(std::stoll((*key)[i])));
      } else {
        marks += (i ? ", " : "") + q.params.add((*key)[i]);
      }
    }
    q.where.push_back("(" + cols + ") " + (q.descending ? "<" : ">") + " (" + marks + ")");
  }
  std::string sql = q.select;
  for (std::size_t i = 0; i < q.where.size(); ++i) sql += (i ? " AND " : " WHERE ") + q.where[i];
  sql += " ORDER BY ";
  for (std::size_t i = 0; i < q.key.size(); ++i) {
    sql += (i ? ", " : "") + q.key[i].column + (q.descending ? " DESC" : "");
  }
  sql += " LIMIT " + q.params.add(limit + 1);
  return sql;
}

}  // namespace formation::postgres

// Stable keyset pagination shared by every list: items are ordered by a unique key, and the
// opaque page token encodes the last key returned (never an OFFSET).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db.hpp"

namespace formation::sqlite {

// The effective limit of a request: 0 -> 100, clamped to 1000, negative -> invalid.
Result<std::int64_t> page_limit(const PageRequest& page);

// The opaque token of a position in list `scope` ("accounts", ...); the key's parts as text.
std::string make_page_token(std::string_view scope, const std::vector<std::string>& key);
// The key a token holds; invalid when the token was not issued for `scope`.
Result<std::vector<std::string>> parse_page_token(std::string_view scope, std::string_view token,
                                                  std::size_t parts);

// A decimal integer, or nullopt.
std::optional<std::int64_t> parse_i64(std::string_view text);

struct KeyColumn {
  std::string column;    // as written in SQL
  bool integer = false;  // bound as an integer instead of text
};

// One list query: SELECT `select` FROM ... `where` (AND-ed, may be empty) ORDER BY the key.
struct ListQuery {
  std::string scope;
  std::string select;  // "SELECT a, b FROM t"
  std::vector<std::string> where;
  Values args;
  std::vector<KeyColumn> key;
  bool descending = false;
};

template <typename T>
Result<Page<T>> list_page(Connection& db, ListQuery q, const PageRequest& request,
                          const std::function<T(const Row&)>& read,
                          const std::function<std::vector<std::string>(const T&)>& key_of) {
  auto limit = page_limit(request);
  if (!limit.is_ok()) return limit.status();
  if (!request.page_token.empty()) {
    auto key = parse_page_token(q.scope, request.page_token, q.key.size());
    if (!key.is_ok()) return key.status();
    std::string cols;
    std::string marks;
    for (std::size_t i = 0; i < q.key.size(); ++i) {
      cols += (i ? ", " : "") + q.key[i].column;
      marks += i ? ", ?" : "?";
      if (q.key[i].integer) {
        auto number = parse_i64((*key)[i]);
        if (!number) return Status::invalid("page_token was not issued by this list");
        q.args.emplace_back(*number);
      } else {
        q.args.emplace_back((*key)[i]);
      }
    }
    q.where.push_back("(" + cols + ") " + (q.descending ? "<" : ">") + " (" + marks + ")");
  }
  std::string sql = q.select;
  for (std::size_t i = 0; i < q.where.size(); ++i) {
    sql += (i ? " AND " : " WHERE ") + q.where[i];
  }
  sql += " ORDER BY ";
  for (std::size_t i = 0; i < q.key.size(); ++i) {
    sql += (i ? ", " : "") + q.key[i].column + (q.descending ? " DESC" : "");
  }
  sql += " LIMIT ?";
  q.args.emplace_back(*limit + 1);
  Page<T> page;
  auto st = db.query(sql, q.args, [&](const Row& row) { page.items.push_back(read(row)); });
  if (!st.is_ok()) return st;
  if (static_cast<std::int64_t>(page.items.size()) > *limit) {
    page.items.resize(static_cast<std::size_t>(*limit));
    page.next_page_token = make_page_token(q.scope, key_of(page.items.back()));
  }
  return page;
}

}  // namespace formation::sqlite

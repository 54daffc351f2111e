// Stable keyset pagination shared by every list: items are ordered by a unique key, and the
// opaque page token encodes the last key returned (never an OFFSET).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "sql.hpp"

namespace formation::postgres {

// The effective limit of a request: 0 -> 100, clamped to 1000, negative -> invalid.
Result<std::int64_t> page_limit(const PageRequest& page);

// The opaque token of a position in list `scope` ("accounts", ...); the key's parts as text.
std::string make_page_token(std::string_view scope, const std::vector<std::string>& key);
// The key a token holds; invalid when the token was not issued for `scope`.
Result<std::vector<std::string>> parse_page_token(std::string_view scope, std::string_view token,
                                                  std::size_t parts);

struct KeyColumn {
  std::string column;
  bool integer = false;
};

// One list query: `select` ("SELECT a, b FROM t"), AND-ed conditions, ordered by the key.
struct ListQuery {
  std::string scope;
  std::string select;
  std::vector<std::string> where;
  Params params;
  std::vector<KeyColumn> key;
  bool descending = false;
};

// Builds the SQL (and binds the key and limit) of one page; invalid for a bad token/limit.
Result<std::string> page_sql(ListQuery& q, const PageRequest& request, std::int64_t& limit);

template <typename T>
Result<Page<T>> list_page(TxnContext& ctx, ListQuery q, const PageRequest& request,
                          const std::function<T(const pqxx::row&)>& read,
                          const std::function<std::vector<std::string>(const T&)>& key_of) {
  return guarded(ctx, [&]() -> Result<Page<T>> {
    std::int64_t limit = 0;
    auto sql = page_sql(q, request, limit);
    if (!sql.is_ok()) return sql.status();
    Page<T> page;
    for (const auto& row : exec(*ctx.work, *sql, q.params)) page.items.push_back(read(row));
    if (static_cast<std::int64_t>(page.items.size()) > limit) {
      page.items.resize(static_cast<std::size_t>(limit));
      page.next_page_token = make_page_token(q.scope, key_of(page.items.back()));
    }
    return page;
  });
}

}  // namespace formation::postgres

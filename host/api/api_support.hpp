// What every route of the host's tenant API shares: JSON writing, time stamps, paging
// query parameters, addresses, and the one way a request opens a store transaction.
#pragma once

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "api/routes.hpp"
#include "formation/http.hpp"
#include "formation/kinds/state_store.hpp"
#include "http/router.hpp"

namespace formation::host::api {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void put_string(JsonWriter& w, std::string_view key, std::string_view value);
std::string rfc3339(TimePoint t);

template <typename F>
HttpResponse json_response(int status, F&& write) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  std::forward<F>(write)(w);
  return HttpResponse::json(status, buffer.GetString());
}

HttpResponse no_content();

// "0x" + 40 hex digits, any case -> lower case; invalid (naming `what`) otherwise.
Result<std::string> normalize_address(std::string_view text, std::string_view what);

// Query-string decoding ('+' is a space); malformed escapes are kept as they are.
std::string percent_decode(std::string_view in);

// A query string's parameters, percent-decoded (the last of a repeated key wins), when every
// key is one of `allowed`; otherwise invalid, naming the key and what the route takes.
using QueryParams = std::map<std::string, std::string, std::less<>>;
Result<QueryParams> query_params(std::string_view query,
                                 std::initializer_list<std::string_view> allowed);

// `limit` (1..100, default 50) and `page_token`; any other parameter is invalid.
Result<PageRequest> page_request(std::string_view query);
// The same from parameters a route parsed with its own keys besides those two.
Result<PageRequest> page_request(const QueryParams& params);

// unavailable while the state store is not running.
Result<std::unique_ptr<Transaction>> begin(const ApiContext& context);

// The verified signer, or "" on an anonymous route.
const std::string& caller_of(const HttpRequest& request);

bool is_admin(const ApiContext& context, const std::string& address);

// One signed route of the host on the blocking pool, handled with the route group's shared
// state (`Shared`).
template <typename Shared>
struct RouteEntry {
  const char* method;
  const char* pattern;
  Result<HttpResponse> (*handler)(const Shared&, const HttpRequest&);
  std::size_t max_body_bytes = 0;  // 0: the server's http.max_body_bytes
};

template <typename Shared, std::size_t N>
Status add_routes(Router& router, const std::shared_ptr<const Shared>& shared,
                  const RouteEntry<Shared> (&entries)[N]) {
  for (const auto& e : entries) {
    Route route;
    route.method = e.method;
    route.pattern = e.pattern;
    route.max_body_bytes = e.max_body_bytes;
    route.handler = [shared, handler = e.handler](const HttpRequest& request) {
      return handler(*shared, request);
    };
    if (auto st = router.add(std::move(route), "host"); !st.is_ok()) return st;
  }
  return Status::ok();
}

}  // namespace formation::host::api

// The HTTP types a plugin sees. They carry no Boost.Beast types so that plugins do not
// compile Beast; the host converts at its edge (host/http/).
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "formation/status.hpp"
#include "formation/visibility.hpp"

namespace formation {

struct FORMATION_API HttpRequest {
  std::string method;                              // upper case: GET, POST, ...
  std::string target;                              // exactly as sent: path and query
  std::string path;                                // target without the query
  std::string query;                               // after '?', undecoded; empty when absent
  std::map<std::string, std::string> headers;      // names lower-cased
  std::map<std::string, std::string> path_params;  // {id} in the route pattern -> value
  std::string body;
  std::string request_id;      // also sent back as X-Request-Id
  std::string remote_address;  // peer IP as seen by the listener
  // The verified signer (0x + 40 lower-case hex) when the route needs a signed request.
  std::optional<std::string> caller;

  // Empty when absent. `name` must be lower case.
  [[nodiscard]] std::string_view header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string_view{} : std::string_view{it->second};
  }
  [[nodiscard]] std::string_view path_param(const std::string& name) const {
    auto it = path_params.find(name);
    return it == path_params.end() ? std::string_view{} : std::string_view{it->second};
  }
};

struct FORMATION_API HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers

  static HttpResponse json(int status, std::string body) {
    return HttpResponse{status, "application/json", std::move(body), {}};
  }
  static HttpResponse text(int status, std::string body) {
    return HttpResponse{status, "text/plain; charset=utf-8", std::move(body), {}};
  }
};

// A handler returns a response, or a Status that the host renders as the API's error
// envelope with the matching HTTP status.
using RouteHandler = std::function<Result<HttpResponse>(const HttpRequest&)>;

enum class RouteAccess {
  signed_request,  // the default: the host verifies the request signature first
  anonymous,       // no signature needed (health, public lookups)
};

enum class RouteExecution {
  blocking_pool,  // the default: the handler may block (state store, libvirt, disk)
  io_thread,      // the handler is cheap and never blocks; runs on the HTTP thread
};

struct FORMATION_API Route {
  std::string method;   // GET, POST, PUT, PATCH, DELETE
  std::string pattern;  // "/v1/echo", "/v1/instances/{id}/start"; must start with /v1/
  RouteHandler handler;
  RouteAccess access = RouteAccess::signed_request;
  RouteExecution execution = RouteExecution::blocking_pool;
  // The largest request body this route takes; 0 means the server's http.max_body_bytes.
  // For uploads (build contexts) that are larger than ordinary JSON bodies.
  std::size_t max_body_bytes = 0;
};

}  // namespace formation

// Routes of the HTTP API: who registered what, and which route answers a request path.
// Thread-safe: routes may be added (until freeze()) while requests are matched.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "formation/http.hpp"
#include "formation/status.hpp"
#include "http/api_error.hpp"

namespace formation::host {

// Verifies a signed request: the caller's address (0x + 40 lower-case hex), or the error
// to answer. Called for RouteAccess::signed_request routes only, on the thread that runs
// the route's handler (the blocking pool unless the route asks for the io thread).
using Authenticator =
    std::function<std::variant<std::string /*caller address*/, ApiError>(const HttpRequest&)>;

struct RouteInfo {
  std::string method;
  std::string pattern;
  std::string owner;  // "host" or "<plugin>/<instance>"
};

class Router {
 public:
  // The outcome of matching a method and path.
  struct Match {
    std::shared_ptr<const Route> route;              // null when the request cannot be routed
    std::string pattern = "unmatched";               // the route's pattern (the metrics label)
    std::map<std::string, std::string> path_params;  // percent-decoded
    std::optional<ApiError> error;                   // 400 bad path, 404, 405 when route is null
    std::vector<std::pair<std::string, std::string>> headers;  // "Allow" with a 405
  };

  Router() = default;
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // `owner` is "host" or "<plugin>/<instance>". Patterns are "/v1/..." made of literal and
  // {name} segments (the host may also add paths outside /v1, e.g. /metrics). Errors:
  // invalid (bad method, pattern or handler, or added after freeze()), conflict (the same
  // method and pattern shape is already taken; the message names both owners).
  Status add(Route route, std::string owner);

  // No add() succeeds afterwards. The daemon freezes once every plugin has started.
  void freeze();
  [[nodiscard]] bool frozen() const;

  // Every route, sorted by pattern then method.
  [[nodiscard]] std::vector<RouteInfo> routes() const;

  void set_authenticator(Authenticator authenticator);

  // `path` is the request target without its query, still percent-encoded. Literal
  // segments win over {param} segments; a path known only with other methods gives 405
  // with an Allow header; nothing gives 404; a malformed path ("..", NUL, bad %-escape)
  // gives 400. HEAD is answered by a GET route.
  [[nodiscard]] Match match(std::string_view method, std::string_view path) const;

  // For a signed route, runs the authenticator and sets request.caller; without an
  // authenticator, 401 signature_missing. nullopt means: go on with the handler.
  // Anonymous routes pass untouched. The authenticator's exceptions propagate.
  [[nodiscard]] std::optional<ApiError> authenticate(const Route& route,
                                                     HttpRequest& request) const;

 private:
  struct Entry;

  mutable std::shared_mutex mutex_;
  std::vector<std::shared_ptr<const Entry>> entries_;
  std::shared_ptr<const Authenticator> authenticator_;
  bool frozen_ = false;
};

}  // namespace formation::host

#include "http/router.hpp"

#include <algorithm>
#include <mutex>
#include <set>
#include <tuple>

#include <fmt/format.h>

namespace formation::host {
namespace {

constexpr std::string_view kMethods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};

struct Segment {
  bool param = false;
  std::string text;  // literal text, or the parameter's name
};

bool is_name(std::string_view s) {
  if (s.empty()) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(s[0])) return false;
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return alpha(c) || (c >= '0' && c <= '9'); });
}

// RFC 3986 pchar without percent-escapes: what a literal pattern segment may contain.
bool is_literal_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("-._~!$&'()*+,;=:@").find(c) != std::string_view::npos;
}

std::vector<std::string_view> split_path(std::string_view path) {
  // `path` starts with '/'; "/a/b" -> {"a", "b"}, "/a/" -> {"a", ""}.
  std::vector<std::string_view> out;
  size_t start = 1;
  for (;;) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(path.substr(start));
      return out;
    }
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return std::nullopt;
    int hi = hex_value(in[i + 1]);
    int lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

ApiError bad_path(std::string message) { return ApiError{400, "bad_request", std::move(message)}; }

}  // namespace

struct Router::Entry {
  Route route;
  std::string owner;
  std::vector<Segment> segments;
  std::string shape;  // the pattern with every {name} as {}: two routes of one shape collide
};

Status Router::add(Route route, std::string owner) {
  auto describe = [&] {
    return fmt::format("route {} {} of {}", route.method, route.pattern, owner);
  };
  if (std::find(std::begin(kMethods), std::end(kMethods), route.method) == std::end(kMethods)) {
    return Status::invalid(
        fmt::format("{}: method must be one of GET, POST, PUT, PATCH, DELETE", describe()));
  }
  if (!route.handler) return Status::invalid(fmt::format("{}: has no handler", describe()));
  const std::string_view pattern = route.pattern;
  if (owner != "host" && !pattern.starts_with("/v1/")) {
    return Status::invalid(fmt::format("{}: the pattern must start with /v1/", describe()));
  }
  if (!pattern.starts_with("/")) {
    return Status::invalid(fmt::format("{}: the pattern must start with /", describe()));
  }

  auto entry = std::make_shared<Entry>();
  std::set<std::string, std::less<>> names;
  for (std::string_view seg : split_path(pattern)) {
    if (seg.empty()) {
      return Status::invalid(fmt::format("{}: empty path segment", describe()));
    }
    if (seg.front() == '{') {
      std::string_view name = seg.substr(1);
      if (!name.ends_with('}') || !is_name(name.substr(0, name.size() - 1))) {
        return Status::invalid(fmt::format(
            "{}: segment '{}' must be {{name}} with a name of [A-Za-z0-9_]", describe(), seg));
      }
      name.remove_suffix(1);
      if (!names.emplace(name).second) {
        return Status::invalid(fmt::format("{}: parameter {{{}}} appears twice", describe(), name));
      }
      entry->segments.push_back({true, std::string(name)});
      entry->shape += "/{}";
    } else {
      if (seg == "." || seg == ".." || !std::all_of(seg.begin(), seg.end(), is_literal_char)) {
        return Status::invalid(fmt::format("{}: invalid path segment '{}'", describe(), seg));
      }
      entry->segments.push_back({false, std::string(seg)});
      entry->shape += "/" + std::string(seg);
    }
  }

  std::unique_lock lock(mutex_);
  if (frozen_) {
    return Status::invalid(
        fmt::format("{}: routes can only be added while plugins start", describe()));
  }
  for (const auto& other : entries_) {
    if (other->route.method == route.method && other->shape == entry->shape) {
      return Status::conflict(fmt::format("{} conflicts with {} {} of {}", describe(),
                                          other->route.method, other->route.pattern, other->owner));
    }
  }
  entry->route = std::move(route);
  entry->owner = std::move(owner);
  entries_.push_back(std::move(entry));
  return Status::ok();
}

void Router::freeze() {
  std::unique_lock lock(mutex_);
  frozen_ = true;
}

bool Router::frozen() const {
  std::shared_lock lock(mutex_);
  return frozen_;
}

std::vector<RouteInfo> Router::routes() const {
  std::vector<RouteInfo> out;
  {
    std::shared_lock lock(mutex_);
    for (const auto& e : entries_) out.push_back({e->route.method, e->route.pattern, e->owner});
  }
  std::sort(out.begin(), out.end(), [](const RouteInfo& a, const RouteInfo& b) {
    return std::tie(a.pattern, a.method) < std::tie(b.pattern, b.method);
  });
  return out;
}

void Router::set_authenticator(Authenticator authenticator) {
  auto shared =
      authenticator ? std::make_shared<const Authenticator>(std::move(authenticator)) : nullptr;
  std::unique_lock lock(mutex_);
  authenticator_ = std::move(shared);
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match result;
  if (!path.starts_with('/')) {
    result.error = bad_path("the request target must be an absolute path");
    return result;
  }
  std::vector<std::string> segments;
  for (std::string_view raw : split_path(path)) {
    auto decoded = percent_decode(raw);
    if (!decoded) {
      result.error = bad_path("the request path has an invalid percent-escape");
      return result;
    }
    if (decoded->find('\0') != std::string::npos) {
      result.error = bad_path("the request path must not contain NUL");
      return result;
    }
    if (raw == ".." || *decoded == "..") {
      result.error = bad_path("the request path must not contain '..' segments");
      return result;
    }
    segments.push_back(std::move(*decoded));
  }

  std::vector<std::shared_ptr<const Entry>> candidates;
  {
    std::shared_lock lock(mutex_);
    for (const auto& e : entries_) {
      if (e->segments.size() != segments.size()) continue;
      bool ok = true;
      for (size_t i = 0; ok && i < segments.size(); ++i) {
        const Segment& s = e->segments[i];
        ok = s.param ? !segments[i].empty() : s.text == segments[i];
      }
      if (ok) candidates.push_back(e);
    }
  }
  if (candidates.empty()) {
    result.error = ApiError{404, "not_found", fmt::format("no route matches {}", path)};
    return result;
  }
  // Most specific first: at the first segment where two patterns differ, a literal wins.
  std::stable_sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
    for (size_t i = 0; i < a->segments.size(); ++i) {
      if (a->segments[i].param != b->segments[i].param) return !a->segments[i].param;
    }
    return false;
  });
  const std::string_view wanted = method == "HEAD" ? std::string_view("GET") : method;
  for (const auto& e : candidates) {
    if (e->route.method != wanted) continue;
    result.route = std::shared_ptr<const Route>(e, &e->route);
    result.pattern = e->route.pattern;
    for (size_t i = 0; i < segments.size(); ++i) {
      if (e->segments[i].param) result.path_params[e->segments[i].text] = std::move(segments[i]);
    }
    return result;
  }
  std::set<std::string_view> allowed;
  for (const auto& e : candidates) {
    allowed.insert(e->route.method);
    if (e->route.method == "GET") allowed.insert("HEAD");
  }
  std::string allow;
  for (auto m : allowed) allow += (allow.empty() ? "" : ", ") + std::string(m);
  result.error = ApiError{405, "method_not_allowed",
                          fmt::format("{} is not allowed on {}; allowed: {}", method, path, allow)};
  result.headers.emplace_back("Allow", allow);
  return result;
}

std::optional<ApiError> Router::authenticate(const Route& route, HttpRequest& request) const {
  if (route.access == RouteAccess::anonymous) return std::nullopt;
  std::shared_ptr<const Authenticator> authenticator;
  {
    std::shared_lock lock(mutex_);
    authenticator = authenticator_;
  }
  if (!authenticator) {
    return ApiError{401, "signature_missing", "this route needs a signed request, see docs/api.md"};
  }
  auto outcome = (*authenticator)(request);
  if (auto* error = std::get_if<ApiError>(&outcome)) return std::move(*error);
  request.caller = std::move(std::get<std::string>(outcome));
  return std::nullopt;
}

}  // namespace formation::host

#include "api/api_support.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>

namespace formation::host::api {
namespace {
constexpr std::int64_t kDefaultLimit = 50;
constexpr std::int64_t kMaxLimit = 100;
}  // namespace

void put_string(JsonWriter& w, std::string_view key, std::string_view value) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

std::string rfc3339(TimePoint t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[32];
  auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return {buf, n};
}

HttpResponse no_content() {
  HttpResponse r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

// "0x" + 40 hex digits, any case -> lower case; invalid otherwise.
Result<std::string> normalize_address(std::string_view text, std::string_view what) {
  bool ok = text.size() == 42 && (text.starts_with("0x") || text.starts_with("0X"));
  for (std::size_t i = 2; ok && i < text.size(); ++i) {
    ok = std::isxdigit(static_cast<unsigned char>(text[i])) != 0;
  }
  if (!ok) return Status::invalid(std::string(what) + ": not an address (0x + 40 hex digits)");
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string percent_decode(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      int v = 0;
      auto r = std::from_chars(in.data() + i + 1, in.data() + i + 3, v, 16);
      if (r.ec == std::errc{} && r.ptr == in.data() + i + 3) {
        out += static_cast<char>(v);
        i += 2;
        continue;
      }
    }
    out += in[i] == '+' ? ' ' : in[i];
  }
  return out;
}

Result<QueryParams> query_params(std::string_view query,
                                 std::initializer_list<std::string_view> allowed) {
  QueryParams params;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (part.empty()) continue;
    auto eq = part.find('=');
    auto key = part.substr(0, eq);
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string expected;
      for (auto name : allowed) expected += (expected.empty() ? "" : ", ") + std::string(name);
      return Status::invalid("unknown query parameter '" + percent_decode(key) + "' (expected " +
                             expected + ")");
    }
    params[std::string(key)] =
        eq == std::string_view::npos ? "" : percent_decode(part.substr(eq + 1));
  }
  return params;
}

Result<PageRequest> page_request(const QueryParams& params) {
  PageRequest page;
  page.limit = kDefaultLimit;
  if (auto limit = params.find("limit"); limit != params.end()) {
    const std::string& value = limit->second;
    std::int64_t n = 0;
    auto r = std::from_chars(value.data(), value.data() + value.size(), n);
    if (r.ec != std::errc{} || r.ptr != value.data() + value.size() || n < 1 || n > kMaxLimit) {
      return Status::invalid("limit: must be an integer from 1 to " + std::to_string(kMaxLimit));
    }
    page.limit = n;
  }
  if (auto token = params.find("page_token"); token != params.end())
    page.page_token = token->second;
  return page;
}

Result<PageRequest> page_request(std::string_view query) {
  auto params = query_params(query, {"limit", "page_token"});
  if (!params.is_ok()) return params.status();
  return page_request(*params);
}

Result<std::unique_ptr<Transaction>> begin(const ApiContext& context) {
  StateStore* store = context.store ? context.store() : nullptr;
  if (store == nullptr) return Status::unavailable("the state store is not running");
  return store->begin();
}

const std::string& caller_of(const HttpRequest& request) {
  static const std::string none;
  return request.caller ? *request.caller : none;
}

bool is_admin(const ApiContext& context, const std::string& address) {
  return std::find(context.admins.begin(), context.admins.end(), address) != context.admins.end();
}

}  // namespace formation::host::api

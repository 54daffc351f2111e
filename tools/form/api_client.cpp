#include "api_client.hpp"

#include <curl/curl.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <mutex>
#include <utility>

#include "formation/abi.hpp"

namespace form {
namespace {

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n' || s.back() == ' ')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  return s.substr(i);
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<Response*>(user);
  std::string_view line(data, size * count);
  if (auto colon = line.find(':'); colon != std::string_view::npos) {
    auto name = line.substr(0, colon);
    auto value = trim(std::string(line.substr(colon + 1)));
    if (iequals(name, "x-request-id")) response->request_id = value;
    if (iequals(name, "content-type")) response->content_type = value;
  }
  return size * count;
}

// What to tell the user to do next, by error code first and HTTP status second.
std::string hint_for(std::string_view code, long status) {
  static const std::map<std::string, std::string, std::less<>> by_code = {
      {"unauthorized",
       "check that --key (or FORM_KEY) names your key file and that this machine's clock is "
       "right (signatures older than 5 minutes are refused)"},
      {"invalid_signature", "check that --key (or FORM_KEY) names the key of this account"},
      {"forbidden",
       "your key is valid but has no access to this resource; ask its owner for a grant"},
      {"not_found", "check the name or id; the matching list command shows what exists"},
      {"conflict", "the resource changed or already exists; fetch it again and retry"},
      {"rate_limited", "wait a moment and retry"},
      {"payload_too_large", "the request body is larger than the server accepts"},
      {"unavailable", "a backend is not ready; 'form health' shows which plugin is unhealthy"},
      {"internal", "the server failed; its log (journalctl -u formationd) has the request id"},
  };
  if (auto it = by_code.find(code); it != by_code.end()) return it->second;
  if (status == 401) return by_code.at("unauthorized");
  if (status == 403) return by_code.at("forbidden");
  if (status == 404) return by_code.at("not_found");
  if (status == 429) return by_code.at("rate_limited");
  if (status == 503) return by_code.at("unavailable");
  if (status >= 500) return by_code.at("internal");
  return {};
}

std::string without_trailing_slash(std::string url) {
  while (url.size() > 1 && url.back() == '/') url.pop_back();
  return url;
}

std::string path_of(const std::string& url) {
  auto scheme_end = url.find("://");
  auto authority_start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  auto path_start = url.find('/', authority_start);
  return path_start == std::string::npos ? std::string() : url.substr(path_start);
}

}  // namespace

CliError api_error(const Response& response) {
  std::string code = "http_" + std::to_string(response.status);
  std::string message;
  std::string request_id = response.request_id;

  rapidjson::Document doc;
  doc.Parse(response.body.c_str(), response.body.size());
  if (!doc.HasParseError() && doc.IsObject() && doc.HasMember("error") && doc["error"].IsObject()) {
    const auto& e = doc["error"];
    if (e.HasMember("code") && e["code"].IsString()) code = e["code"].GetString();
    if (e.HasMember("message") && e["message"].IsString()) message = e["message"].GetString();
    if (e.HasMember("request_id") && e["request_id"].IsString())
      request_id = e["request_id"].GetString();
  } else {
    // Not our envelope (a proxy in between, or not a Formation API at all).
    message = trim(response.body.substr(0, 200));
    if (message.empty()) message = "HTTP status " + std::to_string(response.status);
  }

  std::string text = code + ": " + message;
  if (!request_id.empty()) text += " (request " + request_id + ")";
  Exit exit_code = response.status == 401 || response.status == 403 ? Exit::kAuth : Exit::kApiError;
  return CliError(exit_code, text, hint_for(code, response.status));
}

namespace {
int on_transfer(void* data, curl_off_t, curl_off_t, curl_off_t total, curl_off_t sent) {
  auto& progress = *static_cast<std::function<void(long long, long long)>*>(data);
  if (total > 0) progress(static_cast<long long>(sent), static_cast<long long>(total));
  return 0;
}
}  // namespace

ApiClient::ApiClient(std::string base_url, double timeout_seconds, RequestSigner signer)
    : base_url_(without_trailing_slash(std::move(base_url))),
      base_path_(path_of(base_url_)),
      timeout_ms_(std::lround(timeout_seconds * 1000)),
      signer_(std::move(signer)) {
  global_init_once();
}

ApiClient::~ApiClient() = default;

Response ApiClient::send(Request request) {
  request.target_as_sent = base_path_ + request.target;
  if (request.auth == Auth::kSigned) {
    if (!signer_) throw CliError(Exit::kAuth, "this command needs a signing key");
    signer_(request);  // the hook where a request gets signed
  }

  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) throw CliError(Exit::kUnreachable, "cannot initialise libcurl");
  Response response;
  char error_buffer[CURL_ERROR_SIZE] = {};
  const std::string url = base_url_ + request.target;
  const std::string user_agent = std::string("form/") + FORMATION_VERSION;

  curl_slist* raw_headers = nullptr;
  raw_headers = curl_slist_append(raw_headers, "Accept: application/json");
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
      request.method == "PATCH")
    raw_headers = curl_slist_append(raw_headers, ("Content-Type: " + request.content_type).c_str());
  raw_headers = curl_slist_append(raw_headers, "Expect:");  // no 100-continue round trip
  for (const auto& [name, value] : request.headers)
    raw_headers = curl_slist_append(raw_headers, (name + ": " + value).c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(raw_headers,
                                                                      curl_slist_free_all);

  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  if (request.method == "HEAD") curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  if (!request.body.empty() || request.method != "GET") {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }
  if (request.method == "GET") curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_USERAGENT, user_agent.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  const long timeout_ms =
      request.timeout_seconds > 0 ? std::lround(request.timeout_seconds * 1000) : timeout_ms_;
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, std::min<long>(timeout_ms_, 10000));
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &response);

  if (request.upload_progress) {
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_transfer);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &request.upload_progress);
  }

  CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    std::string why = error_buffer[0] ? error_buffer : curl_easy_strerror(rc);
    throw CliError(Exit::kUnreachable,
                   "cannot reach the Formation API at " + base_url_ + ": " + why,
                   "start a local formationd with 'tools/dev run', or point form at a running "
                   "one with --api URL (or FORM_API)");
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

Response ApiClient::call(Request request) {
  Response response = send(std::move(request));
  if (response.status >= 400) throw api_error(response);
  return response;
}

}  // namespace form

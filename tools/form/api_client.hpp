// HTTP access to the Formation API (libcurl), the error envelope, and the signing hook.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "cli.hpp"

namespace form {

enum class Auth {
  kNone,    // public routes: /v1/health, /metrics
  kSigned,  // everything a tenant owns: signed with the key of --key (DESIGN.md §5)
};

struct Request {
  std::string method = "GET";
  std::string target;  // path and query relative to the API root: "/v1/health"
  std::string body;
  std::string content_type = "application/json";
  Auth auth = Auth::kNone;
  // Filled in by ApiClient before signing: the request target exactly as sent (the API
  // root's own path, if any, followed by `target`), and extra headers to send.
  std::string target_as_sent;
  std::map<std::string, std::string> headers;
  // Uploads: called now and then with the bytes sent so far and the total; may be empty.
  std::function<void(long long sent, long long total)> upload_progress;
  // Seconds for this request instead of --timeout (0: --timeout); for large uploads.
  double timeout_seconds = 0;

  static Request get(std::string target, Auth auth = Auth::kNone) {
    Request r;
    r.target = std::move(target);
    r.auth = auth;
    return r;
  }
  static Request del(std::string target, Auth auth = Auth::kSigned) {
    Request r = get(std::move(target), auth);
    r.method = "DELETE";
    return r;
  }
  static Request with_body(std::string method, std::string target, std::string body,
                           Auth auth = Auth::kSigned) {
    Request r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.body = std::move(body);
    r.auth = auth;
    return r;
  }
};

struct Response {
  long status = 0;
  std::string body;
  std::string content_type;
  std::string request_id;  // X-Request-Id header, when present
};

// Adds the X-Formation-* headers to a request about to be sent. Throws CliError(kAuth) when
// the key cannot be used.
using RequestSigner = std::function<void(Request&)>;

// The signer for a key file. Defined in signing.cpp; reads the key lazily, on the first
// signed request, so public commands work without a key.
RequestSigner make_request_signer(const GlobalOptions& options);

// Parses an API error body into a CliError: exit 4 for 401/403, otherwise exit 1; the
// message is "<code>: <message> (request <id>)" and the hint depends on code and status.
CliError api_error(const Response& response);

class ApiClient {
 public:
  ApiClient(std::string base_url, double timeout_seconds, RequestSigner signer);
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  const std::string& base_url() const { return base_url_; }

  // Sends the request and returns whatever the server answered, any status. Throws
  // CliError(kUnreachable) when no HTTP answer arrives, CliError(kAuth) from the signer.
  Response send(Request request);
  // Like send(), but a status >= 400 throws api_error(response).
  Response call(Request request);

 private:
  std::string base_url_;
  std::string base_path_;  // path part of base_url_ ("" or "/prefix")
  long timeout_ms_;
  RequestSigner signer_;
};

// Sends the request; a status >= 400 throws what `make_error(response)` makes of it (a
// command's own CliError with hints for its verbs).
template <typename MakeError>
Response send_checked(ApiClient& api, Request request, MakeError&& make_error) {
  Response response = api.send(std::move(request));
  if (response.status >= 400) throw make_error(response);
  return response;
}

}  // namespace form

// The API's error envelope and the one mapping from StatusCode to HTTP status.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "formation/status.hpp"

namespace formation::host {

// What the API answers when a request fails: the HTTP status and the envelope's code and
// message. `code` is a StatusCode name ("not_found") or an HTTP-level code
// ("payload_too_large", "signature_missing", ...).
struct ApiError {
  int http_status = 500;
  std::string code;
  std::string message;
};

// ok 200, not_found 404, invalid 400, conflict 409, unavailable 503, unsupported 501,
// permission_denied 403, internal 500. The only place this mapping lives.
int http_status_for(StatusCode code);

// The envelope for a non-ok Status: mapped HTTP status, code = to_string(status.code()).
ApiError from_status(const Status& status);

// {"error":{"code":"...","message":"...","request_id":"..."}}
std::string error_envelope_json(const ApiError& error, std::string_view request_id);

// A create the Billing plugin refused: 402, code payment_required. Not a StatusCode (a
// refusal is a decision, not an error), so it has its own entry here.
ApiError payment_required(std::string message);

// The envelope with the refusal's reasons after the message:
// {"error":{"code":"payment_required","message":"...","missing":["..."],"request_id":"..."}}
std::string error_envelope_json(const ApiError& error, std::string_view request_id,
                                const std::vector<std::string>& missing);

}  // namespace formation::host

#include "http/api_error.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <utility>

namespace formation::host {
namespace {

// Messages may quote request input; the envelope must stay valid JSON, so bytes that are
// not well-formed UTF-8 become U+FFFD.
std::string valid_utf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    auto c = static_cast<unsigned char>(in[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 0;
    bool ok = len != 0 && i + len <= in.size();
    for (size_t k = 1; ok && k < len; ++k) {
      ok = (static_cast<unsigned char>(in[i + k]) & 0xC0) == 0x80;
    }
    if (ok && len > 1) {
      // Reject overlong forms, surrogates and code points above U+10FFFF.
      auto c1 = static_cast<unsigned char>(in[i + 1]);
      if (len == 2) ok = c >= 0xC2;
      if (len == 3) ok = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);
      if (len == 4) ok = !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90) && c <= 0xF4;
    }
    if (ok) {
      out.append(in.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

}  // namespace

int http_status_for(StatusCode code) {
  switch (code) {
    case StatusCode::ok: return 200;
    case StatusCode::not_found: return 404;
    case StatusCode::invalid: return 400;
    case StatusCode::conflict: return 409;
    case StatusCode::unavailable: return 503;
    case StatusCode::unsupported: return 501;
    case StatusCode::permission_denied: return 403;
    case StatusCode::internal: return 500;
  }
  return 500;
}

ApiError from_status(const Status& status) {
  return ApiError{http_status_for(status.code()), std::string(to_string(status.code())),
                  status.message()};
}

std::string error_envelope_json(const ApiError& error, std::string_view request_id) {
  return error_envelope_json(error, request_id, {});
}

ApiError payment_required(std::string message) {
  return ApiError{402, "payment_required", std::move(message)};
}

std::string error_envelope_json(const ApiError& error, std::string_view request_id,
                                const std::vector<std::string>& missing) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  auto string = [&writer](std::string_view s) {
    std::string clean = valid_utf8(s);
    writer.String(clean.data(), static_cast<rapidjson::SizeType>(clean.size()));
  };
  writer.StartObject();
  writer.Key("error");
  writer.StartObject();
  writer.Key("code");
  string(error.code);
  writer.Key("message");
  string(error.message);
  if (!missing.empty()) {
    writer.Key("missing");
    writer.StartArray();
    for (const std::string& item : missing) string(item);
    writer.EndArray();
  }
  writer.Key("request_id");
  string(request_id);
  writer.EndObject();
  writer.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace formation::host

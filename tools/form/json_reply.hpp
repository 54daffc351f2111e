// Reading the API's JSON answers in commands: the body as an object, and members as text.
#pragma once

#include <rapidjson/document.h>

#include <string>

#include "api_client.hpp"

namespace form {

// The body as a JSON object; CliError(kApiError) naming the HTTP status otherwise.
rapidjson::Document parse_object(const Response& response);

// A scalar member as text ("" when absent or not a scalar).
std::string scalar(const rapidjson::Value& object, const char* name);

}  // namespace form

// Reading the API's JSON answers in commands: the body as an object, members as text, and
// one object printed the way every command prints one.
#pragma once

#include <rapidjson/document.h>

#include <functional>
#include <string>

#include "api_client.hpp"
#include "cli.hpp"
#include "output.hpp"

namespace form {

// The body as a JSON object; CliError(kApiError) naming the HTTP status otherwise.
rapidjson::Document parse_object(const Response& response);

// A scalar member as text ("" when absent or not a scalar).
std::string scalar(const rapidjson::Value& object, const char* name);

// One object: with --output json the body as the server sent it; otherwise a two-column
// table of the rows `fill` adds from the object. Returns the object, for what a command
// prints after the table (null with --output json).
rapidjson::Document print_object(Context& context, const Response& response,
                                 const std::function<void(const rapidjson::Value&, Table&)>& fill);

}  // namespace form

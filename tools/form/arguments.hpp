// Turning command-line values into what requests need: numbers checked, path segments
// percent-encoded (so an odd argument cannot reach another route).
#pragma once

#include <string>
#include <vector>

#include "cli.hpp"

namespace form {

// The value of --OPTION as a positive integer; usage_error naming the option otherwise.
long long positive_integer(const Args& args, const std::string& option);

// RFC 3986 unreserved characters kept, everything else %XX.
std::string percent_encode(const std::string& text);

// The first positional argument (a resource id); usage_error "the <what> must not be empty"
// with `hint` when it is.
std::string id_argument(const Args& args, const std::string& what, const std::string& hint);

// "/v1/<collection>/<id percent-encoded>[/<action>]": an odd id cannot reach another route.
std::string resource_path(const std::string& collection, const std::string& id,
                          const std::string& action = {});

// --limit N, --page-token TOKEN and --all of a listing command; `things` names what a page
// holds ("instances").
std::vector<OptionSpec> page_options(const std::string& things);

// A command taking exactly one positional argument.
Command one_argument_command(const char* name, const char* summary, const char* usage,
                             Handler handler);

}  // namespace form

// Turning command-line values into what requests need: numbers checked, path segments
// percent-encoded (so an odd argument cannot reach another route).
#pragma once

#include <string>

#include "cli.hpp"

namespace form {

// The value of --OPTION as a positive integer; usage_error naming the option otherwise.
long long positive_integer(const Args& args, const std::string& option);

// RFC 3986 unreserved characters kept, everything else %XX.
std::string percent_encode(const std::string& text);

}  // namespace form

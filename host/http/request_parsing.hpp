// The server's request parsing path without sockets, for the fuzz target and tests.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "http/router.hpp"

namespace formation::host {

struct ParsedRequestOutcome {
  bool complete = false;  // a whole request was parsed
  int status = 0;         // what the server would answer before any handler ran; 0 = go on
  std::string route = "unmatched";
};

// Parses `bytes` as one HTTP/1.x request exactly as the server does (Beast request_parser
// over a flat buffer, the same header/body limits and conversion to HttpRequest), then
// routes it through `router` and, for a matched route, runs authentication and the
// handler. Never throws for any input.
ParsedRequestOutcome parse_request_for_fuzzing(std::string_view bytes, std::size_t max_body,
                                               const Router& router,
                                               std::size_t max_header = std::size_t{16} * 1024);

}  // namespace formation::host

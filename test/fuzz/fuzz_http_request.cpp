// Fuzz target for the HTTP request path: arbitrary bytes through the server's parser
// (Beast request_parser, the server's limits), the conversion to HttpRequest, the router
// (params, percent-decoding, 404/405/400) and the response serialization. Must never crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/request_parsing.hpp"
#include "http/router.hpp"

namespace {

const formation::host::Router& router() {
  static formation::host::Router* r = [] {
    using namespace formation;
    auto* out = new host::Router();
    auto echo = [](const HttpRequest& req) -> Result<HttpResponse> {
      if (req.path_param("id") == "missing") return Status::not_found("no such thing");
      return HttpResponse::json(200, std::string(req.path_param("id")) + req.body + req.query);
    };
    (void)out->add(
        Route{"GET", "/v1/health", echo, RouteAccess::anonymous, RouteExecution::io_thread},
        "host");
    (void)out->add(Route{"POST", "/v1/instances/{id}/start", echo, RouteAccess::anonymous,
                         RouteExecution::io_thread},
                   "host");
    (void)out->add(Route{"GET", "/v1/instances/{id}", echo}, "host");  // signed: 401
    (void)out->add(Route{"DELETE", "/v1/instances/{id}", echo, RouteAccess::anonymous}, "host");
    out->freeze();
    return out;
  }();
  return *r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)formation::host::parse_request_for_fuzzing(bytes, 4096, router(), 2048);
  return 0;
}

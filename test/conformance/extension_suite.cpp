// Extension conformance: routes are the plugin's whole surface, so every parameterless
// GET route must answer a plain request without a server error, and say what it sent.
#include <rapidjson/document.h>

#include "conformance.hpp"

namespace formation::conformance {
namespace {

std::vector<CheckResult> extension_suite(Subject& s) {
  std::vector<CheckResult> out;
  for (const auto& route : s.routes) {
    if (route.method != "GET" || route.pattern.find('{') != std::string::npos) continue;
    HttpRequest request;
    request.method = "GET";
    request.target = route.pattern;
    request.path = route.pattern;
    request.request_id = "conformance";
    request.remote_address = "127.0.0.1";
    std::string name = "GET " + route.pattern + " answers a plain request without a 5xx";
    Result<HttpResponse> response = Status::internal("not called");
    try {
      response = route.handler(request);
    } catch (const std::exception& e) {
      out.push_back({name, false, std::string("handler threw: ") + e.what()});
      continue;
    }
    if (!response.is_ok()) {
      bool server_error = response.status().code() == StatusCode::internal;
      out.push_back({name, !server_error, response.status().to_string()});
      continue;
    }
    out.push_back({name, response->status < 500, "HTTP " + std::to_string(response->status)});
    if (response->content_type.starts_with("application/json")) {
      rapidjson::Document doc;
      doc.Parse(response->body.c_str(), response->body.size());
      out.push_back({"GET " + route.pattern + " sends valid JSON when it says so",
                     !doc.HasParseError(), response->body.substr(0, 80)});
    }
  }
  return out;
}

}  // namespace

std::vector<CheckResult> state_store_suite(Subject& subject);    // state_store_suite.cpp
std::vector<CheckResult> image_builder_suite(Subject& subject);  // image_builder_suite.cpp
std::vector<CheckResult> vmm_suite(Subject& subject);            // vmm_suite.cpp
std::vector<CheckResult> billing_suite(Subject& subject);        // billing_suite.cpp

Suite suite_for(PluginKind kind) {
  switch (kind) {
    case PluginKind::state_store: return state_store_suite;
    case PluginKind::image_builder: return image_builder_suite;
    case PluginKind::vmm: return vmm_suite;
    case PluginKind::extension: return extension_suite;
    case PluginKind::billing: return billing_suite;
    default: return nullptr;  // later issues add the suites of the other kinds here
  }
}

}  // namespace formation::conformance

#include <rapidjson/document.h>

#include <regex>

#include "conformance.hpp"

namespace formation::conformance {
namespace {

bool semantic_version(const char* v) {
  static const std::regex pattern(R"(^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$)");
  return v != nullptr && std::regex_match(v, pattern);
}

}  // namespace

std::vector<CheckResult> common_checks(Subject& s) {
  std::vector<CheckResult> out;
  out.push_back(
      {"descriptor declares a semantic version", semantic_version(s.descriptor.version),
       std::string("version '") + (s.descriptor.version ? s.descriptor.version : "") + "'"});
  out.push_back({"descriptor has a one-line description",
                 s.descriptor.description != nullptr && *s.descriptor.description != '\0' &&
                     std::string_view(s.descriptor.description).find('\n') == std::string::npos,
                 ""});
  auto health = s.plugin.health();
  out.push_back({"health() reports ok once started", health.state == HealthState::ok,
                 std::string(to_string(health.state)) + " " + health.detail});
  for (const auto& r : s.routes) {
    out.push_back({"route " + r.method + " " + r.pattern + " lives under /v1/",
                   r.pattern.starts_with("/v1/"), ""});
  }
  return out;
}

}  // namespace formation::conformance

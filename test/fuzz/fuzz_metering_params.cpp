// Fuzz target for metering-usage's parameters (an operator's plugins.d file): the period
// and the threshold definitions. Must never crash; whatever is accepted must hold what the
// plugin relies on, and a violation of any accepted threshold must serialise to JSON.
#include <rapidjson/document.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "settings.hpp"
#include "thresholds.hpp"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace mu = formation::metering_usage;
  rapidjson::Document doc;
  doc.Parse(reinterpret_cast<const char*>(data), size);
  if (doc.HasParseError()) return 0;
  auto settings = mu::settings_from(doc);
  if (!settings.is_ok()) {
    require(!settings.status().message().empty() && settings.status().message()[0] == '/');
    return 0;
  }
  require(settings->period_seconds >= 1 && settings->period_seconds <= 86400);
  require(settings->thresholds.size() <= mu::kMaxThresholds);
  for (const auto& t : settings->thresholds) {
    require(!t.name.empty() && t.name.size() <= 64);
    require(std::isfinite(t.limit) && t.limit >= 0);
    require(t.kind != mu::ThresholdKind::percent || t.limit <= 100);
    require(!(t.instance_id && t.account));
    require(mu::metric_name(t) != nullptr);
    mu::Violation v{t, "0x" + std::string(40, 'a'), t.instance_id, t.limit + 1, {}};
    rapidjson::Document payload;
    payload.Parse(mu::threshold_violation_json(v, {}).c_str());
    require(!payload.HasParseError() && payload.IsObject());
  }
  return 0;
}

// Fuzz target for metering-usage's parameters (an operator's plugins.d file): the period
// and the threshold definitions. Must never crash; whatever is accepted must hold what the
// plugin relies on, and a violation of any accepted threshold must serialise to JSON.
#include <rapidjson/document.h>
#include <rapidjson/schema.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "formation/threshold_schema.hpp"
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
  // As the host parses request bodies and config: invalid UTF-8 is refused there.
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(reinterpret_cast<const char*>(data), size);
  if (doc.HasParseError()) return 0;
  // One threshold (what POST /v1/thresholds stores after the host checked it with this
  // schema): whatever the schema accepts, the meter's parser accepts too.
  {
    static rapidjson::Document schema_doc = [] {
      rapidjson::Document d;
      d.Parse(formation::kThresholdSchema);
      return d;
    }();
    static rapidjson::SchemaDocument schema(schema_doc);
    rapidjson::SchemaValidator validator(schema);
    if (doc.Accept(validator)) require(mu::threshold_from(doc, "/").is_ok());
  }
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

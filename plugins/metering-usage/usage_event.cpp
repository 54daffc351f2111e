#include "usage_event.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <cmath>
#include <cstdio>

namespace formation::metering_usage {
namespace {

// JSON has no NaN or infinity; a metric that is not finite (never expected) becomes 0 so
// that consumers always get a valid payload.
double finite(double value) { return std::isfinite(value) ? value : 0.0; }

}  // namespace

std::string usage_sample_json(const UsageSample& sample) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  const auto string = [&w](const char* key, const std::string& value) {
    w.Key(key);
    w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
  };
  const auto number = [&w](const char* key, double value) {
    w.Key(key);
    w.Double(finite(value));
  };
  w.StartObject();
  string("event_type", kUsageSampleType);
  string("version", kUsageSampleVersion);
  string("timestamp", format_rfc3339_utc(sample.timestamp));
  string("instance_id", sample.instance_id);
  string("user_id", sample.user_id);
  w.Key("metrics");
  w.StartObject();
  const auto& m = sample.metrics;
  number("cpu_seconds", m.cpu_seconds);
  number("cpu_percent_avg", m.cpu_percent_avg);
  number("memory_gb", m.memory_gb);
  number("memory_percent", m.memory_percent);
  number("storage_gb", m.storage_gb);
  number("network_egress_mb", m.network_egress_mb);
  number("network_ingress_mb", m.network_ingress_mb);
  number("gpu_seconds", m.gpu_seconds);
  w.EndObject();
  w.Key("period");
  w.StartObject();
  string("start", format_rfc3339_utc(sample.period.start));
  string("end", format_rfc3339_utc(sample.period.end));
  w.EndObject();
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace formation::metering_usage

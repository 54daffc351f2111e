#include "usage_event.hpp"

#include <rapidjson/document.h>

#include <chrono>
#include <cstdio>

namespace formation::billing_credits {
namespace {

constexpr std::size_t kMaxIdLength = 128;
constexpr std::size_t kMaxPayloadBytes = std::size_t{64} * 1024;

Result<std::string> string_field(const rapidjson::Value& object, const char* name,
                                 const std::string& where) {
  auto it = object.FindMember(name);
  if (it == object.MemberEnd()) return Status::invalid(where + name + ": missing");
  if (!it->value.IsString()) return Status::invalid(where + name + ": must be a string");
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

}  // namespace

Result<UsageSample> parse_usage_sample(std::string_view json) {
  if (json.size() > kMaxPayloadBytes) {
    return Status::invalid("usage.sample payload is larger than 64 KiB");
  }
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) return Status::invalid("usage.sample payload is not JSON");
  if (!doc.IsObject()) return Status::invalid("usage.sample payload must be a JSON object");
  auto type = string_field(doc, "event_type", "usage.sample: ");
  if (!type.is_ok()) return type.status();
  if (*type != "usage.sample") {
    return Status::invalid("usage.sample: event_type: must be usage.sample");
  }
  UsageSample out;
  auto id = string_field(doc, "instance_id", "usage.sample: ");
  if (!id.is_ok()) return id.status();
  if (id->empty() || id->size() > kMaxIdLength) {
    return Status::invalid("usage.sample: instance_id: must be 1..128 characters");
  }
  out.instance_id = std::move(id).value();
  if (auto user = doc.FindMember("user_id"); user != doc.MemberEnd() && user->value.IsString()) {
    out.user_id = user->value.GetString();
  }
  auto period = doc.FindMember("period");
  if (period == doc.MemberEnd() || !period->value.IsObject()) {
    return Status::invalid("usage.sample: period: must be an object {start, end}");
  }
  const char* names[] = {"start", "end"};
  TimePoint* targets[] = {&out.period.start, &out.period.end};
  for (int i = 0; i < 2; ++i) {
    auto text = string_field(period->value, names[i], "usage.sample: period.");
    if (!text.is_ok()) return text.status();
    auto time = parse_rfc3339_utc(*text);
    if (!time.is_ok()) {
      return Status::invalid(std::string("usage.sample: period.") + names[i] + ": " +
                             time.status().message());
    }
    *targets[i] = *time;
  }
  if (out.period.end <= out.period.start) {
    return Status::invalid("usage.sample: period: end must be after start");
  }
  return out;
}

}  // namespace formation::billing_credits

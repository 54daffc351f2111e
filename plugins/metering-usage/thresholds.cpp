#include "thresholds.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>
#include <utility>

#include "formation/threshold_schema.hpp"
#include "usage_event.hpp"

namespace formation::metering_usage {
namespace {

constexpr std::size_t kMaxNameLength = 64;
constexpr std::size_t kMaxIdLength = 128;

struct ResourceInfo {
  ThresholdResource resource;
  const char* name;
  const char* absolute_metric;
  const char* percent_metric;  // nullptr: no percent of an allocation exists
};

constexpr std::array<ResourceInfo, 6> kResources = {{
    {ThresholdResource::cpu, "cpu", "cpu_seconds", "cpu_percent_avg"},
    {ThresholdResource::memory, "memory", "memory_gb", "memory_percent"},
    {ThresholdResource::storage, "storage", "storage_gb", nullptr},
    {ThresholdResource::network_egress, "network_egress", "network_egress_mb", nullptr},
    {ThresholdResource::network_ingress, "network_ingress", "network_ingress_mb", nullptr},
    {ThresholdResource::gpu, "gpu", "gpu_seconds", nullptr},
}};

const ResourceInfo& info(ThresholdResource r) {
  return kResources[static_cast<std::size_t>(r)];  // in enum order
}

Status bad(const std::string& where, const std::string& what) {
  return Status::invalid(where + what);
}

Result<std::string> text(const rapidjson::Value& object, const char* name,
                         const std::string& where) {
  const auto& v = object[name];
  if (!v.IsString()) return bad(where, std::string("/") + name + ": must be a string");
  return std::string(v.GetString(), v.GetStringLength());
}

bool lower_hex_id(std::string_view s) {
  return !s.empty() && s.size() <= kMaxIdLength && s.front() != '-' &&
         s.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyz-") == std::string_view::npos;
}

bool address(std::string_view s) {
  return s.size() == 42 && s.substr(0, 2) == "0x" &&
         s.find_first_not_of("0123456789abcdefABCDEF", 2) == std::string_view::npos;
}

double metric(const UsageMetrics& m, const Threshold& t) {
  const bool percent = t.kind == ThresholdKind::percent;
  switch (t.resource) {
    case ThresholdResource::cpu: return percent ? m.cpu_percent_avg : m.cpu_seconds;
    case ThresholdResource::memory: return percent ? m.memory_percent : m.memory_gb;
    case ThresholdResource::storage: return m.storage_gb;
    case ThresholdResource::network_egress: return m.network_egress_mb;
    case ThresholdResource::network_ingress: return m.network_ingress_mb;
    case ThresholdResource::gpu: return m.gpu_seconds;
  }
  return 0;
}

}  // namespace

const char* threshold_schema() { return kThresholdSchema; }

const char* metric_name(const Threshold& t) {
  const auto& i = info(t.resource);
  return t.kind == ThresholdKind::percent ? i.percent_metric : i.absolute_metric;
}

Result<Threshold> threshold_from(const rapidjson::Value& value, const std::string& where) {
  if (!value.IsObject()) return bad(where, ": a threshold must be an object");
  static constexpr std::string_view kKnown[] = {"name",  "resource",    "kind",
                                                "limit", "instance_id", "account"};
  for (const auto& member : value.GetObject()) {
    const std::string_view name(member.name.GetString(), member.name.GetStringLength());
    if (std::find(std::begin(kKnown), std::end(kKnown), name) == std::end(kKnown)) {
      return bad(where, "/" + std::string(name) +
                            ": unknown field (known: name, resource, kind, limit, instance_id, "
                            "account)");
    }
  }
  for (const char* required : {"name", "resource", "kind", "limit"}) {
    if (!value.HasMember(required)) return bad(where, std::string("/") + required + ": missing");
  }
  Threshold out;
  auto name = text(value, "name", where);
  if (!name.is_ok()) return name.status();
  if (name->empty() || name->size() > kMaxNameLength ||
      name->find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") != std::string::npos ||
      name->front() == '-' || name->front() == '_') {
    return bad(where, "/name: 1 to 64 of a-z 0-9 _ -, starting with a letter or digit");
  }
  out.name = std::move(name).value();

  auto resource = text(value, "resource", where);
  if (!resource.is_ok()) return resource.status();
  const auto found = std::find_if(kResources.begin(), kResources.end(),
                                  [&](const ResourceInfo& r) { return *resource == r.name; });
  if (found == kResources.end()) {
    return bad(where,
               "/resource: must be cpu, memory, storage, network_egress, network_ingress or gpu");
  }
  out.resource = found->resource;

  auto kind = text(value, "kind", where);
  if (!kind.is_ok()) return kind.status();
  if (*kind == "absolute") {
    out.kind = ThresholdKind::absolute;
  } else if (*kind == "percent") {
    out.kind = ThresholdKind::percent;
    if (found->percent_metric == nullptr) {
      return bad(where,
                 "/kind: percent is only for cpu and memory (of the allocation); use "
                 "absolute for " +
                     *resource);
    }
  } else {
    return bad(where, "/kind: must be absolute or percent");
  }

  const auto& limit = value["limit"];
  if (!limit.IsNumber() || !std::isfinite(limit.GetDouble()) || limit.GetDouble() < 0) {
    return bad(where, "/limit: must be a number >= 0");
  }
  out.limit = limit.GetDouble();
  if (out.kind == ThresholdKind::percent && out.limit > 100) {
    return bad(where, "/limit: a percent limit is at most 100");
  }

  if (value.HasMember("instance_id") && value.HasMember("account")) {
    return bad(where, ": give instance_id or account, not both");
  }
  if (value.HasMember("instance_id")) {
    auto id = text(value, "instance_id", where);
    if (!id.is_ok()) return id.status();
    if (!lower_hex_id(*id)) return bad(where, "/instance_id: not an instance id");
    out.instance_id = std::move(id).value();
  }
  if (value.HasMember("account")) {
    auto account = text(value, "account", where);
    if (!account.is_ok()) return account.status();
    if (!address(*account)) return bad(where, "/account: must be 0x and 40 hex digits");
    std::transform(account->begin(), account->end(), account->begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    out.account = std::move(account).value();
  }
  return out;
}

Result<Threshold> threshold_from(const UsageThreshold& stored) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  const auto text = [&](const std::string& v) {
    return rapidjson::Value(v.c_str(), static_cast<rapidjson::SizeType>(v.size()), a);
  };
  doc.AddMember("name", text(stored.name), a);
  doc.AddMember("resource", text(stored.resource), a);
  doc.AddMember("kind", text(stored.kind), a);
  doc.AddMember("limit", stored.limit, a);
  if (stored.instance_id) doc.AddMember("instance_id", text(*stored.instance_id), a);
  auto out = threshold_from(doc, "threshold " + stored.id);
  if (!out.is_ok()) return out.status();
  if (!out->instance_id) out->account = stored.owner;
  out->id = stored.id;
  out->notify = stored.owner;
  return out;
}

ThresholdWatch::ThresholdWatch(std::vector<Threshold> configured)
    : configured_(std::move(configured)) {}

namespace {

// What the watch remembers a threshold by: configured ones by name (unique in the
// parameters), tenants' by id.
std::string key_of(const Threshold& t) { return t.id ? "tenant/" + *t.id : "config/" + t.name; }

}  // namespace

void ThresholdWatch::check_one(const Threshold& t, const std::vector<UsageSample>& samples,
                               const std::set<std::string>& sampled,
                               std::set<std::pair<std::string, std::string>>& over,
                               std::vector<Violation>& out) const {
  const std::string key = key_of(t);
  const auto observe = [&](const std::string& subject, double value, Violation violation) {
    if (value <= t.limit) return;
    over.emplace(key, subject);
    if (over_.contains({key, subject})) return;  // still over: raised already
    violation.value = value;
    out.push_back(std::move(violation));
  };
  if (t.account) {
    // One figure for the account: the sum of its instances (absolute) or their mean
    // (percent), over the tick's periods.
    double sum = 0;
    std::size_t count = 0;
    Period span;
    for (const auto& s : samples) {
      if (s.user_id != *t.account) continue;
      sum += metric(s.metrics, t);
      span.start = count == 0 ? s.period.start : std::min(span.start, s.period.start);
      span.end = count == 0 ? s.period.end : std::max(span.end, s.period.end);
      ++count;
    }
    if (count == 0) {
      // Nothing of the account ran this tick: no change.
      if (over_.contains({key, *t.account})) over.emplace(key, *t.account);
      return;
    }
    const double value = t.kind == ThresholdKind::percent ? sum / static_cast<double>(count) : sum;
    observe(*t.account, value, Violation{t, t.notify.value_or(*t.account), std::nullopt, 0, span});
    return;
  }
  for (const auto& s : samples) {
    if (t.instance_id && s.instance_id != *t.instance_id) continue;
    observe(s.instance_id, metric(s.metrics, t),
            Violation{t, t.notify.value_or(s.user_id), s.instance_id, 0, s.period});
  }
  // An instance that did not run this tick keeps its state.
  // over_ is ordered by key first: this threshold's entries are one run.
  for (auto it = over_.lower_bound({key, ""}); it != over_.end() && it->first == key; ++it) {
    if (!sampled.contains(it->second)) over.insert(*it);
  }
}

std::vector<Violation> ThresholdWatch::check(const std::vector<UsageSample>& samples,
                                             const std::vector<Threshold>& tenants) {
  std::vector<Violation> out;
  std::set<std::pair<std::string, std::string>> over;
  std::set<std::string> sampled;
  for (const auto& s : samples) sampled.insert(s.instance_id);
  for (const auto& t : configured_) check_one(t, samples, sampled, over, out);
  for (const auto& t : tenants) check_one(t, samples, sampled, over, out);
  over_ = std::move(over);  // thresholds that are gone are forgotten with it
  return out;
}

void ThresholdWatch::forget(const std::string& instance_id) {
  std::erase_if(over_, [&](const auto& key) { return key.second == instance_id; });
}

std::string threshold_violation_json(const Violation& v, TimePoint timestamp) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  const auto string = [&w](const char* key, const std::string& value) {
    w.Key(key);
    w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
  };
  const Threshold& t = v.threshold;
  w.StartObject();
  string("event_type", kThresholdViolationType);
  string("version", "1");
  string("timestamp", format_rfc3339_utc(timestamp));
  string("threshold", t.name);
  if (t.id) string("threshold_id", *t.id);
  string("resource", info(t.resource).name);
  string("kind", t.kind == ThresholdKind::percent ? "percent" : "absolute");
  string("metric", metric_name(t));
  w.Key("limit");
  w.Double(t.limit);
  w.Key("value");
  w.Double(std::isfinite(v.value) ? v.value : 0.0);
  string("scope", t.account ? "account" : "instance");
  if (v.instance_id) string("instance_id", *v.instance_id);
  string("user_id", v.user_id);
  w.Key("period");
  w.StartObject();
  string("start", format_rfc3339_utc(v.period.start));
  string("end", format_rfc3339_utc(v.period.end));
  w.EndObject();
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace formation::metering_usage

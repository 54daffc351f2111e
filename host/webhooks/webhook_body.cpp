#include "webhooks/webhook_body.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>

namespace formation::host::webhooks {
namespace {

std::string allowed_events() {
  std::string text;
  for (auto name : kEventNames) text += (text.empty() ? "" : ", ") + std::string(name);
  return text;
}

}  // namespace

Result<WebhookRequest> parse_webhook_request(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError()) {
    return Status::invalid("body: invalid JSON at offset " + std::to_string(doc.GetErrorOffset()) +
                           ": " + rapidjson::GetParseError_En(doc.GetParseError()));
  }
  if (!doc.IsObject()) return Status::invalid("body: must be a JSON object");
  for (const auto& m : doc.GetObject()) {
    const std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (name != "url" && name != "events") {
      return Status::invalid("body: unknown field '" + std::string(name) +
                             "' (expected one of: url, events)");
    }
  }
  WebhookRequest out;
  const auto url = doc.FindMember("url");
  if (url == doc.MemberEnd() || url->value.IsNull()) {
    return Status::invalid("body: field 'url' is required");
  }
  if (!url->value.IsString()) return Status::invalid("body: field 'url' must be a string");
  out.url.assign(url->value.GetString(), url->value.GetStringLength());
  auto parsed = parse_webhook_url(out.url, "body: field 'url'");
  if (!parsed.is_ok()) return parsed.status();
  out.parsed = std::move(parsed).value();
  const auto events = doc.FindMember("events");
  if (events == doc.MemberEnd() || events->value.IsNull()) {
    return Status::invalid("body: field 'events' is required (a list of: " + allowed_events() +
                           ")");
  }
  if (!events->value.IsArray()) {
    return Status::invalid("body: field 'events' must be an array of strings");
  }
  const auto& list = events->value.GetArray();
  if (list.Empty()) return Status::invalid("body: field 'events' must not be empty");
  if (list.Size() > kMaxEvents) {
    return Status::invalid("body: field 'events' has " + std::to_string(list.Size()) +
                           " entries (at most " + std::to_string(kMaxEvents) + ")");
  }
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    const std::string where = "body: field 'events[" + std::to_string(i) + "]'";
    if (!list[i].IsString()) return Status::invalid(where + " must be a string");
    const std::string name(list[i].GetString(), list[i].GetStringLength());
    if (std::find(std::begin(kEventNames), std::end(kEventNames), name) == std::end(kEventNames)) {
      return Status::invalid(where + " '" + name.substr(0, 64) +
                             "' is not an event (one of: " + allowed_events() + ")");
    }
    if (std::find(out.events.begin(), out.events.end(), name) == out.events.end()) {
      out.events.push_back(name);
    }
  }
  return out;
}

}  // namespace formation::host::webhooks

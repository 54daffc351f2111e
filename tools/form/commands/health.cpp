// form health: GET /v1/health (no auth).
#include <rapidjson/document.h>

#include <ostream>

#include "api_client.hpp"
#include "cli.hpp"
#include "output.hpp"

namespace form {
namespace {

std::string string_member(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return {};
  auto it = object.FindMember(name);
  if (it == object.MemberEnd()) return {};
  if (it->value.IsString()) return it->value.GetString();
  if (it->value.IsInt64()) return std::to_string(it->value.GetInt64());
  if (it->value.IsBool()) return it->value.GetBool() ? "true" : "false";
  return {};
}

int health(Context& context, const Args&) {
  Response response = context.api().send(Request::get("/v1/health"));

  rapidjson::Document doc;
  doc.Parse(response.body.c_str(), response.body.size());
  const bool is_health = !doc.HasParseError() && doc.IsObject() && doc.HasMember("status");
  // A degraded server may answer 503 with a health document: show it, then fail below.
  if (!is_health) {
    if (response.status >= 400) throw api_error(response);
    throw CliError(Exit::kApiError,
                   "unexpected answer from " + context.api().base_url() + "/v1/health (HTTP " +
                       std::to_string(response.status) + ")",
                   "is --api the address of a formationd?");
  }

  const std::string status = string_member(doc, "status");
  if (context.json()) {
    print_raw_json(context.out(), response.body);
  } else {
    Table summary;
    summary.add_row({"status", status});
    summary.add_row({"version", string_member(doc, "version")});
    if (doc.HasMember("uptime_seconds") && doc["uptime_seconds"].IsNumber())
      summary.add_row({"uptime", format_duration(doc["uptime_seconds"].GetInt64())});
    summary.add_row({"api", context.api().base_url()});
    summary.print(context.out());

    if (doc.HasMember("plugins") && doc["plugins"].IsArray() && !doc["plugins"].Empty()) {
      Table plugins({"plugin", "instance", "kind", "version", "health", "detail"});
      for (const auto& p : doc["plugins"].GetArray()) {
        plugins.add_row({string_member(p, "name"), string_member(p, "instance"),
                         string_member(p, "kind"), string_member(p, "version"),
                         string_member(p, "health"), string_member(p, "detail")});
      }
      context.out() << '\n';
      plugins.print(context.out());
    }
  }

  if (status != "ok") {
    throw CliError(Exit::kApiError, "formationd reports status '" + status + "'",
                   "the plugin lines show which backend is unhealthy; formationd's log says why");
  }
  return 0;
}

const Registrar kHealth([] {
  Command c;
  c.name = "health";
  c.summary = "Show whether formationd is up: version, uptime and the health of every plugin";
  c.usage =
      "health\n"
      "\n"
      "Asks GET /v1/health (no key needed). Table output shows status, version, uptime\n"
      "and one line per plugin; --output json prints the server's JSON unchanged.\n"
      "Exits 1 when the server answers but its status is not 'ok'.";
  c.handler = health;
  return c;
}());

}  // namespace
}  // namespace form

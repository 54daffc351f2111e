// form usage [INSTANCE]: what instances used over their last metering period and since they
// were created (docs/cli.md, "form usage"; docs/api.md, "Usage").
#include <rapidjson/document.h>

#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "api_client.hpp"
#include "arguments.hpp"
#include "cli.hpp"
#include "json_reply.hpp"
#include "output.hpp"

namespace form {
namespace {

constexpr const char* kMetrics[] = {"cpu_seconds",        "cpu_percent_avg", "memory_gb",
                                    "memory_percent",     "storage_gb",      "network_egress_mb",
                                    "network_ingress_mb", "gpu_seconds"};

// Two decimals are what a person reads; --output json has the full values.
std::string number(const rapidjson::Value& metrics, const char* name) {
  if (!metrics.IsObject() || !metrics.HasMember(name) || !metrics[name].IsNumber()) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", metrics[name].GetDouble());
  return text;
}

void add_rows(Table& table, const rapidjson::Value& usage) {
  const std::string id = scalar(usage, "instance_id");
  const auto add = [&](const std::string& span, const rapidjson::Value* metrics) {
    std::vector<std::string> row{id, span};
    for (const char* m : kMetrics) row.push_back(metrics ? number(*metrics, m) : "-");
    table.add_row(std::move(row));
  };
  const auto& last = usage["last_period"];
  if (last.IsObject() && last.HasMember("period") && last.HasMember("metrics")) {
    add("last (" + scalar(last["period"], "start") + ")", &last["metrics"]);
  } else {
    add("last (none yet)", nullptr);
  }
  const auto& total = usage["since_creation"];
  if (total.IsObject() && total.HasMember("metrics")) {
    add("since " + scalar(total, "since"), &total["metrics"]);
  }
}

Table usage_table() {
  return Table({"instance", "period", "cpu s", "cpu %", "mem gb", "mem %", "disk gb", "egress mb",
                "ingress mb", "gpu s"});
}

Response get_usage(Context& context, const Args& args) {
  if (!args.positional.empty()) {
    const std::string id = id_argument(args, "instance ID", "'form instance list' shows them");
    if (args.has("owner")) throw usage_error("--owner is for the list; leave out the INSTANCE");
    Response response =
        context.api().send(Request::get(resource_path("instances", id, "usage"), Auth::kSigned));
    if (response.status == 404) {
      CliError base = api_error(response);
      throw CliError(base.code(), base.what(),
                     "no instance " + id + " that you may read; 'form instance list' shows yours");
    }
    return response;
  }
  std::string target = "/v1/usage";
  if (args.has("owner")) target += "?owner=" + percent_encode(args.get("owner"));
  return context.api().send(Request::get(target, Auth::kSigned));
}

int usage(Context& context, const Args& args) {
  Response response = get_usage(context, args);
  if (response.status == 501) {
    CliError base = api_error(response);
    throw CliError(base.code(), base.what(),
                   "this node meters nothing; its operator enables metering-usage in plugins.d/");
  }
  if (response.status >= 400) throw api_error(response);
  if (context.json()) {
    print_raw_json(context.out(), response.body);
    return 0;
  }
  rapidjson::Document doc = parse_object(response);
  Table table = usage_table();
  if (doc.HasMember("items") && doc["items"].IsArray()) {
    for (const auto& item : doc["items"].GetArray()) add_rows(table, item);
  } else {
    add_rows(table, doc);
  }
  if (table.empty()) {
    context.err() << "no instances, so no usage; 'form deploy' creates one\n";
  } else {
    table.print(context.out());
  }
  return 0;
}

const Registrar kUsage([] {
  Command c;
  c.name = "usage";
  c.summary = "Show what your instances used (last period and since creation)";
  c.usage =
      "usage [INSTANCE] [--owner ADDRESS]\n"
      "\n"
      "Without INSTANCE: GET /v1/usage, every instance you own (admins: --owner for\n"
      "another account's). With INSTANCE: GET /v1/instances/INSTANCE/usage (read access is\n"
      "enough). Two rows per instance: the last metering period and the sums since the\n"
      "instance was created (percentages are averages). Units: CPU seconds, % of the\n"
      "allocated vCPUs or memory, GB, decimal MB of network; the metered period is set by\n"
      "the node's operator (30 s by default).";
  c.options = {{"owner", "ADDRESS", "an admin reads another account's usage"}};
  c.max_args = 1;
  c.handler = usage;
  return c;
}());

}  // namespace
}  // namespace form

// form threshold add | list | remove: limits on what your instances use in one metering
// period; crossing one sends `threshold.violation` to your webhooks (docs/cli.md, "form
// threshold"; docs/api.md, "Thresholds"). The server checks the definition against the
// threshold schema and says which field is wrong.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <ostream>
#include <string>
#include <utility>

#include "api_client.hpp"
#include "arguments.hpp"
#include "cli.hpp"
#include "json_reply.hpp"
#include "output.hpp"
#include "paged_list.hpp"

namespace form {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

CliError threshold_error(const Response& response, const std::string& verb) {
  CliError base = api_error(response);
  std::string hint = base.hint();
  switch (response.status) {
    case 400:
      if (verb == "add")
        hint =
            "--resource is cpu, memory, storage, network_egress, network_ingress or gpu; --kind "
            "percent only for cpu and memory, with a --limit of at most 100";
      break;
    case 404:
      hint = verb == "add" ? "'form instance list' shows the instances you may read"
                           : "'form threshold list' shows your thresholds and their ids";
      break;
    case 409:
      if (verb == "add")
        hint = "'form threshold list' shows yours; 'form threshold remove ID' removes one";
      break;
    case 501:
      hint = "this node meters nothing; its operator enables metering-usage in plugins.d/";
      break;
    default: break;
  }
  return {base.code(), base.what(), hint};
}

Response call(Context& context, Request request, const std::string& verb) {
  return send_checked(context.api(), std::move(request),
                      [&](const Response& r) { return threshold_error(r, verb); });
}

double limit_value(const Args& args) {
  const std::string text = args.get("limit");
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0)
    throw usage_error("invalid --limit '" + text + "': expected a number >= 0",
                      "in the metric's unit per period (CPU seconds, GB, MB), or percent");
  return value;
}

std::string required(const Args& args, const std::string& option) {
  if (!args.values.count(option))
    throw usage_error("'form threshold add' needs --" + option,
                      "usage: form threshold add NAME --resource R --kind K --limit N "
                      "[--instance ID]");
  return args.get(option);
}

void put(JsonWriter& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

std::string scope_of(const rapidjson::Value& t) {
  const std::string instance = scalar(t, "instance_id");
  return instance.empty() ? "all your instances" : "instance " + instance;
}

int threshold_add(Context& context, const Args& args) {
  const std::string name = id_argument(args, "NAME", "a name like cpu-hot");
  const std::string resource = required(args, "resource");
  const std::string kind = required(args, "kind");
  required(args, "limit");
  const double limit = limit_value(args);
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  put(w, "name", name);
  put(w, "resource", resource);
  put(w, "kind", kind);
  w.Key("limit");
  w.Double(limit);
  if (args.values.count("instance")) put(w, "instance_id", args.get("instance"));
  w.EndObject();
  Response response =
      call(context, Request::with_body("POST", "/v1/thresholds", buffer.GetString()), "add");
  print_object(context, response, [&](const rapidjson::Value& doc, Table& table) {
    table.add_row({"id", scalar(doc, "id")});
    table.add_row({"name", scalar(doc, "name")});
    table.add_row({"limit", scalar(doc, "resource") + " " + scalar(doc, "kind") + " " +
                                scalar(doc, "limit")});
    table.add_row({"covers", scope_of(doc)});
  });
  return 0;
}

int threshold_list(Context& context, const Args& args) {
  const ListRequest request = paging_from(args, {"/v1/thresholds", "thresholds"});
  PagedList list = fetch_list(request, [&](const std::string& target) {
    return call(context, Request::get(target, Auth::kSigned), "list");
  });
  if (context.json()) {
    print_list_json(context, list, !request.all);
    return 0;
  }
  Table table({"id", "name", "resource", "kind", "limit", "covers"});
  for (const auto& t : list.items.GetArray()) {
    table.add_row({scalar(t, "id"), scalar(t, "name"), scalar(t, "resource"), scalar(t, "kind"),
                   scalar(t, "limit"), scope_of(t)});
  }
  if (table.empty())
    context.err() << "no thresholds; 'form threshold add NAME --resource cpu --kind percent "
                     "--limit 90' sets one\n";
  else
    table.print(context.out());
  if (!list.next.empty())
    context.err() << "more thresholds: run again with --page-token " << list.next
                  << " (or --all for every page)\n";
  return 0;
}

int threshold_remove(Context& context, const Args& args) {
  const std::string id =
      id_argument(args, "threshold ID", "'form threshold list' shows your thresholds");
  Request request = Request::del(resource_path("thresholds", id));
  call(context, std::move(request), "remove");
  if (context.json())
    context.out() << "{}\n";
  else
    context.out() << "removed threshold " << id << "\n";
  return 0;
}

const Registrar kThresholdAdd([] {
  Command c = one_argument_command(
      "threshold add", "Set a limit on what your instances use in one metering period",
      "threshold add NAME --resource R --kind absolute|percent --limit N [--instance ID]\n"
      "\n"
      "POST /v1/thresholds. R is cpu, memory, storage, network_egress, network_ingress or\n"
      "gpu. absolute: N in the metric's unit per period (CPU seconds, memory GB, disk GB,\n"
      "network MB, GPU seconds); percent: of the allocation, for cpu and memory, N at most\n"
      "100. With --instance it watches that instance (one you may read); without, the sum\n"
      "over all your instances (their mean for percent). A crossing sends one\n"
      "threshold.violation to your webhooks ('form webhook add URL --events threshold').",
      threshold_add);
  c.options = {{"resource", "R", "cpu, memory, storage, network_egress, network_ingress, gpu"},
               {"kind", "K", "absolute or percent"},
               {"limit", "N", "the limit (a number >= 0)"},
               {"instance", "ID", "only this instance"}};
  return c;
}());

const Registrar kThresholdList([] {
  Command c;
  c.name = "threshold list";
  c.summary = "List your thresholds";
  c.usage =
      "threshold list [--limit N] [--page-token TOKEN] [--all]\n"
      "\n"
      "GET /v1/thresholds, one page (--all: every page).";
  c.options = page_options("thresholds");
  c.handler = threshold_list;
  return c;
}());

const Registrar kThresholdRemove(one_argument_command("threshold remove",
                                                      "Remove one of your thresholds",
                                                      "threshold remove ID\n"
                                                      "\n"
                                                      "DELETE /v1/thresholds/ID.",
                                                      threshold_remove));

}  // namespace
}  // namespace form

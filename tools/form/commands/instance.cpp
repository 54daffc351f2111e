// form instance create | list | show | start | stop | reboot | delete | resize | attach-disk:
// VMs made from builds (docs/cli.md, "form instance"; docs/api.md, "Instances"). create, stop
// and delete answer 202 with an operation, which is followed like a build.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <iostream>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "api_client.hpp"
#include "arguments.hpp"
#include "build_flow.hpp"
#include "cli.hpp"
#include "json_reply.hpp"
#include "output.hpp"
#include "paged_list.hpp"

namespace form {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

std::string instance_id(const Args& args) {
  return id_argument(args, "instance ID",
                     "'form instance list' shows your instances and their ids");
}

std::string instance_path(const std::string& id, const std::string& action = {}) {
  return resource_path("instances", id, action);
}

// The least access level an action needs (docs/api.md, "Instance grants and transfer").
std::string level_needed(const std::string& verb) {
  if (verb == "start" || verb == "stop" || verb == "reboot") return "operator";
  if (verb == "resize" || verb == "attach-disk") return "manager";
  if (verb == "delete") return "owner";
  return "read_only";
}

// What to do about an error answer; `id` is the instance (for create: the build).
CliError instance_error(const Response& response, const std::string& verb, const std::string& id) {
  CliError base = api_error(response);
  std::string hint = base.hint();
  switch (response.status) {
    case 402: hint = "your account is out of credit; add credits, then retry"; break;
    case 403:
      if (verb != "create" && verb != "list")
        hint = "'" + verb + "' needs " + level_needed(verb) + " access to instance " + id +
               "; ask its owner for a grant";
      break;
    case 404:
      if (verb == "create")
        hint = "no build " + id + " you can see; 'form pack list' shows your builds";
      else if (verb != "list")
        hint = "no instance " + id + " you can see; 'form instance list'";
      break;
    case 409:
      if (verb == "create")
        hint = "the build must be Built ('form pack status " + id +
               "') and the node must have room for it ('form node list' shows what is available)";
      else
        hint = "see 'form instance show " + id + "'";
      break;
    case 501: hint = "this formationd has no VM plugin enabled; ask its operator"; break;
    default: break;
  }
  return {base.code(), base.what(), hint};
}

Response call(Context& context, Request request, const std::string& verb, const std::string& id) {
  return send_checked(context.api(), std::move(request),
                      [&](const Response& r) { return instance_error(r, verb, id); });
}

std::string with_unit(const std::string& value, const char* unit) {
  return value.empty() ? value : value + " " + unit;
}

std::string or_dash(const std::string& value) { return value.empty() ? "-" : value; }

std::string disks_text(const rapidjson::Value& instance) {
  std::string text = with_unit(scalar(instance, "disk_gb"), "GB");
  if (!instance.HasMember("extra_disks_gb") || !instance["extra_disks_gb"].IsArray()) return text;
  std::string extra;
  for (const auto& disk : instance["extra_disks_gb"].GetArray()) {
    if (!disk.IsNumber()) continue;
    const long long gb =
        disk.IsInt64() ? disk.GetInt64() : static_cast<long long>(disk.GetDouble());
    extra += (extra.empty() ? "" : ", ") + std::to_string(gb) + " GB";
  }
  if (!extra.empty()) text += " (extra disks: " + extra + ")";
  return text;
}

void add_instance_rows(Table& table, const rapidjson::Value& instance) {
  std::string state = scalar(instance, "state");
  const std::string desired = scalar(instance, "desired_state");
  // While an operation runs the two differ; showing both explains a "Started" that is stopping.
  if (!desired.empty() && desired != state) state += " (desired: " + desired + ")";
  table.add_row({"id", scalar(instance, "id")});
  table.add_row({"name", scalar(instance, "name")});
  table.add_row({"state", state});
  table.add_row({"vcpus", scalar(instance, "vcpus")});
  table.add_row({"memory", with_unit(scalar(instance, "memory_mb"), "MB")});
  table.add_row({"disk", disks_text(instance)});
  table.add_row({"node", scalar(instance, "node_id")});
  table.add_row({"build", scalar(instance, "build_id")});
  table.add_row({"formnet ip", or_dash(scalar(instance, "formnet_ip"))});
  table.add_row({"dns name", or_dash(scalar(instance, "dns_name"))});
  if (!scalar(instance, "error").empty()) table.add_row({"error", scalar(instance, "error")});
}

const rapidjson::Value& member_object(const rapidjson::Value& doc, const char* member,
                                      const char* route) {
  if (!doc.HasMember(member) || !doc[member].IsObject())
    throw CliError(Exit::kApiError,
                   std::string("unexpected answer from ") + route + ": no " + member);
  return doc[member];
}

// An instance answer: the instance itself, or (member set) an object holding it.
void print_instance(Context& context, const Response& response, const char* member = nullptr,
                    const char* route = "") {
  print_object(context, response, [&](const rapidjson::Value& doc, Table& table) {
    add_instance_rows(table, member ? member_object(doc, member, route) : doc);
  });
}

void add_size(JsonWriter& w, const Args& args, const char* option, const char* field) {
  if (!args.values.count(option)) return;
  w.Key(field);
  w.Int64(positive_integer(args, option));
}

struct OperationVerb {
  const char* gerund;  // "creating"
  const char* route;   // for messages about unexpected answers
  bool removes;        // the instance is gone once the operation succeeded
};

const OperationVerb kCreate{"creating", "POST /v1/instances", false};
const OperationVerb kStop{"stopping", "POST /v1/instances/{id}/stop", false};
const OperationVerb kDelete{"deleting", "DELETE /v1/instances/{id}", true};

// The rest of a 202 {"instance", "operation"}: report it, follow the operation unless
// --no-wait, then print the outcome.
int finish_operation(Context& context, const Args& args, const Response& accepted,
                     const OperationVerb& verb) {
  rapidjson::Document doc = parse_object(accepted);
  const std::string id = scalar(member_object(doc, "instance", verb.route), "id");
  const std::string operation_id = scalar(member_object(doc, "operation", verb.route), "id");
  if (id.empty() || operation_id.empty())
    throw CliError(Exit::kApiError, std::string("unexpected answer from ") + verb.route +
                                        ": no instance id or operation id");
  const bool quiet = args.has("quiet");
  if (!quiet)
    context.err() << verb.gerund << " instance " << id << " (operation " << operation_id << ")\n";
  if (args.has("no-wait")) {
    if (context.json())
      print_raw_json(context.out(), accepted.body);
    else
      context.out() << id << '\n';
    return 0;
  }
  Response done = follow_operation(context, operation_id, quiet,
                                   std::string(verb.gerund) + " instance " + id + " failed",
                                   "'form instance show " + id + "' shows its state and error");
  if (verb.removes) {
    // GET would answer 404 now; the finished operation is what there is to show.
    if (context.json())
      print_raw_json(context.out(), done.body);
    else
      context.out() << "deleted " << id << '\n';
    return 0;
  }
  print_instance(context,
                 call(context, Request::get(instance_path(id), Auth::kSigned), "show", id));
  return 0;
}

int instance_create(Context& context, const Args& args) {
  if (!args.values.count("build"))
    throw usage_error("'form instance create' needs --build BUILD_ID",
                      "'form pack list' shows your builds; 'form deploy DIR' builds and creates");
  const std::string build = args.get("build");
  if (build.empty()) throw usage_error("--build must not be empty");
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("build_id");
  w.String(build.c_str());
  if (args.values.count("name")) {
    const std::string name = args.get("name");
    if (name.empty()) throw usage_error("--name must not be empty");
    w.Key("name");
    w.String(name.c_str());
  }
  add_size(w, args, "vcpus", "vcpus");
  add_size(w, args, "memory", "memory_mb");
  add_size(w, args, "disk", "disk_gb");
  w.EndObject();
  Response accepted = call(context, Request::with_body("POST", "/v1/instances", buffer.GetString()),
                           "create", build);
  return finish_operation(context, args, accepted, kCreate);
}

int instance_list(Context& context, const Args& args) {
  const ListRequest request = paging_from(args, {"/v1/instances", "instances"});
  PagedList list = fetch_list(request, [&](const std::string& target) {
    return call(context, Request::get(target, Auth::kSigned), "list", {});
  });
  const std::string& next = list.next;
  if (context.json()) {
    print_list_json(context, list, !request.all);
    return 0;
  }
  Table table({"id", "name", "state", "vcpus", "memory", "node"});
  for (const auto& item : list.items.GetArray())
    table.add_row({scalar(item, "id"), scalar(item, "name"), scalar(item, "state"),
                   scalar(item, "vcpus"), with_unit(scalar(item, "memory_mb"), "MB"),
                   scalar(item, "node_id")});
  if (table.empty())
    context.err() << "no instances; 'form instance create --build BUILD_ID' makes one\n";
  else
    table.print(context.out());
  if (!next.empty())
    context.err() << "more instances: run again with --page-token " << next
                  << " (or --all for every page)\n";
  return 0;
}

int instance_show(Context& context, const Args& args) {
  const std::string id = instance_id(args);
  print_instance(context,
                 call(context, Request::get(instance_path(id), Auth::kSigned), "show", id));
  return 0;
}

// start and reboot: a POST without body answering 200 with the instance.
int simple_action(Context& context, const Args& args, const std::string& verb) {
  const std::string id = instance_id(args);
  print_instance(context,
                 call(context, Request::with_body("POST", instance_path(id, verb), ""), verb, id));
  return 0;
}

int instance_start(Context& context, const Args& args) {
  return simple_action(context, args, "start");
}

int instance_reboot(Context& context, const Args& args) {
  return simple_action(context, args, "reboot");
}

int instance_stop(Context& context, const Args& args) {
  const std::string id = instance_id(args);
  Response accepted =
      call(context, Request::with_body("POST", instance_path(id, "stop"), ""), "stop", id);
  return finish_operation(context, args, accepted, kStop);
}

bool confirmed(Context& context, const std::string& id) {
  context.err() << "Delete instance " << id
                << "? The VM and its disks are destroyed. Type 'yes' to confirm: " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  while (!answer.empty() && std::isspace(static_cast<unsigned char>(answer.back())))
    answer.pop_back();
  for (char& c : answer) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return answer == "yes" || answer == "y";
}

int instance_delete(Context& context, const Args& args) {
  const std::string id = instance_id(args);
  if (!args.has("yes")) {
    if (::isatty(STDIN_FILENO) == 0)
      throw usage_error(
          "refusing to delete instance " + id + " without confirmation: stdin is not a terminal",
          "pass --yes to delete without asking");
    if (!confirmed(context, id)) {
      context.err() << "not deleted\n";
      return static_cast<int>(Exit::kApiError);
    }
  }
  Request request = Request::del(instance_path(id));
  Response accepted = call(context, std::move(request), "delete", id);
  return finish_operation(context, args, accepted, kDelete);
}

int instance_resize(Context& context, const Args& args) {
  const std::string id = instance_id(args);
  if (!args.values.count("vcpus") && !args.values.count("memory"))
    throw usage_error("'form instance resize' needs --vcpus N or --memory MB (or both)",
                      "usage: form instance resize ID [--vcpus N] [--memory MB]");
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  add_size(w, args, "vcpus", "vcpus");
  add_size(w, args, "memory", "memory_mb");
  w.EndObject();
  print_instance(
      context,
      call(context, Request::with_body("POST", instance_path(id, "resize"), buffer.GetString()),
           "resize", id));
  return 0;
}

int instance_attach_disk(Context& context, const Args& args) {
  const std::string id = instance_id(args);
  if (!args.values.count("size"))
    throw usage_error("'form instance attach-disk' needs --size GB",
                      "usage: form instance attach-disk ID --size GB");
  const std::string body = "{\"size_gb\":" + std::to_string(positive_integer(args, "size")) + "}";
  Response response = call(context, Request::with_body("POST", instance_path(id, "disks"), body),
                           "attach-disk", id);
  if (context.json()) {
    print_raw_json(context.out(), response.body);
    return 0;
  }
  const char* const route = "POST /v1/instances/{id}/disks";
  rapidjson::Document doc = parse_object(response);
  Table table;
  table.add_row({"new disk", or_dash(scalar(doc, "device")) + " (" + args.get("size") + " GB)"});
  add_instance_rows(table, member_object(doc, "instance", route));
  table.print(context.out());
  return 0;
}

const std::vector<OptionSpec> kFollowOptions = {
    {"no-wait", "", "print the instance id at once, without following the operation"},
    {"quiet", "", "no progress on stderr"}};

const Registrar kInstanceCreate([] {
  Command c;
  c.name = "instance create";
  c.summary = "Create a VM from one of your builds";
  c.usage =
      "instance create --build BUILD_ID [--name NAME] [--vcpus N] [--memory MB] [--disk GB]\n"
      "                [--no-wait] [--quiet]\n"
      "\n"
      "POST /v1/instances, then follows the operation (progress on stderr) and prints the\n"
      "instance (--output json: the server's JSON). Sizes default to the build's. With\n"
      "--no-wait it prints the instance id at once (json: the 202 answer).";
  c.options = {{"build", "BUILD_ID", "the build to boot (required; 'form pack list')"},
               {"name", "NAME", "a name for the instance"},
               {"vcpus", "N", "virtual CPUs (default: the build's)"},
               {"memory", "MB", "memory in MB (default: the build's)"},
               {"disk", "GB", "root disk in GB (default: the build's)"}};
  c.options.insert(c.options.end(), kFollowOptions.begin(), kFollowOptions.end());
  c.handler = instance_create;
  return c;
}());

const Registrar kInstanceList([] {
  Command c;
  c.name = "instance list";
  c.summary = "List the instances you own or were granted";
  c.usage =
      "instance list [--limit N] [--page-token TOKEN] [--all]\n"
      "\n"
      "GET /v1/instances, one page (of at most N instances; the server's default otherwise).\n"
      "When there are more, stderr says which --page-token gives the next page; --all\n"
      "follows the tokens and prints every instance (--output json: one document,\n"
      "{\"instances\": [...], \"next_page_token\": \"\"}).";
  c.options = page_options("instances");
  c.handler = instance_list;
  return c;
}());

Command with_id(const char* name, const char* summary, const char* usage, Handler handler) {
  Command c;
  c.name = name;
  c.summary = summary;
  c.usage = usage;
  c.min_args = 1;
  c.max_args = 1;
  c.handler = std::move(handler);
  return c;
}

const Registrar kInstanceShow(with_id("instance show", "Show an instance",
                                      "instance show ID\n"
                                      "\n"
                                      "GET /v1/instances/ID (read_only access or more).",
                                      instance_show));

const Registrar kInstanceStart(with_id("instance start", "Boot a created or stopped instance",
                                       "instance start ID\n"
                                       "\n"
                                       "POST /v1/instances/ID/start (operator access or more).\n"
                                       "Prints the instance.",
                                       instance_start));

const Registrar kInstanceReboot(with_id("instance reboot", "Reboot a running instance",
                                        "instance reboot ID\n"
                                        "\n"
                                        "POST /v1/instances/ID/reboot (operator access or more).\n"
                                        "Prints the instance.",
                                        instance_reboot));

const Registrar kInstanceStop([] {
  Command c = with_id("instance stop", "Power an instance off (ACPI, forced after a timeout)",
                      "instance stop ID [--no-wait] [--quiet]\n"
                      "\n"
                      "POST /v1/instances/ID/stop (operator access or more), then follows the\n"
                      "operation and prints the instance; --no-wait prints its id at once.",
                      instance_stop);
  c.options = kFollowOptions;
  return c;
}());

const Registrar kInstanceDelete([] {
  Command c = with_id("instance delete", "Delete an instance and its disks",
                      "instance delete ID [--yes] [--no-wait] [--quiet]\n"
                      "\n"
                      "DELETE /v1/instances/ID (the owner only), then follows the operation and\n"
                      "prints 'deleted ID' (--output json: the finished operation). Asks for\n"
                      "confirmation on a terminal; without a terminal on stdin it refuses\n"
                      "(exit 2) unless --yes is given.",
                      instance_delete);
  c.options = {{"yes", "", "do not ask for confirmation"}};
  c.options.insert(c.options.end(), kFollowOptions.begin(), kFollowOptions.end());
  return c;
}());

const Registrar kInstanceResize([] {
  Command c = with_id("instance resize", "Change the vCPUs or memory of an instance",
                      "instance resize ID [--vcpus N] [--memory MB]\n"
                      "\n"
                      "POST /v1/instances/ID/resize (manager access or more) with at least one\n"
                      "of the two. What cannot be done live (shrinking the memory of a running\n"
                      "instance) is refused with the reason, and nothing changes.",
                      instance_resize);
  c.options = {{"vcpus", "N", "the new number of virtual CPUs"},
               {"memory", "MB", "the new memory in MB"}};
  return c;
}());

const Registrar kInstanceAttachDisk([] {
  Command c = with_id("instance attach-disk", "Add a data disk to an instance",
                      "instance attach-disk ID --size GB\n"
                      "\n"
                      "POST /v1/instances/ID/disks (manager access or more). Prints the new\n"
                      "disk's device (vdb, vdc, ...) and the instance.",
                      instance_attach_disk);
  c.options = {{"size", "GB", "size of the new disk in GB (required)"}};
  return c;
}());

}  // namespace
}  // namespace form

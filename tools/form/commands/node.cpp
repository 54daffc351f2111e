// form node list | show: the hosts of the network and how much of them is free (docs/cli.md,
// "form node"; docs/api.md, "Instances").
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cctype>
#include <ostream>
#include <string>
#include <vector>

#include "api_client.hpp"
#include "arguments.hpp"
#include "cli.hpp"
#include "json_reply.hpp"
#include "output.hpp"
#include "paged_list.hpp"

namespace form {
namespace {

// "vcpus/memory_mb/disk_gb" of capacity, allocated or available: one column each keeps the
// list narrow, and the three read the same way.
std::string resources(const rapidjson::Value& node, const char* member) {
  if (!node.HasMember(member) || !node[member].IsObject()) return "-";
  const auto& r = node[member];
  return scalar(r, "vcpus") + "/" + scalar(r, "memory_mb") + "/" + scalar(r, "disk_gb");
}

int node_list(Context& context, const Args&) {
  // Nodes are few, so every page is fetched; one page is passed through as sent.
  ListRequest request{"/v1/nodes", "nodes"};
  request.all = true;
  PagedList list = fetch_list(request, [&](const std::string& target) {
    return context.api().call(Request::get(target, Auth::kSigned));
  });
  if (context.json()) {
    print_list_json(context, list, list.pages == 1);
    return 0;
  }
  Table table({"id", "region", "public ip", "capacity", "allocated", "available"});
  for (const auto& node : list.items.GetArray())
    table.add_row({scalar(node, "id"), scalar(node, "region"), scalar(node, "public_ip"),
                   resources(node, "capacity"), resources(node, "allocated"),
                   resources(node, "available")});
  if (table.empty())
    context.err() << "no nodes have joined this network yet\n";
  else
    table.print(context.out());
  return 0;
}

int node_show(Context& context, const Args& args) {
  const std::string id = id_argument(args, "node ID", "'form node list' shows them");
  Response response = context.api().send(Request::get(resource_path("nodes", id), Auth::kSigned));
  if (response.status == 404) {
    CliError base = api_error(response);
    throw CliError(base.code(), base.what(), "no node " + id + "; 'form node list' shows them");
  }
  if (response.status >= 400) throw api_error(response);
  print_object(context, response, [&](const rapidjson::Value& doc, Table& table) {
    table.add_row({"id", scalar(doc, "id")});
    table.add_row({"region", scalar(doc, "region")});
    table.add_row({"public ip", scalar(doc, "public_ip")});
    table.add_row({"endpoint", scalar(doc, "endpoint")});
    table.add_row({"capacity", resources(doc, "capacity")});
    table.add_row({"allocated", resources(doc, "allocated")});
    table.add_row({"available", resources(doc, "available")});
    table.add_row({"heartbeat", scalar(doc, "heartbeat_at")});
    table.add_row({"created", scalar(doc, "created_at")});
  });
  return 0;
}

const Registrar kNodeList([] {
  Command c;
  c.name = "node list";
  c.summary = "List the nodes and their free capacity";
  c.usage =
      "node list\n"
      "\n"
      "GET /v1/nodes (every page). CAPACITY, ALLOCATED and AVAILABLE read\n"
      "vCPUs/memory MB/disk GB.";
  c.handler = node_list;
  return c;
}());

const Registrar kNodeShow([] {
  Command c;
  c.name = "node show";
  c.summary = "Show a node";
  c.usage =
      "node show ID\n"
      "\n"
      "GET /v1/nodes/ID; the id is the operator address of the host. Resources read\n"
      "vCPUs/memory MB/disk GB.";
  c.min_args = 1;
  c.max_args = 1;
  c.handler = node_show;
  return c;
}());

}  // namespace
}  // namespace form

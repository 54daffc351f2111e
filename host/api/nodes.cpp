#include "api/nodes.hpp"

#include <memory>

#include "api/api_support.hpp"
#include "api/resource_json.hpp"

namespace formation::host::api {
namespace {

Result<HttpResponse> list_nodes(const ApiContext& context, const HttpRequest& request) {
  auto page = page_request(request.query);
  if (!page.is_ok()) return page.status();
  auto tx = begin(context);
  if (!tx.is_ok()) return tx.status();
  auto nodes = (*tx)->nodes().list(*page);
  if (!nodes.is_ok()) return nodes.status();
  return json_response(200, [&](JsonWriter& w) {
    w.StartObject();
    w.Key("nodes");
    w.StartArray();
    for (const auto& n : nodes->items) write_node(w, n);
    w.EndArray();
    put_string(w, "next_page_token", nodes->next_page_token);
    w.EndObject();
  });
}

Result<HttpResponse> get_node(const ApiContext& context, const HttpRequest& request) {
  auto id = normalize_address(request.path_param("id"), "node id");
  if (!id.is_ok()) return id.status();
  auto tx = begin(context);
  if (!tx.is_ok()) return tx.status();
  auto node = (*tx)->nodes().get(*id);
  if (!node.is_ok()) {
    if (node.status().code() == StatusCode::not_found) return Status::not_found("no node " + *id);
    return node.status();
  }
  return json_response(200, [&](JsonWriter& w) { write_node(w, *node); });
}

}  // namespace

Status add_node_routes(Router& router, ApiContext context) {
  auto shared = std::make_shared<const ApiContext>(std::move(context));
  Route list;
  list.method = "GET";
  list.pattern = "/v1/nodes";
  list.handler = [shared](const HttpRequest& r) { return list_nodes(*shared, r); };
  if (auto st = router.add(std::move(list), "host"); !st.is_ok()) return st;
  Route one;
  one.method = "GET";
  one.pattern = "/v1/nodes/{id}";
  one.handler = [shared](const HttpRequest& r) { return get_node(*shared, r); };
  return router.add(std::move(one), "host");
}

}  // namespace formation::host::api

#include "paged_list.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <ostream>

#include "arguments.hpp"
#include "json_reply.hpp"
#include "output.hpp"

namespace form {
namespace {
// More pages than this means the server keeps answering the same token.
constexpr int kMaxPages = 100000;
}  // namespace

PagedList fetch_list(const ListRequest& request,
                     const std::function<Response(const std::string& target)>& fetch) {
  PagedList list;
  list.list_key = request.list_key;
  auto& alloc = list.items.GetAllocator();
  std::string token = request.page_token;
  for (;; ++list.pages) {
    if (list.pages >= kMaxPages)
      throw CliError(Exit::kApiError, "the server keeps answering more pages; stopped",
                     "list without --all, a page at a time (--page-token)");
    std::string target = request.path;
    std::string q = request.query;
    if (!token.empty())
      q += (q.empty() ? "" : "&") + std::string("page_token=") + percent_encode(token);
    if (!q.empty()) target += "?" + q;
    Response response = fetch(target);
    rapidjson::Document doc = parse_object(response);
    std::string key = request.list_key;
    if (!doc.HasMember(key.c_str()) && !request.alternate_key.empty()) key = request.alternate_key;
    if (!doc.HasMember(key.c_str()) || !doc[key.c_str()].IsArray())
      throw CliError(Exit::kApiError,
                     "unexpected answer from GET " + request.path + ": no " + request.list_key);
    list.list_key = key;
    for (auto& item : doc[key.c_str()].GetArray())
      list.items.PushBack(rapidjson::Value(item, alloc), alloc);
    if (list.pages == 0) list.first_body = response.body;
    list.next = scalar(doc, "next_page_token");
    if (!request.all) break;
    if (list.next.empty() || list.next == token) break;
    token = list.next;
  }
  if (request.all) list.next.clear();
  ++list.pages;
  return list;
}

void print_list_json(Context& context, const PagedList& list, bool as_sent) {
  if (as_sent) {
    print_raw_json(context.out(), list.first_body);
    return;
  }
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key(list.list_key.c_str());
  list.items.Accept(w);
  w.Key("next_page_token");
  w.String("");
  w.EndObject();
  context.out() << buffer.GetString() << '\n';
}

ListRequest paging_from(const Args& args, ListRequest base) {
  base.all = args.has("all");
  if (args.values.count("limit"))
    base.query = "limit=" + std::to_string(positive_integer(args, "limit"));
  base.page_token = args.get("page-token");
  return base;
}

}  // namespace form

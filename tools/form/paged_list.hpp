// Listing commands: one page of GET /v1/<things> (limit, page_token), or every page with
// --all, merged; and their JSON output (one page as the server sent it, several merged
// into one document shaped like the last page).
#pragma once

#include <rapidjson/document.h>

#include <functional>
#include <string>

#include "api_client.hpp"

namespace form {

struct PagedList {
  rapidjson::Document items{rapidjson::kArrayType};
  std::string list_key;    // the member the server used ("accounts", "instances", ...)
  std::string next;        // the page token of the next page; empty after the last or --all
  std::string first_body;  // the first page as sent
  int pages = 0;
};

struct ListRequest {
  std::string path;           // "/v1/instances"
  std::string list_key;       // "instances"
  std::string alternate_key;  // also accepted when the server uses it ("items"); may be empty
  std::string query;          // "limit=5", or empty
  std::string page_token;     // where to start
  bool all = false;           // follow next_page_token to the end
};

// `base` with what the command line asked for: --limit N, --page-token TOKEN, --all.
ListRequest paging_from(const Args& args, ListRequest base);

// `fetch` sends GET TARGET (signed) and returns the answer, throwing the command's own errors.
PagedList fetch_list(const ListRequest& request,
                     const std::function<Response(const std::string& target)>& fetch);

// -o json: the first page as sent when `as_sent`, else the merged document
// {"<list_key>": [...], "next_page_token": ""}.
void print_list_json(Context& context, const PagedList& list, bool as_sent);

}  // namespace form

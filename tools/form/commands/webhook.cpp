// form webhook add | list | remove | deliveries: URLs of yours that receive your usage and
// threshold events (docs/cli.md, "form webhook"; docs/webhooks.md for what a receiver gets
// and how it checks the signature). The server checks URLs and event names and says what is
// wrong; the secret of a webhook is in the answer of add and never again.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "api_client.hpp"
#include "arguments.hpp"
#include "cli.hpp"
#include "json_reply.hpp"
#include "output.hpp"
#include "paged_list.hpp"

namespace form {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

const char* const kEventNames = "usage, threshold, usage.sample or threshold.violation";

std::string webhook_id(const Args& args) {
  return id_argument(args, "webhook ID", "'form webhook list' shows your webhooks");
}

std::string webhook_path(const std::string& id, const std::string& action = {}) {
  return resource_path("webhooks", id, action);
}

// "usage,threshold" (or repeated --events) as a list; spaces around names are dropped.
std::vector<std::string> event_list(const Args& args) {
  std::vector<std::string> values = args.all("events");
  if (values.empty()) values.emplace_back("usage,threshold");
  std::vector<std::string> events;
  for (const std::string& value : values) {
    std::size_t start = 0;
    while (start <= value.size()) {
      std::size_t end = value.find(',', start);
      if (end == std::string::npos) end = value.size();
      std::string name = value.substr(start, end - start);
      const auto first = name.find_first_not_of(' ');
      const auto last = name.find_last_not_of(' ');
      name = first == std::string::npos ? "" : name.substr(first, last - first + 1);
      if (!name.empty()) events.push_back(std::move(name));
      start = end + 1;
    }
  }
  if (events.empty())
    throw usage_error("--events must name at least one event",
                      std::string("give a comma-separated list of ") + kEventNames);
  return events;
}

// What to do about an error answer of `verb`.
CliError webhook_error(const Response& response, const std::string& verb) {
  CliError base = api_error(response);
  std::string hint = base.hint();
  switch (response.status) {
    case 400:
      if (verb == "add" && std::string(base.what()).find("'events") != std::string::npos) {
        hint = std::string("--events takes a comma-separated list of ") + kEventNames;
      } else if (verb == "add") {
        hint =
            "the url must be http:// or https:// and not a link-local or cloud metadata address "
            "(docs/webhooks.md, \"Which URLs\")";
      }
      break;
    case 404:
      if (verb != "list") hint = "'form webhook list' shows your webhooks and their ids";
      break;
    case 409:
      if (verb == "add")
        hint = "'form webhook list' shows your webhooks; 'form webhook remove ID' removes one";
      break;
    default: break;
  }
  return {base.code(), base.what(), hint};
}

Response call(Context& context, Request request, const std::string& verb) {
  return send_checked(context.api(), std::move(request),
                      [&](const Response& r) { return webhook_error(r, verb); });
}

std::string events_text(const rapidjson::Value& hook) {
  std::string text;
  if (!hook.HasMember("events") || !hook["events"].IsArray()) return text;
  for (const auto& e : hook["events"].GetArray()) {
    if (e.IsString()) text += (text.empty() ? "" : ",") + std::string(e.GetString());
  }
  return text;
}

int webhook_add(Context& context, const Args& args) {
  const std::string& url = args.positional[0];
  if (url.empty())
    throw usage_error("the URL must not be empty", "usage: form webhook add URL --events usage");
  const std::vector<std::string> events = event_list(args);
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("url");
  w.String(url.c_str(), static_cast<rapidjson::SizeType>(url.size()));
  w.Key("events");
  w.StartArray();
  for (const std::string& e : events)
    w.String(e.c_str(), static_cast<rapidjson::SizeType>(e.size()));
  w.EndArray();
  w.EndObject();
  Response response =
      call(context, Request::with_body("POST", "/v1/webhooks", buffer.GetString()), "add");
  print_object(context, response, [&](const rapidjson::Value& doc, Table& table) {
    table.add_row({"id", scalar(doc, "id")});
    table.add_row({"url", scalar(doc, "url")});
    table.add_row({"events", events_text(doc)});
    table.add_row({"secret", scalar(doc, "secret")});
    table.add_row({"created", scalar(doc, "created_at")});
  });
  if (context.json()) return 0;
  context.err() << "the secret is shown only now and will not be shown again: store it where "
                   "your receiver checks X-Formation-Signature with it\n";
  return 0;
}

int webhook_list(Context& context, const Args& args) {
  const ListRequest request = paging_from(args, {"/v1/webhooks", "webhooks"});
  PagedList list = fetch_list(request, [&](const std::string& target) {
    return call(context, Request::get(target, Auth::kSigned), "list");
  });
  if (context.json()) {
    print_list_json(context, list, !request.all);
    return 0;
  }
  Table table({"id", "url", "events", "created"});
  for (const auto& hook : list.items.GetArray()) {
    table.add_row(
        {scalar(hook, "id"), scalar(hook, "url"), events_text(hook), scalar(hook, "created_at")});
  }
  if (table.empty())
    context.err() << "no webhooks; 'form webhook add URL --events usage' registers one\n";
  else
    table.print(context.out());
  if (!list.next.empty())
    context.err() << "more webhooks: run again with --page-token " << list.next
                  << " (or --all for every page)\n";
  return 0;
}

int webhook_remove(Context& context, const Args& args) {
  const std::string id = webhook_id(args);
  Request request = Request::del(webhook_path(id));
  call(context, std::move(request), "remove");
  if (context.json())
    context.out() << "{}\n";
  else
    context.out() << "removed webhook " << id << " (and its pending deliveries)\n";
  return 0;
}

int webhook_deliveries(Context& context, const Args& args) {
  const std::string id = webhook_id(args);
  const ListRequest request = paging_from(args, {webhook_path(id, "deliveries"), "deliveries"});
  PagedList list = fetch_list(request, [&](const std::string& target) {
    return call(context, Request::get(target, Auth::kSigned), "deliveries");
  });
  if (context.json()) {
    print_list_json(context, list, !request.all);
    return 0;
  }
  Table table({"id", "event", "state", "attempts", "next_attempt", "last_error"});
  for (const auto& d : list.items.GetArray()) {
    table.add_row({scalar(d, "id"), scalar(d, "event_type"), scalar(d, "state"),
                   scalar(d, "attempts"), scalar(d, "next_attempt_at"), scalar(d, "last_error")});
  }
  if (table.empty())
    context.err() << "no deliveries yet for webhook " << id
                  << "; they appear when your instances report usage\n";
  else
    table.print(context.out());
  if (!list.next.empty())
    context.err() << "more deliveries: run again with --page-token " << list.next
                  << " (or --all for every page)\n";
  return 0;
}

const Registrar kWebhookAdd([] {
  Command c = one_argument_command(
      "webhook add", "Register a URL that receives your usage and threshold events",
      "webhook add URL [--events usage,threshold]\n"
      "\n"
      "POST /v1/webhooks. URL is http:// or https:// (not link-local or a cloud metadata\n"
      "address). Each event is POSTed as JSON with X-Formation-Event, X-Formation-Delivery\n"
      "(the same for a repeated delivery: drop repeats) and X-Formation-Signature (hex\n"
      "HMAC-SHA256 of the body with the webhook's secret; docs/webhooks.md). Prints the\n"
      "webhook with its secret, which is shown only this once.",
      webhook_add);
  c.options = {{"events", "LIST",
                "comma-separated: usage, threshold, usage.sample, threshold.violation "
                "(default usage,threshold)"}};
  return c;
}());

const Registrar kWebhookList([] {
  Command c;
  c.name = "webhook list";
  c.summary = "List your webhooks";
  c.usage =
      "webhook list [--limit N] [--page-token TOKEN] [--all]\n"
      "\n"
      "GET /v1/webhooks, one page (secrets are never listed). When there are more, stderr\n"
      "says which --page-token gives the next page; --all prints every webhook.";
  c.options = page_options("webhooks");
  c.handler = webhook_list;
  return c;
}());

const Registrar kWebhookRemove(
    one_argument_command("webhook remove", "Remove one of your webhooks",
                         "webhook remove ID\n"
                         "\n"
                         "DELETE /v1/webhooks/ID, with its deliveries not yet\n"
                         "made. Prints 'removed webhook ID'.",
                         webhook_remove));

const Registrar kWebhookDeliveries([] {
  Command c = one_argument_command(
      "webhook deliveries", "Show what was sent to a webhook, and what waits",
      "webhook deliveries ID [--limit N] [--page-token TOKEN] [--all]\n"
      "\n"
      "GET /v1/webhooks/ID/deliveries: each event for it, its state (pending, in_flight,\n"
      "delivered, dead), attempts, the next attempt and the last error.",
      webhook_deliveries);
  c.options = page_options("deliveries");
  return c;
}());

}  // namespace
}  // namespace form

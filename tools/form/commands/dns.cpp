// form dns add | update | remove | list | show | verify: vanity names under the network's zone
// and custom domains of your own (docs/cli.md, "form dns"; docs/api.md, "DNS"). A NAME
// without a dot is relative to the network's zone ("web" is web.<zone>); names are checked
// by the server, which says what is wrong.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
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

std::string record_name(const Args& args) {
  return id_argument(args, "NAME",
                     "'form dns list' shows your names; 'web' means web.<the network's zone>");
}

std::string record_path(const std::string& name, const std::string& action = {}) {
  return resource_path("dns/records", name, action);
}

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

// What to do about an error answer of `verb` on `name`.
CliError dns_error(const Response& response, const std::string& verb, const std::string& name) {
  CliError base = api_error(response);
  std::string hint = base.hint();
  switch (response.status) {
    case 403:
      hint = "the name is reserved or belongs to another account; choose another name";
      break;
    case 404:
      if (verb == "update")
        hint = "'form dns add " + name + " ...' creates it";
      else if (verb == "verify")
        hint = "'form dns add " + name + " --type A --value ADDRESS' first, then verify";
      else if (verb != "list")
        hint = "'form dns list' shows your names";
      break;
    case 409:
      if (verb == "add") hint = "to change an existing record: 'form dns update " + name + " ...'";
      break;
    case 501:
      hint = verb == "verify" ? "this node's DNS plugin cannot check challenges; ask its operator"
                              : "this formationd has no DNS plugin enabled; ask its operator";
      break;
    case 503: hint = "the DNS lookup or a backend failed; try again in a moment"; break;
    default: break;
  }
  return {base.code(), base.what(), hint};
}

Response call(Context& context, Request request, const std::string& verb, const std::string& name) {
  return send_checked(context.api(), std::move(request),
                      [&](const Response& r) { return dns_error(r, verb, name); });
}

std::string values_text(const rapidjson::Value& record) {
  if (!scalar(record, "instance_id").empty())
    return "(follows instance " + scalar(record, "instance_id") + ")";
  std::string text;
  if (!record.HasMember("values") || !record["values"].IsArray()) return text;
  for (const auto& v : record["values"].GetArray()) {
    if (!v.IsString()) continue;
    text += (text.empty() ? "" : ", ") + std::string(v.GetString(), v.GetStringLength());
  }
  return text;
}

std::string verified_text(const rapidjson::Value& record) {
  return record.HasMember("verified") && record["verified"].IsBool() && record["verified"].GetBool()
             ? "yes"
             : "no";
}

// The challenge of an unverified record (or of a verify answer): what to publish and then
// what to run.
void print_challenge(std::ostream& out, const rapidjson::Value& holder, const std::string& fqdn) {
  if (!holder.HasMember("verification") || !holder["verification"].IsObject()) return;
  const auto& v = holder["verification"];
  out << "to verify " << fqdn << ", publish this TXT record in its DNS:\n"
      << "  " << scalar(v, "name") << "  TXT  \"" << scalar(v, "value") << "\"\n"
      << "then run 'form dns verify " << fqdn << "' (the name is served once verified)\n";
}

void print_record(Context& context, const Response& response) {
  const auto record =
      print_object(context, response, [&](const rapidjson::Value& doc, Table& table) {
        table.add_row({"name", scalar(doc, "fqdn")});
        table.add_row({"type", scalar(doc, "type")});
        table.add_row({"values", values_text(doc)});
        table.add_row({"ttl", scalar(doc, "ttl")});
        table.add_row({"verified", verified_text(doc)});
      });
  if (!context.json()) print_challenge(context.err(), record, scalar(record, "fqdn"));
}

// add and update: PUT with If-None-Match: * (only create) or If-Match: * (only replace).
int put_record(Context& context, const Args& args, const std::string& verb) {
  const std::string name = record_name(args);
  const bool follows = args.values.count("instance") != 0;
  const std::vector<std::string> values = args.all("value");
  if (follows && !values.empty())
    throw usage_error("give either --instance or --value, not both",
                      "--instance ID: the name follows that instance's address");
  if (!follows && values.empty())
    throw usage_error("'form dns " + verb + "' needs --instance ID or --type T --value V",
                      "usage: form dns " + verb +
                          " NAME (--instance ID | --type T --value V [--value V...]) [--ttl N]");
  if (!follows && !args.values.count("type"))
    throw usage_error("--value needs --type (A, AAAA, CNAME or TXT)");
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("type");
  w.String(upper(args.get("type", "A")).c_str());
  if (follows) {
    const std::string id = args.get("instance");
    if (id.empty()) throw usage_error("--instance must not be empty");
    w.Key("instance_id");
    w.String(id.c_str());
  } else {
    w.Key("values");
    w.StartArray();
    for (const auto& v : values) w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
    w.EndArray();
  }
  if (args.values.count("ttl")) {
    w.Key("ttl");
    w.Int64(positive_integer(args, "ttl"));
  }
  w.EndObject();
  Request request = Request::with_body("PUT", record_path(name), buffer.GetString());
  request.headers[verb == "add" ? "If-None-Match" : "If-Match"] = "*";
  print_record(context, call(context, std::move(request), verb, name));
  return 0;
}

int dns_add(Context& context, const Args& args) { return put_record(context, args, "add"); }

int dns_update(Context& context, const Args& args) { return put_record(context, args, "update"); }

int dns_remove(Context& context, const Args& args) {
  const std::string name = record_name(args);
  std::string target = record_path(name);
  const std::string type = upper(args.get("type"));
  if (args.values.count("type")) {
    if (type.empty()) throw usage_error("--type must not be empty");
    target += "?type=" + percent_encode(type);
  }
  Request request = Request::del(target);
  call(context, std::move(request), "remove", name);
  if (context.json())
    context.out() << "{}\n";
  else
    context.out() << "removed " << name << (type.empty() ? "" : " " + type) << '\n';
  return 0;
}

void add_rows(Table& table, const rapidjson::Value& record) {
  table.add_row({scalar(record, "fqdn"), scalar(record, "type"), scalar(record, "ttl"),
                 verified_text(record), values_text(record)});
}

int dns_list(Context& context, const Args& args) {
  ListRequest request{"/v1/dns/records", "records"};
  request.all = args.has("all");
  std::string query;
  if (args.values.count("zone")) {
    if (args.get("zone").empty()) throw usage_error("--zone must not be empty");
    query = "zone=" + percent_encode(args.get("zone"));
  }
  if (args.values.count("limit"))
    query += (query.empty() ? "" : "&") + std::string("limit=") +
             std::to_string(positive_integer(args, "limit"));
  request.query = query;
  request.page_token = args.get("page-token");
  PagedList list = fetch_list(request, [&](const std::string& target) {
    return call(context, Request::get(target, Auth::kSigned), "list", {});
  });
  if (context.json()) {
    print_list_json(context, list, !request.all);
    return 0;
  }
  Table table({"name", "type", "ttl", "verified", "values"});
  for (const auto& item : list.items.GetArray()) add_rows(table, item);
  if (table.empty())
    context.err() << "no DNS records; 'form dns add NAME --instance ID' makes one\n";
  else
    table.print(context.out());
  if (!list.next.empty())
    context.err() << "more records: run again with --page-token " << list.next
                  << " (or --all for every page)\n";
  return 0;
}

int dns_show(Context& context, const Args& args) {
  const std::string name = record_name(args);
  Response response = call(context, Request::get(record_path(name), Auth::kSigned), "show", name);
  if (context.json()) {
    print_raw_json(context.out(), response.body);
    return 0;
  }
  rapidjson::Document doc = parse_object(response);
  if (!doc.HasMember("records") || !doc["records"].IsArray())
    throw CliError(Exit::kApiError,
                   "unexpected answer from GET /v1/dns/records/{fqdn}: no records");
  Table table({"name", "type", "ttl", "verified", "values"});
  for (const auto& item : doc["records"].GetArray()) add_rows(table, item);
  table.print(context.out());
  for (const auto& item : doc["records"].GetArray()) {
    if (verified_text(item) == "no") {
      print_challenge(context.err(), item, scalar(doc, "fqdn"));
      break;
    }
  }
  return 0;
}

int dns_verify(Context& context, const Args& args) {
  const std::string name = record_name(args);
  Response response =
      call(context, Request::with_body("POST", record_path(name, "verify"), ""), "verify", name);
  rapidjson::Document doc = parse_object(response);
  const bool verified = verified_text(doc) == "yes";
  const std::string fqdn = scalar(doc, "fqdn").empty() ? name : scalar(doc, "fqdn");
  if (context.json()) {
    print_raw_json(context.out(), response.body);
  } else if (verified) {
    context.out() << "verified " << fqdn << '\n';
  } else {
    context.out() << "not verified yet: the challenge was not found in the DNS of " << fqdn << '\n';
    print_challenge(context.out(), doc, fqdn);
    context.out() << "(DNS changes can take a while to be visible; run it again later)\n";
  }
  return verified ? 0 : static_cast<int>(Exit::kApiError);
}

const std::vector<OptionSpec> kRecordOptions = {
    {"instance", "ID", "the name follows this instance's address (type A, or --type AAAA)"},
    {"type", "T", "A, AAAA, CNAME or TXT (with --value)"},
    {"value", "V", "a value of the record; repeat for several (at most 16)"},
    {"ttl", "N", "time to live in seconds, 1 to 604800 (default 300)"}};

const Registrar kDnsAdd([] {
  Command c = one_argument_command(
      "dns add", "Add a DNS name (a vanity name, or a custom domain of yours)",
      "dns add NAME (--instance ID | --type T --value V [--value V...]) [--ttl N]\n"
      "\n"
      "PUT /v1/dns/records/NAME with If-None-Match: * (refused when you already have a\n"
      "record of that type there: use 'form dns update'). NAME without a dot is under the\n"
      "network's zone ('web' is web.<zone>) and is yours if nobody else holds it. A custom\n"
      "domain (example.org) is served only once verified: the TXT challenge to publish is\n"
      "printed, then run 'form dns verify NAME'. Prints the record.",
      dns_add);
  c.options = kRecordOptions;
  return c;
}());

const Registrar kDnsUpdate([] {
  Command c =
      one_argument_command("dns update", "Replace one of your DNS records",
                           "dns update NAME (--instance ID | --type T --value V [--value V...])\n"
                           "           [--ttl N]\n"
                           "\n"
                           "PUT /v1/dns/records/NAME with If-Match: * (refused when you have no\n"
                           "record of that type there: use 'form dns add'). The values given\n"
                           "replace the old ones. Prints the record.",
                           dns_update);
  c.options = kRecordOptions;
  return c;
}());

const Registrar kDnsRemove([] {
  Command c =
      one_argument_command("dns remove", "Remove your DNS records at a name",
                           "dns remove NAME [--type T]\n"
                           "\n"
                           "DELETE /v1/dns/records/NAME: every record of yours there, or only the\n"
                           "one of --type. Prints 'removed NAME'.",
                           dns_remove);
  c.options = {{"type", "T", "remove only the record of this type"}};
  return c;
}());

const Registrar kDnsList([] {
  Command c;
  c.name = "dns list";
  c.summary = "List your DNS records";
  c.usage =
      "dns list [--zone Z] [--limit N] [--page-token TOKEN] [--all]\n"
      "\n"
      "GET /v1/dns/records, one page; --zone keeps the names at or under Z. When there are\n"
      "more, stderr says which --page-token gives the next page; --all prints every record\n"
      "(--output json: one document, {\"records\": [...], \"next_page_token\": \"\"}).";
  c.options = page_options("records");
  c.options.insert(c.options.begin(), {"zone", "Z", "only names at or under Z"});
  c.handler = dns_list;
  return c;
}());

const Registrar kDnsShow(
    one_argument_command("dns show", "Show your DNS records at a name",
                         "dns show NAME\n"
                         "\n"
                         "GET /v1/dns/records/NAME: every record of yours there, and\n"
                         "the TXT challenge of an unverified one.",
                         dns_show));

const Registrar kDnsVerify(one_argument_command(
    "dns verify", "Verify that you control a custom domain",
    "dns verify NAME\n"
    "\n"
    "POST /v1/dns/records/NAME/verify: the server looks up the TXT record\n"
    "_formation-challenge.NAME. Prints 'verified NAME' (exit 0) once it holds your challenge;\n"
    "otherwise prints the TXT record to publish and exits 1. Verifying serves your records\n"
    "at and under NAME and removes other accounts' unverified claims there.",
    dns_verify));

}  // namespace
}  // namespace form

// form account create | show | update | delete | list | credit | credits | ledger: the
// signer's own account, its credits and ledger and, for admins, every account and crediting
// (DESIGN.md §5; docs/cli.md, "form account").
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <iostream>
#include <ostream>
#include <string>
#include <vector>

#include "api_client.hpp"
#include "arguments.hpp"
#include "cli.hpp"
#include "json_reply.hpp"
#include "keystore.hpp"
#include "output.hpp"
#include "paged_list.hpp"

namespace form {
namespace {

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

bool is_address(const std::string& text) {
  if (text.size() != 42 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) return false;
  for (std::size_t i = 2; i < text.size(); ++i)
    if (!std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  return true;
}

// The ADDRESS argument, or the address of the key file when none is given; lower case with
// 0x (how the server stores it).
std::string target_address(Context& context, const Args& args) {
  if (!args.positional.empty()) {
    const std::string& given = args.positional[0];
    if (!is_address(given))
      throw usage_error("invalid address '" + given + "': expected 0x followed by 40 hex digits",
                        "leave it out to use the address of your key ('form key show')");
    return lower(given);
  }
  const std::string& path = context.options().key_file;
  return lower(key_file_address(read_key_file(path), path));
}

std::string json_string(const std::string& text) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.String(text.c_str(), static_cast<rapidjson::SizeType>(text.size()));
  return buffer.GetString();
}

std::string required_name(const Args& args, const std::string& verb) {
  if (!args.values.count("name"))
    throw usage_error(
        "'form account " + verb + "' needs --name NAME",
        "usage: form account " + verb + (verb == "create" ? "" : " [ADDRESS]") + " --name NAME");
  std::string name = args.get("name");
  if (name.empty()) throw usage_error("--name must not be empty");
  return name;
}

// What to do about an error answer of an account route; `what` is "show", "update", ...
CliError account_error(const Response& response, const std::string& what,
                       const std::string& address) {
  CliError base = api_error(response);
  std::string code;
  rapidjson::Document doc;
  doc.Parse(response.body.c_str(), response.body.size());
  if (!doc.HasParseError() && doc.IsObject() && doc.HasMember("error"))
    code = scalar(doc["error"], "code");

  std::string hint = base.hint();
  switch (response.status) {
    case 401:
      if (code == "timestamp_skew")
        hint =
            "this machine's clock is off; the server refuses signatures more than 5 minutes "
            "away from its time (sync it, e.g. with NTP)";
      else if (code == "nonce_reused")
        hint = "a replayed request; run the command again (a new nonce is used every time)";
      else
        hint =
            "check your key: --key (or FORM_KEY) must name the key file of this account "
            "('form key show'), and this machine's clock must be right";
      break;
    case 403:
      if (what == "list" || what == "credit")
        hint = "only an admin may " + what + (what == "list" ? " every account" : " an account") +
               "; admins are the addresses in formationd's formation.json (\"admins\")";
      else
        hint = "only the account itself or an admin may " + what + " account " + address +
               "; sign with that address's key (--key)";
      break;
    case 404:
      if (what != "create" && what != "list")
        hint = "there is no account " + address +
               "; create it with 'form account create --name NAME' (signed with its key)";
      else
        hint = "this formationd has no accounts API; check --api and the server's version";
      break;
    case 501:
      hint =
          "this network has no billing plugin; its operator enables billing-credits in "
          "plugins.d/";
      break;
    case 409:
    case 412:
      if (what == "create")
        hint = "this key already has an account; 'form account show' shows it";
      else if (what == "delete")
        hint =
            "an account that still owns instances cannot be deleted; delete them or "
            "transfer them to another account first";
      else
        hint =
            "the account changed meanwhile; 'form account show' for the current version, "
            "then retry";
      break;
    default: break;
  }
  return {base.code(), base.what(), hint};
}

Response call(Context& context, Request request, const std::string& what,
              const std::string& address) {
  return send_checked(context.api(), std::move(request),
                      [&](const Response& r) { return account_error(r, what, address); });
}

void print_account(Context& context, const Response& response) {
  print_object(context, response, [&](const rapidjson::Value& doc, Table& table) {
    static const std::vector<std::pair<const char*, const char*>> kKnown = {
        {"address", "address"},
        {"name", "name"},
        {"created_at", "created"},
        {"updated_at", "updated"},
        {"version", "version"}};
    for (const auto& [member, label] : kKnown)
      if (doc.HasMember(member)) table.add_row({label, scalar(doc, member)});
    for (const auto& m : doc.GetObject()) {
      const std::string name = m.name.GetString();
      bool known = false;
      for (const auto& [member, label] : kKnown) known = known || name == member;
      if (known || m.value.IsObject() || m.value.IsArray() || m.value.IsNull()) continue;
      std::string label = name;
      for (char& c : label)
        if (c == '_') c = ' ';
      table.add_row({label, scalar(doc, name.c_str())});
    }
  });
}

int account_create(Context& context, const Args& args) {
  const std::string name = required_name(args, "create");
  Response response = call(
      context, Request::with_body("POST", "/v1/accounts", "{\"name\":" + json_string(name) + "}"),
      "create", {});
  print_account(context, response);
  return 0;
}

int account_show(Context& context, const Args& args) {
  const std::string address = target_address(context, args);
  Response response =
      call(context, Request::get("/v1/accounts/" + address, Auth::kSigned), "show", address);
  print_account(context, response);
  return 0;
}

int account_update(Context& context, const Args& args) {
  const std::string name = required_name(args, "update");
  std::string body = "{\"name\":" + json_string(name);
  if (args.values.count("if-version"))
    body += ",\"version\":" + std::to_string(positive_integer(args, "if-version"));
  body += "}";
  const std::string address = target_address(context, args);
  Response response = call(context, Request::with_body("PATCH", "/v1/accounts/" + address, body),
                           "update", address);
  print_account(context, response);
  return 0;
}

bool confirmed(Context& context, const std::string& address) {
  context.err() << "Delete account " << address
                << "? Its data on this network is removed. Type 'yes' to confirm: " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  while (!answer.empty() && std::isspace(static_cast<unsigned char>(answer.back())))
    answer.pop_back();
  answer = lower(answer);
  return answer == "yes" || answer == "y";
}

int account_delete(Context& context, const Args& args) {
  const std::string address = target_address(context, args);
  if (!args.has("yes")) {
    if (::isatty(STDIN_FILENO) == 0)
      throw usage_error("refusing to delete account " + address +
                            " without confirmation: stdin is not a terminal",
                        "pass --yes to delete without asking");
    if (!confirmed(context, address)) {
      context.err() << "not deleted\n";
      return static_cast<int>(Exit::kApiError);
    }
  }
  Request request = Request::del("/v1/accounts/" + address);
  call(context, std::move(request), "delete", address);
  if (context.json())
    context.out() << "{\"address\":" << json_string(address) << ",\"deleted\":true}\n";
  else
    context.out() << "deleted " << address << '\n';
  return 0;
}

int account_list(Context& context, const Args& args) {
  const ListRequest request =
      paging_from(args, {"/v1/accounts", "accounts", "items"});  // openapi names it "accounts"
  PagedList list = fetch_list(request, [&](const std::string& target) {
    return call(context, Request::get(target, Auth::kSigned), "list", {});
  });
  const std::string& next = list.next;
  if (context.json()) {
    print_list_json(context, list, !request.all);
    return 0;
  }
  Table table({"address", "name", "version", "created", "updated"});
  for (const auto& item : list.items.GetArray())
    table.add_row({scalar(item, "address"), scalar(item, "name"), scalar(item, "version"),
                   scalar(item, "created_at"), scalar(item, "updated_at")});
  if (table.empty())
    context.err() << "no accounts\n";
  else
    table.print(context.out());
  if (!next.empty())
    context.err() << "more accounts: run again with --page-token " << next
                  << " (or --all for every page)\n";
  return 0;
}

// "12.5" credits -> 12500000 micro-credits, exactly: integer arithmetic on the digits, at
// most six decimals, more than zero.
long long micro_credits(const std::string& text) {
  const auto bad = [&] {
    return usage_error(
        "invalid AMOUNT '" + text + "': expected credits > 0 with at most 6 decimals, e.g. 12.5",
        "1 credit = 1 000 000 micro-credits");
  };
  const auto dot = text.find('.');
  const std::string whole = text.substr(0, dot);
  const std::string fraction = dot == std::string::npos ? "" : text.substr(dot + 1);
  const auto digits = [](const std::string& s) {
    return s.find_first_not_of("0123456789") == std::string::npos;
  };
  if (text.empty() || !digits(whole) || !digits(fraction) || fraction.size() > 6 ||
      (whole.empty() && fraction.empty()) || whole.size() > 9) {
    throw bad();
  }
  long long micro = 0;
  for (char c : whole) micro = micro * 10 + (c - '0');
  for (std::size_t i = 0; i < 6; ++i)
    micro = micro * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  if (micro <= 0) throw bad();
  return micro;
}

int account_credit(Context& context, const Args& args) {
  const std::string address = target_address(context, args);
  const long long micro = micro_credits(args.positional.at(1));
  std::string body = "{\"amount_micro\":" + std::to_string(micro);
  if (args.has("reason")) body += ",\"reason\":" + json_string(args.get("reason"));
  body += "}";
  Response response = call(context,
                           Request::with_body("POST", "/v1/accounts/" + address + "/credits",
                                              std::move(body), Auth::kSigned),
                           "credit", address);
  print_object(context, response, [&](const rapidjson::Value& doc, Table& table) {
    table.add_row({"address", scalar(doc, "address")});
    table.add_row({"credited", scalar(doc, "amount") + " credits"});
    table.add_row({"reason", scalar(doc, "reason")});
    table.add_row({"entry", scalar(doc, "id")});
  });
  return 0;
}

int account_credits(Context& context, const Args& args) {
  const std::string address = target_address(context, args);
  Response response =
      call(context, Request::get("/v1/accounts/" + address + "/credits", Auth::kSigned),
           "read the credits of", address);
  print_object(context, response, [&](const rapidjson::Value& doc, Table& table) {
    table.add_row({"address", scalar(doc, "address")});
    table.add_row({"balance", scalar(doc, "balance") + " credits"});
    table.add_row({"balance micro", scalar(doc, "balance_micro")});
    table.add_row({"plan", scalar(doc, "plan")});
  });
  return 0;
}

int account_ledger(Context& context, const Args& args) {
  const std::string address = target_address(context, args);
  const ListRequest request =
      paging_from(args, {"/v1/accounts/" + address + "/ledger", "items", ""});
  PagedList list = fetch_list(request, [&](const std::string& target) {
    return call(context, Request::get(target, Auth::kSigned), "read the ledger of", address);
  });
  if (context.json()) {
    print_list_json(context, list, !request.all);
    return 0;
  }
  Table table({"created", "amount", "reason", "instance", "period start"});
  for (const auto& item : list.items.GetArray()) {
    std::string start;
    if (item.HasMember("period") && item["period"].IsObject())
      start = scalar(item["period"], "start");
    table.add_row({scalar(item, "created_at"), scalar(item, "amount"), scalar(item, "reason"),
                   scalar(item, "instance_id"), start});
  }
  if (table.empty())
    context.err() << "no ledger entries for " << address << "\n";
  else
    table.print(context.out());
  if (!list.next.empty())
    context.err() << "more entries: run again with --page-token " << list.next
                  << " (or --all for every page)\n";
  return 0;
}

const Registrar kAccountCreate([] {
  Command c;
  c.name = "account create";
  c.summary = "Create the account of your key";
  c.usage =
      "account create --name NAME\n"
      "\n"
      "POST /v1/accounts, signed with your key (--key): the account's address is the key's.\n"
      "Prints the new account (--output json: the server's JSON).";
  c.options = {{"name", "NAME", "display name of the account (required)"}};
  c.handler = account_create;
  return c;
}());

const Registrar kAccountShow([] {
  Command c;
  c.name = "account show";
  c.summary = "Show an account (default: your own)";
  c.usage =
      "account show [ADDRESS]\n"
      "\n"
      "GET /v1/accounts/ADDRESS; without ADDRESS, the address of your key. Only the account\n"
      "itself or an admin may read it.";
  c.max_args = 1;
  c.handler = account_show;
  return c;
}());

const Registrar kAccountUpdate([] {
  Command c;
  c.name = "account update";
  c.summary = "Rename an account (default: your own)";
  c.usage =
      "account update [ADDRESS] --name NAME [--if-version N]\n"
      "\n"
      "PATCH /v1/accounts/ADDRESS with the new name. With --if-version the server refuses the\n"
      "change (exit 1, conflict) unless the account is still at version N.";
  c.options = {{"name", "NAME", "the new display name (required)"},
               {"if-version", "N", "only update when the account's version is still N"}};
  c.max_args = 1;
  c.handler = account_update;
  return c;
}());

const Registrar kAccountDelete([] {
  Command c;
  c.name = "account delete";
  c.summary = "Delete an account (default: your own)";
  c.usage =
      "account delete [ADDRESS] [--yes]\n"
      "\n"
      "DELETE /v1/accounts/ADDRESS. Asks for confirmation on a terminal; without a terminal\n"
      "on stdin it refuses (exit 2) unless --yes is given.";
  c.options = {{"yes", "", "do not ask for confirmation"}};
  c.max_args = 1;
  c.handler = account_delete;
  return c;
}());

const Registrar kAccountList([] {
  Command c;
  c.name = "account list";
  c.summary = "List every account (admins only)";
  c.usage =
      "account list [--limit N] [--page-token TOKEN] [--all]\n"
      "\n"
      "GET /v1/accounts, one page (of at most N accounts; the server's default otherwise).\n"
      "When there are more, stderr says which --page-token gives the next page; --all\n"
      "follows the tokens and prints every account (--output json: one document like the\n"
      "last page, {\"accounts\": [...], \"next_page_token\": \"\"}). Only the addresses in\n"
      "formationd's \"admins\" may list.";
  c.options = page_options("accounts");
  c.handler = account_list;
  return c;
}());

const Registrar kAccountCredits([] {
  Command c;
  c.name = "account credits";
  c.summary = "Show an account's credit balance (default: your own)";
  c.usage =
      "account credits [ADDRESS]\n"
      "\n"
      "GET /v1/accounts/ADDRESS/credits: the balance in credits (1 credit = 1 000 000\n"
      "micro-credits) and the account's plan. Only the account itself or an admin may read\n"
      "it; a network without a billing plugin answers 501.";
  c.max_args = 1;
  c.handler = account_credits;
  return c;
}());

const Registrar kAccountCredit([] {
  Command c;
  c.name = "account credit";
  c.summary = "Add credits to an account (admins only)";
  c.usage =
      "account credit ADDRESS AMOUNT [--reason TEXT]\n"
      "\n"
      "POST /v1/accounts/ADDRESS/credits: AMOUNT in credits, at most 6 decimals (12.5 is\n"
      "12 500 000 micro-credits). Only the addresses in formationd's \"admins\" may credit;\n"
      "the entry shows in 'form account ledger ADDRESS'.";
  c.options = {{"reason", "TEXT", "why, kept in the ledger (at most 256 bytes)"}};
  c.min_args = 2;
  c.max_args = 2;
  c.handler = account_credit;
  return c;
}());

const Registrar kAccountLedger([] {
  Command c;
  c.name = "account ledger";
  c.summary = "List an account's credits and debits, newest first (default: your own)";
  c.usage =
      "account ledger [ADDRESS] [--limit N] [--page-token TOKEN] [--all]\n"
      "\n"
      "GET /v1/accounts/ADDRESS/ledger, one page: admins' credits (positive) and usage\n"
      "debits (negative, with the instance and the metering period they pay for). When there\n"
      "are more, stderr says which --page-token gives the next page; --all follows the tokens\n"
      "(--output json: one document like the last page, {\"items\": [...],\n"
      "\"next_page_token\": \"\"}).";
  c.options = page_options("entries");
  c.max_args = 1;
  c.handler = account_ledger;
  return c;
}());

}  // namespace
}  // namespace form

#include "api/dns_records.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/api_support.hpp"
#include "api/authorize.hpp"
#include "api/dns_name_rights.hpp"
#include "api/dns_record_input.hpp"
#include "api/instance_access.hpp"
#include "dns/dns_names.hpp"

namespace formation::host::api {
namespace {

using Shared = DnsRoutesContext;

constexpr const char* kVerifyHint =
    "publish this TXT record, then POST .../verify (form dns verify <fqdn>)";

Result<Dns*> dns_plugin(const Shared& shared) {
  Dns* dns = shared.dns ? shared.dns() : nullptr;
  if (dns == nullptr) {
    return Status::unsupported(
        "no DNS plugin is enabled on this node (enable dns-powerdns in plugins.d/)");
  }
  return dns;
}

// The network zone and its nameserver names (from the plugin's own NS answer when it can
// tell: they are reserved).
NameContext name_context(Dns& dns) {
  NameContext names;
  auto zone = dns::normalise_name(dns.network_zone());
  names.zone = zone.is_ok() ? *zone : dns.network_zone();
  auto ns = dns.lookup(names.zone, "NS", "127.0.0.1");
  if (ns.is_ok()) {
    for (const auto& answer : *ns) {
      if (answer.type != "NS") continue;
      if (auto name = dns::normalise_name(answer.content); name.is_ok()) {
        names.nameservers.push_back(*name);
      }
    }
  }
  return names;
}

Result<std::string> target_name(const HttpRequest& request, const NameContext& names) {
  return resolve_record_name(request.path_param("fqdn"), names.zone);
}

Status no_body(const HttpRequest& request) {
  if (request.body.empty()) return Status::ok();
  return Status::invalid("body: this request takes no body");
}

// Every record at `fqdn` and at each of its ancestors, any owner.
Result<std::vector<DnsRecord>> records_here_and_above(Transaction& tx, const std::string& fqdn) {
  std::vector<DnsRecord> all;
  for (std::string_view name = fqdn; !name.empty(); name = dns::parent_of(name)) {
    auto at = tx.dns_records().at(std::string(name));
    if (!at.is_ok()) return at.status();
    all.insert(all.end(), at->begin(), at->end());
  }
  return all;
}

// Every page of a filtered list.
Result<std::vector<DnsRecord>> list_all(Transaction& tx, const DnsRecordFilter& filter) {
  std::vector<DnsRecord> all;
  PageRequest page;
  page.limit = 100;
  do {
    auto list = tx.dns_records().list(filter, page);
    if (!list.is_ok()) return list.status();
    all.insert(all.end(), list->items.begin(), list->items.end());
    page.page_token = list->next_page_token;
  } while (!page.page_token.empty());
  return all;
}

// ---- JSON ---------------------------------------------------------------------------------

void write_verification(JsonWriter& w, const std::string& fqdn, const std::string& token) {
  w.Key("verification");
  w.StartObject();
  put_string(w, "name", dns::challenge_name(fqdn));
  put_string(w, "type", "TXT");
  put_string(w, "value", token);
  put_string(w, "hint", kVerifyHint);
  w.EndObject();
}

void write_record(JsonWriter& w, const DnsRecord& r) {
  w.StartObject();
  put_string(w, "fqdn", r.fqdn);
  put_string(w, "type", to_string(r.type));
  w.Key("values");
  w.StartArray();
  for (const auto& v : r.values) w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
  w.EndArray();
  w.Key("ttl");
  w.Int64(r.ttl);
  if (r.instance_id) put_string(w, "instance_id", *r.instance_id);
  put_string(w, "owner", r.owner);
  w.Key("verified");
  w.Bool(r.verified);
  if (!r.verified) {
    write_verification(w, r.fqdn,
                       r.verification_token.empty() ? dns::challenge_token(r.owner, r.fqdn)
                                                    : r.verification_token);
  }
  put_string(w, "created_at", rfc3339(r.created_at));
  put_string(w, "updated_at", rfc3339(r.updated_at));
  w.EndObject();
}

// ---- after a change -----------------------------------------------------------------------

struct Change {
  std::string fqdn;
  DnsRecordType type;
  const char* change;  // "created", "updated", "removed"
};

// The plugin serves the change before the API answers; then everyone else hears of it.
void announce(const Shared& shared, Dns& dns, const std::vector<Change>& changes) {
  if (changes.empty()) return;
  if (auto st = dns.reload(); !st.is_ok()) {
    // The change is committed; the plugin also refreshes on its own, so it is served soon.
    spdlog::warn("dns: reloading the DNS plugin after a record change failed: {}", st.to_string());
  }
  if (!shared.publish) return;
  for (const auto& c : changes) {
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    put_string(w, "fqdn", c.fqdn);
    put_string(w, "type", to_string(c.type));
    put_string(w, "change", c.change);
    w.EndObject();
    shared.publish(Event{"dns.record_changed", buffer.GetString(), "host"});
  }
}

// ---- routes -------------------------------------------------------------------------------

// Whether the instance a record should follow may be used by the caller: its owner, or a
// grant of operator or more (the level that may start and stop it).
Status check_instance_use(const Shared& shared, Transaction& tx, const std::string& caller,
                          const std::string& instance_id) {
  auto st =
      authorised_instance(tx, shared.api, caller, instance_id, InstanceAction::start_stop_reboot)
          .status();
  if (st.code() == StatusCode::not_found) {
    return Status::not_found("no instance " + instance_id + " (instance_id)");
  }
  if (st.code() == StatusCode::permission_denied) {
    return Status::permission_denied("a name may follow instance " + instance_id +
                                     " only with operator access to it or more; ask its owner "
                                     "for a grant");
  }
  return st;
}

// Whether the caller has published its challenge for `fqdn` (unsupported and unavailable
// come back as they are).
Result<bool> challenge_seen(Dns& dns, const std::string& caller, const std::string& fqdn) {
  return dns.check_verification(fqdn, dns::challenge_token(caller, fqdn));
}

std::string takeover_message(const std::string& caller, const std::string& fqdn,
                             DnsRecordType type) {
  return "the name " + fqdn + " (" + std::string(to_string(type)) +
         ") is claimed by another account but not verified; verifying takes it over: publish "
         "the TXT record " +
         dns::challenge_name(fqdn) + " \"" + dns::challenge_token(caller, fqdn) +
         "\" in the domain's DNS, then send this request again";
}

struct Preconditions {
  bool if_none_match = false;  // If-None-Match: * (form dns add): only when none exists
  bool if_match = false;       // If-Match: * (form dns update): only when one exists
};

Result<Preconditions> preconditions(const HttpRequest& request) {
  Preconditions p;
  auto none = request.header("if-none-match");
  auto match = request.header("if-match");
  if (!none.empty() && none != "*") {
    return Status::invalid("If-None-Match: only '*' is supported (create, never replace)");
  }
  if (!match.empty() && match != "*") {
    return Status::invalid("If-Match: only '*' is supported (replace, never create)");
  }
  p.if_none_match = !none.empty();
  p.if_match = !match.empty();
  if (p.if_none_match && p.if_match) {
    return Status::invalid("If-Match and If-None-Match together can never both hold");
  }
  return p;
}

// CNAME exclusivity (RFC 1034 §3.6.2) among the records served or owned at the name.
Status check_cname_alone(const std::vector<DnsRecord>& stored, const std::string& caller,
                         const std::string& fqdn, DnsRecordType type) {
  for (const auto& r : stored) {
    if (r.fqdn != fqdn || r.type == type || (r.owner != caller && !r.verified)) continue;
    if (type == DnsRecordType::cname) {
      return Status::conflict("the name " + fqdn + " has " + std::string(to_string(r.type)) +
                              " records; a CNAME cannot sit beside other types (remove them "
                              "first: form dns remove " +
                              fqdn + " --type " + std::string(to_string(r.type)) + ")");
    }
    if (r.type == DnsRecordType::cname) {
      return Status::conflict("the name " + fqdn +
                              " is a CNAME; no other type can sit beside it (remove it first: "
                              "form dns remove " +
                              fqdn + " --type CNAME)");
    }
  }
  return Status::ok();
}

Result<HttpResponse> put_record(const Shared& shared, const HttpRequest& request) {
  auto dns = dns_plugin(shared);
  if (!dns.is_ok()) return dns.status();
  const NameContext names = name_context(**dns);
  auto fqdn = target_name(request, names);
  if (!fqdn.is_ok()) return fqdn.status();
  auto input = parse_record_input(request.body);
  if (!input.is_ok()) return input.status();
  if (input->type == DnsRecordType::cname && input->values.front() == *fqdn) {
    return Status::invalid("values[0]: a CNAME must not point at its own name");
  }
  auto pre = preconditions(request);
  if (!pre.is_ok()) return pre.status();
  const std::string& caller = caller_of(request);

  bool proven = false;  // the caller's challenge was seen during this request
  for (;;) {
    auto tx = begin(shared.api);
    if (!tx.is_ok()) return tx.status();
    if (input->instance_id) {
      if (auto st = check_instance_use(shared, **tx, caller, *input->instance_id); !st.is_ok()) {
        return st;
      }
    }
    auto stored = records_here_and_above(**tx, *fqdn);
    if (!stored.is_ok()) return stored.status();
    auto right = may_write(caller, *fqdn, input->type, names, *stored);
    if (!right.is_ok()) return right.status();
    auto existing = std::find_if(stored->begin(), stored->end(), [&](const DnsRecord& r) {
      return r.fqdn == *fqdn && r.type == input->type && r.owner == caller;
    });
    const bool exists = existing != stored->end();
    if (pre->if_none_match && exists) {
      return Status::conflict("you already have a " + std::string(to_string(input->type)) +
                              " record at " + *fqdn + "; change it with form dns update " + *fqdn);
    }
    if (pre->if_match && !exists) {
      return Status::not_found("you have no " + std::string(to_string(input->type)) +
                               " record at " + *fqdn + "; create it with form dns add " + *fqdn);
    }
    if (auto st = check_cname_alone(*stored, caller, *fqdn, input->type); !st.is_ok()) return st;
    if (right->needs_takeover && !proven) {
      tx->reset();  // no transaction held while the public DNS is asked
      auto seen = challenge_seen(**dns, caller, *fqdn);
      if (!seen.is_ok()) {
        // The claim stands whatever kept the check from answering; say why it was not seen.
        return Status::conflict(
            takeover_message(caller, *fqdn, input->type) +
            " (the challenge could not be checked just now: " + seen.status().message() + ")");
      }
      if (!*seen) return Status::conflict(takeover_message(caller, *fqdn, input->type));
      proven = true;
      continue;  // decide again on fresh reads
    }

    std::vector<Change> changes;
    if (right->needs_takeover) {
      for (const auto& r : *stored) {
        if (r.fqdn != *fqdn || r.owner == caller || r.verified) continue;
        if (auto st = (*tx)->dns_records().remove(r.fqdn, r.type); !st.is_ok()) return st;
        changes.push_back({r.fqdn, r.type, "removed"});
      }
    }
    DnsRecord record = exists ? *existing : DnsRecord{};
    record.fqdn = *fqdn;
    record.type = input->type;
    record.values = input->values;
    record.ttl = input->ttl;
    record.instance_id = input->instance_id;
    record.owner = caller;
    record.verified = right->verified || proven;
    record.verification_token = record.verified ? "" : dns::challenge_token(caller, *fqdn);
    auto written =
        exists ? (*tx)->dns_records().update(record) : (*tx)->dns_records().create(record);
    if (!written.is_ok()) {
      if (written.status().code() == StatusCode::conflict) {
        return Status::conflict("the record " + *fqdn + " " + std::string(to_string(input->type)) +
                                " changed while this request ran; send it again");
      }
      return written.status();
    }
    if (auto st = (*tx)->commit(); !st.is_ok()) return st;
    changes.push_back({record.fqdn, record.type, exists ? "updated" : "created"});
    announce(shared, **dns, changes);
    return json_response(exists ? 200 : 201, [&](JsonWriter& w) { write_record(w, *written); });
  }
}

Result<HttpResponse> get_records_at(const Shared& shared, const HttpRequest& request) {
  auto dns = dns_plugin(shared);
  if (!dns.is_ok()) return dns.status();
  auto fqdn = target_name(request, name_context(**dns));
  if (!fqdn.is_ok()) return fqdn.status();
  const std::string& caller = caller_of(request);
  const bool admin = is_admin(shared.api, caller);
  auto tx = begin(shared.api);
  if (!tx.is_ok()) return tx.status();
  auto at = (*tx)->dns_records().at(*fqdn);
  if (!at.is_ok()) return at.status();
  std::vector<DnsRecord> visible;
  for (const auto& r : *at) {
    if (admin || r.owner == caller) visible.push_back(r);
  }
  if (visible.empty()) {
    return Status::not_found("you have no records at " + *fqdn +
                             " (form dns list shows yours; form dns add creates one)");
  }
  return json_response(200, [&](JsonWriter& w) {
    w.StartObject();
    put_string(w, "fqdn", *fqdn);
    w.Key("records");
    w.StartArray();
    for (const auto& r : visible) write_record(w, r);
    w.EndArray();
    w.EndObject();
  });
}

Result<HttpResponse> list_records(const Shared& shared, const HttpRequest& request) {
  auto dns = dns_plugin(shared);
  if (!dns.is_ok()) return dns.status();
  auto params = query_params(request.query, {"zone", "limit", "page_token"});
  if (!params.is_ok()) return params.status();
  auto page = page_request(*params);
  if (!page.is_ok()) return page.status();
  DnsRecordFilter filter;
  const std::string& caller = caller_of(request);
  if (!is_admin(shared.api, caller)) filter.owner = caller;
  if (auto zone = params->find("zone"); zone != params->end()) {
    auto name = dns::normalise_name(zone->second);
    if (!name.is_ok()) return Status::invalid("zone: " + name.status().message());
    filter.zone = *name;
  }
  auto tx = begin(shared.api);
  if (!tx.is_ok()) return tx.status();
  auto list = (*tx)->dns_records().list(filter, *page);
  if (!list.is_ok()) return list.status();
  return json_response(200, [&](JsonWriter& w) {
    w.StartObject();
    w.Key("records");
    w.StartArray();
    for (const auto& r : list->items) write_record(w, r);
    w.EndArray();
    put_string(w, "next_page_token", list->next_page_token);
    w.EndObject();
  });
}

Result<HttpResponse> delete_records(const Shared& shared, const HttpRequest& request) {
  auto dns = dns_plugin(shared);
  if (!dns.is_ok()) return dns.status();
  if (auto st = no_body(request); !st.is_ok()) return st;
  auto fqdn = target_name(request, name_context(**dns));
  if (!fqdn.is_ok()) return fqdn.status();
  auto params = query_params(request.query, {"type"});
  if (!params.is_ok()) return params.status();
  std::optional<DnsRecordType> type;
  if (auto text = params->find("type"); text != params->end()) {
    auto parsed = parse_record_type(text->second);
    if (!parsed.is_ok()) return parsed.status();
    type = *parsed;
  }
  const std::string& caller = caller_of(request);
  const bool admin = is_admin(shared.api, caller);
  auto tx = begin(shared.api);
  if (!tx.is_ok()) return tx.status();
  auto at = (*tx)->dns_records().at(*fqdn);
  if (!at.is_ok()) return at.status();
  std::vector<Change> changes;
  for (const auto& r : *at) {
    if ((!admin && r.owner != caller) || (type && r.type != *type)) continue;
    if (auto st = (*tx)->dns_records().remove(r.fqdn, r.type); !st.is_ok()) return st;
    changes.push_back({r.fqdn, r.type, "removed"});
  }
  if (changes.empty()) {
    return Status::not_found("you have no " +
                             (type ? std::string(to_string(*type)) + " " : std::string()) +
                             "records at " + *fqdn + " (form dns list shows yours)");
  }
  if (auto st = (*tx)->commit(); !st.is_ok()) return st;
  announce(shared, **dns, changes);
  return no_content();
}

HttpResponse verify_answer(const std::string& fqdn, bool verified, const std::string& token) {
  return json_response(200, [&](JsonWriter& w) {
    w.StartObject();
    put_string(w, "fqdn", fqdn);
    w.Key("verified");
    w.Bool(verified);
    if (!verified) write_verification(w, fqdn, token);
    w.EndObject();
  });
}

// The challenge was seen: the caller's unverified records at and under the name become
// verified (served), other accounts' unverified claims there are removed.
Result<std::vector<Change>> take_over(const Shared& shared, const std::string& caller,
                                      const std::string& fqdn) {
  auto tx = begin(shared.api);
  if (!tx.is_ok()) return tx.status();
  DnsRecordFilter filter;
  filter.zone = fqdn;
  filter.verified = false;
  auto unverified = list_all(**tx, filter);
  if (!unverified.is_ok()) return unverified.status();
  std::vector<Change> changes;
  for (auto r : *unverified) {
    if (r.owner == caller) {
      r.verified = true;
      r.verification_token.clear();
      auto updated = (*tx)->dns_records().update(r);
      if (!updated.is_ok()) {
        if (updated.status().code() == StatusCode::conflict) {
          return Status::conflict("the record " + r.fqdn + " " + std::string(to_string(r.type)) +
                                  " changed while it was being verified; verify again");
        }
        return updated.status();
      }
      changes.push_back({r.fqdn, r.type, "updated"});
    } else {
      if (auto st = (*tx)->dns_records().remove(r.fqdn, r.type); !st.is_ok()) return st;
      changes.push_back({r.fqdn, r.type, "removed"});
    }
  }
  if (auto st = (*tx)->commit(); !st.is_ok()) return st;
  return changes;
}

Result<HttpResponse> verify_records(const Shared& shared, const HttpRequest& request) {
  auto dns = dns_plugin(shared);
  if (!dns.is_ok()) return dns.status();
  if (auto st = no_body(request); !st.is_ok()) return st;
  auto fqdn = target_name(request, name_context(**dns));
  if (!fqdn.is_ok()) return fqdn.status();
  const std::string& caller = caller_of(request);
  bool all_verified = true;
  {
    auto tx = begin(shared.api);
    if (!tx.is_ok()) return tx.status();
    auto at = (*tx)->dns_records().at(*fqdn);
    if (!at.is_ok()) return at.status();
    bool any = false;
    for (const auto& r : *at) {
      if (r.owner != caller) continue;
      any = true;
      all_verified = all_verified && r.verified;
    }
    if (!any) {
      return Status::not_found("you have no record at " + *fqdn +
                               " to verify; add one first: form dns add " + *fqdn +
                               " --type A --value ADDRESS");
    }
  }
  if (all_verified) return verify_answer(*fqdn, true, "");
  const std::string token = dns::challenge_token(caller, *fqdn);
  auto seen = (*dns)->check_verification(*fqdn, token);
  if (!seen.is_ok()) return seen.status();
  if (!*seen) return verify_answer(*fqdn, false, token);
  auto changes = take_over(shared, caller, *fqdn);
  if (!changes.is_ok()) return changes.status();
  announce(shared, **dns, *changes);
  return verify_answer(*fqdn, true, "");
}

}  // namespace

Status add_dns_routes(Router& router, DnsRoutesContext context) {
  auto shared = std::make_shared<const Shared>(std::move(context));
  static constexpr RouteEntry<Shared> kRoutes[] = {
      {"GET", "/v1/dns/records", &list_records},
      {"GET", "/v1/dns/records/{fqdn}", &get_records_at},
      {"PUT", "/v1/dns/records/{fqdn}", &put_record},
      {"DELETE", "/v1/dns/records/{fqdn}", &delete_records},
      {"POST", "/v1/dns/records/{fqdn}/verify", &verify_records},
  };
  return add_routes(router, shared, kRoutes);
}

}  // namespace formation::host::api

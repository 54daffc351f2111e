#include "api/dns_name_rights.hpp"

#include <algorithm>

#include "dns/dns_names.hpp"

namespace formation::host::api {
namespace {

bool is_challenge_name(const std::string& fqdn) {
  const std::string prefix = std::string(kChallengeLabel) + ".";
  return fqdn == kChallengeLabel || fqdn.starts_with(prefix);
}

// The message never says who holds the name: other tenants' data stays theirs.
Status held_by_another(const std::string& fqdn, const std::string& holder_name) {
  if (holder_name == fqdn) {
    return Status::permission_denied("the name " + fqdn + " is owned by another account");
  }
  return Status::permission_denied("the name " + fqdn + " lies under " + holder_name +
                                   ", which is owned by another account");
}

}  // namespace

Status check_not_reserved(const std::string& fqdn, const NameContext& names) {
  if (fqdn == names.zone) {
    return Status::permission_denied("the name " + fqdn +
                                     " is the network zone's apex, which is reserved");
  }
  if (dns::is_at_or_under(names.zone, fqdn)) {
    return Status::permission_denied("the name " + fqdn + " holds the network zone " + names.zone +
                                     " and is reserved");
  }
  if (std::find(names.nameservers.begin(), names.nameservers.end(), fqdn) !=
      names.nameservers.end()) {
    return Status::permission_denied("the name " + fqdn +
                                     " is a nameserver of the network zone and is reserved");
  }
  if (is_challenge_name(fqdn)) {
    return Status::permission_denied(
        "names starting with " + std::string(kChallengeLabel) +
        ". are reserved for domain verification (publish the challenge in your own DNS)");
  }
  return Status::ok();
}

Result<WriteRight> may_write(const std::string& caller, const std::string& fqdn, DnsRecordType type,
                             const NameContext& names, const std::vector<DnsRecord>& stored) {
  if (auto st = check_not_reserved(fqdn, names); !st.is_ok()) return st;
  if (dns::is_at_or_under(fqdn, names.zone)) {
    // A vanity name: first come, first served, at the name and every ancestor below the zone.
    for (const auto& r : stored) {
      if (r.owner == caller || r.fqdn == names.zone) continue;
      if (!dns::is_at_or_under(fqdn, r.fqdn) || !dns::is_at_or_under(r.fqdn, names.zone)) continue;
      return held_by_another(fqdn, r.fqdn);
    }
    return WriteRight{true, false};
  }
  if (dns::label_count(fqdn) < 2) {
    return Status::invalid("the name " + fqdn +
                           " has one label; a custom domain needs at least two (example.org)");
  }
  WriteRight right;
  for (const auto& r : stored) {
    if (!dns::is_at_or_under(fqdn, r.fqdn)) continue;
    if (r.owner == caller) {
      right.verified = right.verified || r.verified;
      continue;
    }
    if (r.verified) return held_by_another(fqdn, r.fqdn);
    if (r.fqdn == fqdn && r.type == type) right.needs_takeover = true;
  }
  return right;
}

}  // namespace formation::host::api

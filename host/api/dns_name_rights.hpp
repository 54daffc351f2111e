// Who may write DNS records at a name (docs/api.md "DNS", "Whose name is it"). A pure
// decision over the records already stored at the name and its ancestors, so that it can be
// tested without a store and every route decides the same way.
//
// - Reserved for everyone: the network zone's apex, its nameserver names, every name whose
//   first label is "_formation-challenge", and any name the network zone lies under.
// - Under the network zone (vanity names, first come first served): the caller's unless
//   another account holds a record at the name or at an ancestor below the zone.
// - Elsewhere (custom domains): at least two labels; not at or under a name where another
//   account holds a VERIFIED record; another account's unverified record of the same type at
//   the same name is a claim that only proving control (the challenge) takes over.
#pragma once

#include <string>
#include <vector>

#include "formation/records/network.hpp"
#include "formation/status.hpp"

namespace formation::host::api {

inline constexpr const char* kChallengeLabel = "_formation-challenge";

struct NameContext {
  std::string zone;                      // the network zone (canonical)
  std::vector<std::string> nameservers;  // the zone's NS names (canonical); may be empty
};

// permission_denied when `fqdn` (canonical) is reserved, with the reason.
Status check_not_reserved(const std::string& fqdn, const NameContext& names);

struct WriteRight {
  // The record is written verified: names under the zone always; custom names when the
  // caller holds a verified record at the name or an ancestor.
  bool verified = false;
  // Another account holds an unverified record of the same type at the same name: the write
  // may only go ahead once the caller proves control of the name now (the challenge), and
  // then replaces that claim.
  bool needs_takeover = false;
};

// Whether `caller` may write a record of `type` at `fqdn`. `stored` holds every record at
// `fqdn` and at each of its ancestors (any owner, any type). Errors: permission_denied
// (reserved, or another account's), invalid (a custom domain of one label).
Result<WriteRight> may_write(const std::string& caller, const std::string& fqdn, DnsRecordType type,
                             const NameContext& names, const std::vector<DnsRecord>& stored);

}  // namespace formation::host::api

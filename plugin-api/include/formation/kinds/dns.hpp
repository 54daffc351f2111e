// Dns: serves the network's zones from the records in the state store (`dns-powerdns`, a
// PowerDNS remote backend). It learns about instances from events and the store, never
// from the Vmm.
//
// What it answers (docs/plugin-kinds.md): the DnsRecords under its zones (custom domains
// only once verified), each instance's automatic name (`<name>.<zone>`: its mesh address
// to clients inside the mesh, its node's public address to the rest), SOA and NS for each
// zone with a serial derived from DnsRecordRepository::change_serial. Addresses on nodes
// whose heartbeat is stale are left out unless none would remain; addresses in the
// client's region come first.
//
// Error codes:
//   invalid      a malformed name (a label over 63 bytes, a name over 253) or query type
//   unavailable  the state store or the DNS server is unreachable (retry)
//   unsupported  an OPTIONAL method this backend does not implement
//   internal     anything else
// A name with no data is not an error: lookup() returns an empty vector.
//
// Threading: every method may be called concurrently; zones() and lookup() must not block
// for long (they serve queries); reload() may block and is called on the blocking pool.
//
// Events: consumes `instance.created` (writes the automatic name), `instance.deleted`
// (removes the instance's records), `instance.state_changed` and `dns.record_changed`
// (calls reload()). Publishes `dns.record_changed` after writing records itself.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "formation/plugin.hpp"
#include "formation/status.hpp"
#include "formation/visibility.hpp"

namespace formation {

// One resource record of an answer, as the server would send it.
struct FORMATION_API DnsAnswer {
  std::string name;     // lower case, no trailing dot
  std::string type;     // "A", "AAAA", "CNAME", "TXT", "SOA", "NS"
  std::string content;  // presentation format ("10.42.0.7", "\"v=...\"", SOA fields)
  std::int64_t ttl = 0;
};

class FORMATION_API Dns : public Plugin {
 public:
  static constexpr PluginKind kKind = PluginKind::dns;

  // REQUIRED. The network's own zone ("formation.internal", lower case, no trailing dot):
  // names under it are vanity names, first come first served; names elsewhere are custom
  // domains, served once their owner proves control (check_verification).
  virtual std::string network_zone() = 0;

  // REQUIRED. The zones this plugin is authoritative for (lower case, no trailing dot):
  // the network's zone and every verified custom domain.
  virtual Result<std::vector<std::string>> zones() = 0;

  // REQUIRED. Picks up changed records now (the host calls it after a record change;
  // the plugin also refreshes on its own, since other hosts change the store). Cheap when
  // nothing changed; a plugin that reads the store on every query may just return ok.
  virtual Status reload() = 0;

  // OPTIONAL. What the plugin would answer to `qname`/`qtype` (a type mnemonic, or "ANY")
  // asked by `client_address` (an IP literal, or the EDNS client subnet), in the order it
  // would answer. For tests and debugging; empty when the name has no such data.
  virtual Result<std::vector<DnsAnswer>> lookup(const std::string& /*qname*/,
                                                const std::string& /*qtype*/,
                                                const std::string& /*client_address*/) {
    return Status::unsupported("dns.lookup is not supported by this plugin");
  }

  // OPTIONAL. Whether the TXT record `_formation-challenge.<fqdn>` on the public DNS holds
  // `token`, which proves a tenant controls a custom domain (POST
  // /v1/dns/records/{fqdn}/verify). false when it is absent or different.
  virtual Result<bool> check_verification(const std::string& /*fqdn*/,
                                          const std::string& /*token*/) {
    return Status::unsupported("dns.check_verification is not supported by this plugin");
  }
};

}  // namespace formation

// What the remote-backend protocol reads: the zones served and the answers to one query.
// The core (answers.cpp) implements it over an immutable snapshot of the state store; the
// protocol (remote_protocol.cpp) turns PowerDNS's requests into calls of it.
//
// Names here are canonical (formation::dns::normalise_name: lower case, no trailing dot);
// the protocol adds the trailing dot PowerDNS expects on the wire.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace formation::dns_powerdns {

struct ZoneInfo {
  std::string name;          // canonical: "formation.test"
  std::int32_t id = 0;       // stable for the zone's lifetime, > 0
  std::uint32_t serial = 1;  // the SOA serial; grows when any record changes
};

// One resource record as PowerDNS wants it in a lookup or list reply.
struct Answer {
  std::string name;     // canonical owner name
  std::string type;     // "SOA", "NS", "A", "AAAA", "CNAME", "TXT"
  std::string content;  // presentation format, names with a trailing dot, TXT quoted
  std::int64_t ttl = 0;
  std::int32_t zone_id = 0;
  // For an answer that depends on who asks (geo- or mesh-aware): the prefix length of the
  // client subnet it is valid for (PowerDNS's "scopeMask", sent back in EDNS client subnet).
  // 0 when the answer is the same for everyone.
  int scope_prefix = 0;
};

// Who asks: PowerDNS's "remote" (the resolver's address) and "real-remote" (the EDNS
// client subnet "ip/len", or "remote/32" when there was none). Either may be empty.
struct ClientInfo {
  std::string_view remote;
  std::string_view real_remote;
};

class ZoneView {
 public:
  virtual ~ZoneView() = default;
  // Every zone served, ordered by name.
  virtual void zones(std::vector<ZoneInfo>& out) const = 0;
  // The zone named exactly `zone`; false when it is not served.
  virtual bool zone(std::string_view zone, ZoneInfo& out) const = 0;
  // Appends the records at `qname` of type `qtype` (a mnemonic in upper case, or "ANY"),
  // in answer order. Nothing appended: no such data (PowerDNS tells NXDOMAIN from NODATA
  // with its own ANY lookup). Must be fast and must not block: it serves every query.
  virtual void lookup(std::string_view qname, std::string_view qtype, const ClientInfo& client,
                      std::vector<Answer>& out) const = 0;
  // Appends every record of zone `zone` (AXFR), SOA first; false when it is not served.
  virtual bool list(std::string_view zone, std::vector<Answer>& out) const = 0;
};

}  // namespace formation::dns_powerdns

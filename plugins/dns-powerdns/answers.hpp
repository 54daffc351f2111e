// The answering core: the ZoneView the protocol reads, over the current Snapshot.
//
// Names passed in are canonical (lower case, no trailing dot) and query types upper case:
// the protocol normalises PowerDNS's input once (remote_protocol.cpp), and
// PowerDnsPlugin::lookup does the same for the API. A name in another spelling simply
// has no data here.
#pragma once

#include <memory>
#include <mutex>

#include "snapshot.hpp"
#include "zone_view.hpp"

namespace formation::dns_powerdns {

// Appends what `snapshot` answers to `qname`/`qtype` asked by `client` (see ZoneView).
void answer_lookup(const Snapshot& snapshot, std::string_view qname, std::string_view qtype,
                   const ClientInfo& client, std::vector<Answer>& out);

// Appends the whole zone (SOA, NS, then every name's records as answered to a client
// outside the mesh with no region); false when `zone` is not served.
bool answer_list(const Snapshot& snapshot, std::string_view zone, std::vector<Answer>& out);

// The ZoneView connectors read. Safe for concurrent calls: each call takes the snapshot
// current when it starts (a reference-counted pointer swapped whole by publish()).
class SnapshotView final : public ZoneView {
 public:
  SnapshotView();

  void publish(std::shared_ptr<const Snapshot> snapshot);
  [[nodiscard]] std::shared_ptr<const Snapshot> current() const;

  void zones(std::vector<ZoneInfo>& out) const override;
  bool zone(std::string_view zone, ZoneInfo& out) const override;
  void lookup(std::string_view qname, std::string_view qtype, const ClientInfo& client,
              std::vector<Answer>& out) const override;
  bool list(std::string_view zone, std::vector<Answer>& out) const override;

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Snapshot> snapshot_;
};

}  // namespace formation::dns_powerdns

// PowerDNS's remote-backend protocol (modules/remotebackend, pdns 4.7): one JSON request
// {"method": ..., "parameters": {...}} in, one JSON reply {"result": ...} out. The same
// messages travel over both connectors (unix_connector.hpp, http_connector.hpp); this file
// knows nothing of sockets. Methods answered: initialize, lookup, list, getAllDomains,
// getDomainInfo, getAllDomainMetadata, getDomainMetadata, getUpdatedMasters,
// getUnfreshSlaveInfos. Everything else is {"result": false}, which pdns reads as "no" or
// "not implemented".
#pragma once

#include <spdlog/logger.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "zone_view.hpp"

namespace formation::dns_powerdns {

// The largest request accepted, by the protocol and by both connectors: pdns's requests are
// a few hundred bytes, so anything near this is not pdns.
inline constexpr std::size_t kMaxRequestBytes = std::size_t{64} * 1024;

// The names PowerDNS sends, in the form the ZoneView takes: formation::dns::canonicalise
// (normalise_name's rules, no message, no allocation).
bool canonical_name(std::string_view name, std::string& out);

// One per connection (not thread-safe); it keeps its buffers between requests.
class RemoteProtocol {
 public:
  RemoteProtocol(const ZoneView& view, std::shared_ptr<spdlog::logger> log);
  ~RemoteProtocol();
  RemoteProtocol(const RemoteProtocol&) = delete;
  RemoteProtocol& operator=(const RemoteProtocol&) = delete;

  // One request in, one reply out (replaces `reply`; no trailing newline). Never throws;
  // garbage gets {"result":false} and a (rate-limited) warning naming what was wrong.
  void handle(std::string_view request, std::string& reply);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace formation::dns_powerdns

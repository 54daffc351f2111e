#include "verification.hpp"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>

#include <algorithm>
#include <vector>

#include "dns_names.hpp"

namespace formation::dns_powerdns {

namespace {

constexpr std::uint16_t kDnsPort = 53;

struct ResolverState {
  struct __res_state state {};
  bool open = false;
  ~ResolverState() {
    if (open) ::res_nclose(&state);
  }
};

// Points the resolver at the configured servers ("ip" or "ip:port"; settings.cpp checked
// them), replacing what resolv.conf named.
void use_resolvers(const std::vector<std::string>& resolvers, struct __res_state& state) {
  int count = 0;
  for (const auto& text : resolvers) {
    if (count == MAXNS) break;
    const auto colon = text.find(':');
    const std::string ip = text.substr(0, colon);
    const auto port = colon == std::string::npos
                          ? kDnsPort
                          : static_cast<std::uint16_t>(std::stoi(text.substr(colon + 1)));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    if (::inet_pton(AF_INET, ip.c_str(), &address.sin_addr) != 1) continue;
    state.nsaddr_list[count++] = address;
  }
  state.nscount = count;
}

// Whether one <character-string> of a TXT RDATA equals `token`.
bool txt_holds(const unsigned char* rdata, std::size_t length, const std::string& token) {
  std::size_t at = 0;
  while (at < length) {
    const std::size_t size = rdata[at];
    ++at;
    if (at + size > length) return false;  // malformed: ns_parserr checked the RR bounds only
    if (size == token.size() && std::equal(token.begin(), token.end(), rdata + at)) return true;
    at += size;
  }
  return false;
}

std::string servers(const VerificationSettings& settings) {
  if (settings.resolvers.empty()) return "the system's resolvers (/etc/resolv.conf)";
  std::string out;
  for (const auto& r : settings.resolvers) out += (out.empty() ? "" : ", ") + r;
  return out;
}

}  // namespace

Result<bool> check_challenge(const VerificationSettings& settings, const std::string& fqdn,
                             const std::string& token) {
  ResolverState resolver;
  if (::res_ninit(&resolver.state) != 0) {
    return Status::unavailable("cannot initialise the DNS resolver; check /etc/resolv.conf");
  }
  resolver.open = true;
  auto& state = resolver.state;
  if (!settings.resolvers.empty()) use_resolvers(settings.resolvers, state);
  state.retrans = static_cast<int>(std::max<std::int64_t>(1, (settings.timeout_ms + 999) / 1000));
  state.retry = 1;
  state.options &= ~(RES_DNSRCH | RES_DEFNAMES);  // the name is absolute; no search list

  const std::string name = dns::challenge_name(fqdn) + ".";
  std::vector<unsigned char> reply(NS_MAXMSG);
  const int length = ::res_nquery(&state, name.c_str(), ns_c_in, ns_t_txt, reply.data(),
                                  static_cast<int>(reply.size()));
  if (length < 0) {
    if (state.res_h_errno == HOST_NOT_FOUND || state.res_h_errno == NO_DATA) return false;
    return Status::unavailable("no answer for " + name + " TXT from " + servers(settings) + " (" +
                               ::hstrerror(state.res_h_errno) + "); try again later");
  }
  ns_msg message{};
  if (::ns_initparse(reply.data(), length, &message) != 0) {
    return Status::unavailable("a malformed reply for " + name + " TXT from " + servers(settings));
  }
  const int answers = ns_msg_count(message, ns_s_an);
  for (int i = 0; i < answers; ++i) {
    ns_rr rr{};
    if (::ns_parserr(&message, ns_s_an, i, &rr) != 0) break;
    if (ns_rr_type(rr) != ns_t_txt) continue;  // a CNAME on the way
    if (txt_holds(ns_rr_rdata(rr), ns_rr_rdlen(rr), token)) return true;
  }
  return false;
}

}  // namespace formation::dns_powerdns

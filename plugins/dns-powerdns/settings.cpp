#include "settings.hpp"

#include <charconv>

#include "dns_names.hpp"

namespace formation::dns_powerdns {

namespace {

const rapidjson::Value* member(const rapidjson::Value* object, const char* name) {
  if (object == nullptr || !object->IsObject()) return nullptr;
  auto it = object->FindMember(name);
  return it == object->MemberEnd() ? nullptr : &it->value;
}

void read_string(const rapidjson::Value* object, const char* name, std::string& out) {
  const auto* value = member(object, name);
  if (value != nullptr && value->IsString()) out = value->GetString();
}

void read_int(const rapidjson::Value* object, const char* name, std::int64_t& out) {
  const auto* value = member(object, name);
  if (value != nullptr && value->IsInt64()) out = value->GetInt64();
}

void read_bool(const rapidjson::Value* object, const char* name, bool& out) {
  const auto* value = member(object, name);
  if (value != nullptr && value->IsBool()) out = value->GetBool();
}

Status bad(const std::string& where, const std::string& what) {
  return Status::invalid("parameters." + where + ": " + what);
}

Result<std::string> name_at(const std::string& where, const std::string& text) {
  auto name = dns::normalise_name(text);
  if (!name.is_ok()) return bad(where, name.status().message());
  return name;
}

// "hostmaster@example.org" is how people write a mailbox; the SOA wants
// "hostmaster.example.org" (a dot in the local part would need escaping: refused).
Result<std::string> hostmaster_from(const std::string& text) {
  std::string name = text;
  if (auto at = name.find('@'); at != std::string::npos) {
    if (name.substr(0, at).find('.') != std::string::npos) {
      return bad("soa.hostmaster",
                 "'" + text + "': a mailbox with a dot before '@' is not supported");
    }
    name[at] = '.';
  }
  return name_at("soa.hostmaster", name);
}

Status check_positive(const std::string& where, std::int64_t value, std::int64_t max) {
  if (value < 0 || value > max) {
    return bad(where, std::to_string(value) + " is out of range 0.." + std::to_string(max));
  }
  return Status::ok();
}

Status read_soa(const rapidjson::Value* soa, const std::string& zone, SoaSettings& out) {
  std::string hostmaster = "hostmaster." + zone;
  read_string(soa, "hostmaster", hostmaster);
  auto name = hostmaster_from(hostmaster);
  if (!name.is_ok()) return name.status();
  out.hostmaster = *name;
  read_int(soa, "refresh", out.refresh);
  read_int(soa, "retry", out.retry);
  read_int(soa, "expire", out.expire);
  read_int(soa, "minimum", out.minimum);
  read_int(soa, "ttl", out.ttl);
  // SOA timers are 32-bit unsigned on the wire.
  constexpr std::int64_t kMax = 2147483647;
  for (auto [field, value] : {std::pair{"refresh", out.refresh},
                              {"retry", out.retry},
                              {"expire", out.expire},
                              {"minimum", out.minimum},
                              {"ttl", out.ttl}}) {
    if (auto st = check_positive(std::string("soa.") + field, value, kMax); !st.is_ok()) return st;
  }
  return Status::ok();
}

Status read_nameservers(const rapidjson::Value* list, const std::string& zone,
                        std::vector<Nameserver>& out) {
  if (list == nullptr || !list->IsArray()) {
    out.push_back(Nameserver{"ns1." + zone, {}});
    return Status::ok();
  }
  for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
    const std::string where = "nameservers[" + std::to_string(i) + "]";
    const auto& entry = (*list)[i];
    std::string text;
    read_string(&entry, "name", text);
    auto name = name_at(where + ".name", text);
    if (!name.is_ok()) return name.status();
    Nameserver ns{*name, {}};
    if (const auto* addresses = member(&entry, "addresses");
        addresses != nullptr && addresses->IsArray()) {
      for (rapidjson::SizeType j = 0; j < addresses->Size(); ++j) {
        const auto& a = (*addresses)[j];
        const std::string at = where + ".addresses[" + std::to_string(j) + "]";
        if (!a.IsString() || !parse_ip(a.GetString())) {
          return bad(at, "must be an IPv4 or IPv6 address");
        }
        ns.addresses.emplace_back(a.GetString());
      }
    }
    out.push_back(std::move(ns));
  }
  if (out.empty()) return bad("nameservers", "at least one nameserver is needed for the SOA");
  return Status::ok();
}

Status read_regions(const rapidjson::Value* list, RegionTable& out) {
  if (list == nullptr || !list->IsArray()) return Status::ok();
  for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
    const std::string where = "regions[" + std::to_string(i) + "]";
    std::string text;
    std::string region;
    read_string(&(*list)[i], "cidr", text);
    read_string(&(*list)[i], "region", region);
    auto cidr = parse_cidr(text);
    if (!cidr.is_ok()) return bad(where + ".cidr", cidr.status().message());
    if (region.empty()) return bad(where + ".region", "must not be empty");
    out.add(*cidr, region);
  }
  return Status::ok();
}

Result<std::uint32_t> parse_mode(const std::string& text) {
  std::uint32_t mode = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, mode, 8);
  if (text.empty() || ec != std::errc() || ptr != end || mode > 0777) {
    return bad("connectors.unix.mode", "'" + text + "' is not an octal file mode such as \"0660\"");
  }
  return mode;
}

Status read_connectors(const rapidjson::Value* connectors, const std::filesystem::path& data_dir,
                       Settings& out) {
  const auto* unix_socket = member(connectors, "unix");
  read_bool(unix_socket, "enabled", out.unix_connector.enabled);
  std::string path = "pdns.sock";
  read_string(unix_socket, "path", path);
  if (path.empty()) return bad("connectors.unix.path", "must not be empty");
  out.unix_connector.path =
      std::filesystem::path(path).is_relative() ? data_dir / path : std::filesystem::path(path);
  std::string mode = "0660";
  read_string(unix_socket, "mode", mode);
  auto parsed = parse_mode(mode);
  if (!parsed.is_ok()) return parsed.status();
  out.unix_connector.mode = *parsed;

  const auto* http = member(connectors, "http");
  out.http_connector.enabled = http != nullptr && http->IsObject();
  read_bool(http, "enabled", out.http_connector.enabled);
  read_string(http, "address", out.http_connector.address);
  std::int64_t port = out.http_connector.port;
  read_int(http, "port", port);
  if (auto st = check_positive("connectors.http.port", port, 65535); !st.is_ok()) return st;
  out.http_connector.port = static_cast<std::uint16_t>(port);
  if (out.http_connector.enabled && !parse_ip(out.http_connector.address)) {
    return bad("connectors.http.address",
               "'" + out.http_connector.address + "' is not an IP address to listen on");
  }
  return Status::ok();
}

// "ip" or "ip:port", IPv4 only: libresolv's public nsaddr_list holds IPv4 servers.
Status check_resolver(const std::string& where, const std::string& text) {
  const auto colon = text.find(':');
  auto address = parse_ip(text.substr(0, colon));
  if (!address || address->v6) {
    return bad(where, "'" + text + "' is not an IPv4 address or address:port");
  }
  if (colon != std::string::npos) {
    int port = 0;
    const auto port_text = std::string_view(text).substr(colon + 1);
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc() || ptr != port_text.data() + port_text.size() ||
        port < 1 || port > 65535) {
      return bad(where, "'" + text + "': the port must be 1 to 65535");
    }
  }
  return Status::ok();
}

Status read_verification(const rapidjson::Value* verification, VerificationSettings& out) {
  if (const auto* resolvers = member(verification, "resolvers");
      resolvers != nullptr && resolvers->IsArray()) {
    for (rapidjson::SizeType i = 0; i < resolvers->Size(); ++i) {
      const std::string where = "verification.resolvers[" + std::to_string(i) + "]";
      const auto& r = (*resolvers)[i];
      if (!r.IsString()) return bad(where, "must be a string");
      if (auto st = check_resolver(where, r.GetString()); !st.is_ok()) return st;
      out.resolvers.emplace_back(r.GetString());
    }
  }
  read_int(verification, "timeout_ms", out.timeout_ms);
  if (out.timeout_ms < 1 || out.timeout_ms > 60000) {
    return bad("verification.timeout_ms", "must be 1 to 60000");
  }
  return Status::ok();
}

}  // namespace

Result<Settings> settings_from(const rapidjson::Value& parameters,
                               const std::filesystem::path& data_dir) {
  if (!parameters.IsObject()) return Status::invalid("parameters: must be a JSON object");
  Settings s;
  auto& a = s.answers;
  std::string zone = a.zone;
  read_string(&parameters, "zone", zone);
  auto canonical_zone = name_at("zone", zone);
  if (!canonical_zone.is_ok()) return canonical_zone.status();
  a.zone = *canonical_zone;

  read_int(&parameters, "ttl", a.ttl);
  if (auto st = check_positive("ttl", a.ttl, 2147483647); !st.is_ok()) return st;
  if (auto st = read_soa(member(&parameters, "soa"), a.zone, a.soa); !st.is_ok()) return st;
  if (auto st = read_nameservers(member(&parameters, "nameservers"), a.zone, a.nameservers);
      !st.is_ok()) {
    return st;
  }

  std::string mesh = "10.42.0.0/16";
  read_string(&parameters, "mesh_cidr", mesh);
  auto mesh_cidr = parse_cidr(mesh);
  if (!mesh_cidr.is_ok()) return bad("mesh_cidr", mesh_cidr.status().message());
  a.mesh = *mesh_cidr;

  read_int(&parameters, "stale_after_seconds", a.stale_after_seconds);
  if (a.stale_after_seconds < 1) return bad("stale_after_seconds", "must be at least 1");
  if (auto st = read_regions(member(&parameters, "regions"), a.regions); !st.is_ok()) return st;

  read_int(&parameters, "refresh_seconds", s.refresh_seconds);
  if (s.refresh_seconds < 1) return bad("refresh_seconds", "must be at least 1");
  if (auto st = read_connectors(member(&parameters, "connectors"), data_dir, s); !st.is_ok()) {
    return st;
  }
  if (auto st = read_verification(member(&parameters, "verification"), s.verification);
      !st.is_ok()) {
    return st;
  }
  return s;
}

}  // namespace formation::dns_powerdns

// The plugin's parameters (README.md "Parameters") in typed form, and the checks the JSON
// Schema cannot make (CIDRs parse, names are names). The schema itself is in
// plugin_entry.cpp; the host fills in its defaults, and settings_from() fills the same
// defaults again so that tests may pass partial parameters.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "formation/status.hpp"
#include "region_table.hpp"

namespace formation::dns_powerdns {

struct SoaSettings {
  std::string hostmaster;  // canonical name ("hostmaster.formation.internal")
  std::int64_t refresh = 3600;
  std::int64_t retry = 600;
  std::int64_t expire = 604800;
  std::int64_t minimum = 60;
  std::int64_t ttl = 3600;
};

struct Nameserver {
  std::string name;                    // canonical
  std::vector<std::string> addresses;  // IP literals, as given
};

struct UnixConnectorSettings {
  bool enabled = true;
  std::filesystem::path path;  // absolute (relative ones are resolved under the data dir)
  std::uint32_t mode = 0660;
};

struct HttpConnectorSettings {
  bool enabled = false;
  std::string address = "127.0.0.1";
  std::uint16_t port = 8053;  // 0: any free port (tests)
};

struct VerificationSettings {
  // IPv4 "ip" or "ip:port"; empty means the system's resolv.conf.
  std::vector<std::string> resolvers;
  std::int64_t timeout_ms = 2000;
};

// What answers depend on; shared by the snapshot builder and the answering code.
struct AnswerSettings {
  std::string zone = "formation.internal";  // canonical
  std::int64_t ttl = 60;
  SoaSettings soa;
  std::vector<Nameserver> nameservers;
  Cidr mesh;
  std::int64_t stale_after_seconds = 60;
  RegionTable regions;
};

struct Settings {
  AnswerSettings answers;
  std::int64_t refresh_seconds = 5;
  UnixConnectorSettings unix_connector;
  HttpConnectorSettings http_connector;
  VerificationSettings verification;
};

// Reads `parameters` (defaults for what is missing) and checks what the schema cannot.
// invalid names the parameter: "parameters.regions[2].cidr: '10.0.0.0/33' is not a CIDR".
Result<Settings> settings_from(const rapidjson::Value& parameters,
                               const std::filesystem::path& data_dir);

}  // namespace formation::dns_powerdns

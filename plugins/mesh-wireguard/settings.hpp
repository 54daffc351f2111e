// The plugin's parameters (README.md "Parameters") in typed form, with the checks the JSON
// Schema cannot make (CIDRs parse and nest, endpoints parse, the interface name is one).
// settings_from() fills in the schema's defaults itself so that tests may pass partial
// parameters.
#pragma once

#include <rapidjson/document.h>

#include <filesystem>
#include <string>
#include <vector>

#include "formation/records/network.hpp"
#include "formation/status.hpp"
#include "net_parse.hpp"

namespace formation::mesh_wireguard {

enum class Backend { automatic, kernel, userspace };

struct Settings {
  Cidr cidr{0x0A2A0000, 16};
  Cidr node_range{0x0A2A0000, 20};
  Cidr device_range{0x0A2A4000, 18};
  Cidr instance_range{0x0A2A8000, 17};
  std::string interface = "formnet0";
  int listen_port = 51820;
  Backend backend = Backend::automatic;
  bool manage_interface = true;
  std::vector<std::string> advertise;  // "ip:port", as given
  int persistent_keepalive_s = 25;
  int apply_interval_seconds = 10;
  std::filesystem::path private_key_file;
  // Commands run as `ip netns exec <netns> ...` when set (tests, operators).
  std::string netns;

  [[nodiscard]] const Cidr& range_of(MeshPeerKind kind) const;
};

// invalid names the JSON pointer: "/ranges/node: '10.43.0.0/20' is not inside cidr ...".
Result<Settings> settings_from(const rapidjson::Value& parameters,
                               const std::filesystem::path& data_dir);

// A Linux interface name: 1..15 characters, no '/', ':', whitespace, not "." or "..".
bool valid_interface_name(std::string_view name);

}  // namespace formation::mesh_wireguard

// The NoCloud seed's three files (README.md "Formfile to cloud-config"): user-data (a
// #cloud-config document), meta-data and network-config.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "formfile.hpp"

namespace formation::cloudinit {

// `password_hashes[i]` is the crypt hash of `formfile.users[i]`; no plaintext password
// reaches the output.
std::string user_data(const formfile::Formfile& formfile, std::string_view name,
                      const std::vector<std::string>& password_hashes);

// instance-id formation-<first 16 hex digits of build_id>, local-hostname <name>.
std::string meta_data(std::string_view build_id, std::string_view name);

// Network config version 2: DHCPv4 on the first interface whose name starts with "e".
std::string network_config();

}  // namespace formation::cloudinit

// The NoCloud seed's three files (README.md "Formfile to cloud-config"): user-data (a
// #cloud-config document), meta-data and network-config.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "formation/kinds/image_builder.hpp"
#include "formfile.hpp"

namespace formation::cloudinit {

// `password_hashes[i]` is the crypt hash of `formfile.users[i]`; no plaintext password
// reaches the output.
std::string user_data(const formfile::Formfile& formfile, std::string_view name,
                      const std::vector<std::string>& password_hashes);

// The #cloud-config document one instance adds to its build's user-data: `files` as
// write_files entries, `commands` as runcmd entries (`[sh, -c, command]`), and the
// merge_how that makes cloud-init append both lists to the build's instead of replacing
// them. The caller has validated paths and permissions.
std::string instance_cloud_config(const std::vector<SeedFile>& files,
                                  const std::vector<std::string>& commands);

// instance-id formation-<first 16 hex digits of build_id>, local-hostname <name>.
std::string meta_data(std::string_view build_id, std::string_view name);

// Network config version 2: DHCPv4 on the first interface whose name starts with "e".
std::string network_config();

}  // namespace formation::cloudinit

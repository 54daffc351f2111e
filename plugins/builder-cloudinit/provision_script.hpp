// What the guest runs: the provisioning script cloud-init's runcmd starts once, and the
// systemd unit of the ENTRYPOINT (README.md "What the guest runs").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "formfile.hpp"

namespace formation::cloudinit {

inline constexpr std::string_view kProvisionScriptPath = "/var/lib/formation/provision.sh";
inline constexpr std::string_view kProvisionLogPath = "/var/log/formation-provision.log";
inline constexpr std::string_view kProvisionedMarker = "/var/lib/formation/provisioned";
inline constexpr std::string_view kContextDir = "/var/lib/formation/context";
inline constexpr std::string_view kEntrypointUnitPath =
    "/etc/systemd/system/formation-entrypoint.service";

// The service names of `service:` scopes, in order of first mention.
std::vector<std::string> service_scopes(const formfile::Formfile& formfile);

// /etc/formation/env/<service>.env
std::string service_env_path(std::string_view service);

// POSIX sh. Every path is prefixed with $FORMATION_ROOT (empty in the guest), and
// FORMATION_SEED names a directory holding context.tar instead of the cidata volume, so
// that tests can replay COPY, WORKDIR and RUN under a scratch directory.
std::string provision_script(const formfile::Formfile& formfile, std::string_view name);

// The unit file of the ENTRYPOINT; empty when the Formfile has none.
std::string entrypoint_unit(const formfile::Formfile& formfile, std::string_view name);

}  // namespace formation::cloudinit

// Quoting of Formfile text for the places it lands in the guest. Every value a tenant
// wrote passes through one of these before it reaches a shell, a unit file or an
// environment file, so that it is read back as exactly the bytes written.
#pragma once

#include <string>
#include <string_view>

namespace formation::cloudinit {

// POSIX sh: 'text', with ' written as '\'' (nothing inside single quotes is special).
std::string sh_quote(std::string_view text);

// One argument of a systemd Exec line: "text" with \ and " escaped, % as %% (specifiers)
// and $ as $$ (variable expansion).
std::string systemd_quote(std::string_view text);

// A unit-file value that is not an Exec argument (Description=): only % is special.
std::string systemd_escape_specifiers(std::string_view text);

// A value in a systemd EnvironmentFile: "text" with \ " $ and ` escaped, as systemd's
// parser (and a shell) unescape them.
std::string env_file_quote(std::string_view text);

// A value in /etc/environment: "text" with \ and " escaped.
std::string etc_environment_quote(std::string_view text);

}  // namespace formation::cloudinit

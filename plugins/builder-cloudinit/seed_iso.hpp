// The NoCloud seed ISO, written by genisoimage (README.md "The seed ISO").
#pragma once

#include <filesystem>
#include <vector>

#include "formation/status.hpp"

namespace formation::cloudinit {

// Writes `output`, an ISO 9660 image with Rock Ridge and Joliet names and the volume id
// `cidata`, holding `files` at its root under their own names. unavailable when
// genisoimage is not installed; internal (with its stderr) when it fails. On error
// `output` does not exist afterwards.
Status write_seed_iso(const std::vector<std::filesystem::path>& files,
                      const std::filesystem::path& output);

}  // namespace formation::cloudinit

// Files that hold secrets (node keys, the mesh join secret, `form`'s key file and WireGuard
// configs): never readable by others, and never seen half-written after a crash.
#pragma once

#include <filesystem>
#include <string_view>

#include "formation/status.hpp"

namespace formation::host {

enum class Placement {
  kReplace,    // an existing file is replaced
  kCreateNew,  // an existing file is kept: conflict, nothing written
};

// Writes `content` to `path` with mode 0600. Atomic: a temporary file in the same folder is
// written and fsynced, then renamed into place (kReplace) or hard-linked (kCreateNew, which
// cannot race another writer of the same path). A missing folder is created with mode 0700,
// since what goes in it is private. Errors are unavailable (conflict for an existing file
// under kCreateNew) and name the path.
Status write_private_file(const std::filesystem::path& path, std::string_view content,
                          Placement placement = Placement::kReplace);

}  // namespace formation::host

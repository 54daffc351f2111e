// The artifact directory: <dir>/<build_id>/ holds one complete build or nothing. New
// artifacts are staged in <build_id>.tmp-XXXXXX and swapped in with renames, so a reader
// never sees a half-written build and a failed build leaves the previous one in place.
#pragma once

#include <filesystem>
#include <mutex>
#include <string_view>
#include <vector>

#include "formation/status.hpp"

namespace formation::cloudinit {

class ArtifactStore {
 public:
  explicit ArtifactStore(std::filesystem::path dir) : dir_(std::move(dir)) {}

  // Creates the directory and removes what an interrupted publish or removal left behind.
  Status open();

  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
  [[nodiscard]] std::filesystem::path path_of(std::string_view build_id) const {
    return dir_ / std::string(build_id);
  }

  // Moves `files` (files or directories, each kept under its own name) into <dir>/<build_id>,
  // replacing the previous artifacts of that id only once all of them are in place. unavailable
  // when the disk is full; internal on other I/O errors.
  Result<std::filesystem::path> publish(std::string_view build_id,
                                        const std::vector<std::filesystem::path>& files);

  // Idempotent.
  Status remove(std::string_view build_id);

 private:
  std::filesystem::path dir_;
  std::mutex renames_;  // a publish's swap and a removal of the same id do not interleave
};

}  // namespace formation::cloudinit

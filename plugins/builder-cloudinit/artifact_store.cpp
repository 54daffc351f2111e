#include "artifact_store.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace formation::cloudinit {
namespace {

namespace fs = std::filesystem;

Status io_error(const std::string& what, const std::error_code& ec) {
  std::string message = what + ": " + ec.message();
  if (ec.value() == ENOSPC || ec.value() == EDQUOT) return Status::unavailable(message);
  return Status::internal(message);
}

// A fresh, empty directory next to the artifacts, named <prefix>XXXXXX.
Result<fs::path> make_unique_dir(const fs::path& dir, const std::string& prefix) {
  std::string pattern = (dir / (prefix + "XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return io_error("creating " + pattern, std::error_code(errno, std::generic_category()));
  }
  return fs::path(pattern);
}

Status move_file(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec.value() == EXDEV) {  // the work dir is on another file system
    ec.clear();
    if (fs::is_directory(from, ec)) {
      fs::copy(from, to, fs::copy_options::recursive, ec);
    } else if (!ec) {
      fs::copy_file(from, to, ec);
    }
  }
  return ec ? io_error("moving " + from.string() + " to " + to.string(), ec) : Status::ok();
}

bool is_leftover(const std::string& name) {
  return name.find(".tmp-") != std::string::npos || name.find(".old-") != std::string::npos;
}

}  // namespace

Status ArtifactStore::open() {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return io_error("creating the artifact directory " + dir_.string(), ec);
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    if (!is_leftover(entry.path().filename().string())) continue;
    std::error_code ignored;
    fs::remove_all(entry.path(), ignored);
  }
  if (ec) return io_error("listing " + dir_.string(), ec);
  return Status::ok();
}

Result<fs::path> ArtifactStore::publish(std::string_view build_id,
                                        const std::vector<fs::path>& files) {
  const std::string id(build_id);
  auto staging = make_unique_dir(dir_, id + ".tmp-");
  if (!staging.is_ok()) return staging.status();
  std::error_code ec;
  for (const auto& file : files) {
    auto moved = move_file(file, *staging / file.filename());
    if (!moved.is_ok()) {
      fs::remove_all(*staging, ec);
      return moved;
    }
  }
  // Readable by the group (the VMM may run as another user of it), never by others:
  // the seed holds password hashes and service environments.
  ::chmod(staging->c_str(), 0750);

  const fs::path target = path_of(id);
  fs::path previous;
  {
    std::lock_guard lock(renames_);
    if (fs::exists(target, ec)) {
      auto aside = make_unique_dir(dir_, id + ".old-");
      if (!aside.is_ok()) {
        fs::remove_all(*staging, ec);
        return aside.status();
      }
      // Renaming a directory over an empty one replaces it in one step.
      fs::rename(target, *aside, ec);
      if (ec) {
        auto status = io_error("moving aside " + target.string(), ec);
        fs::remove_all(*staging, ec);
        fs::remove_all(*aside, ec);
        return status;
      }
      previous = *aside;
    }
    fs::rename(*staging, target, ec);
    if (ec) {
      auto status = io_error("publishing " + target.string(), ec);
      if (!previous.empty()) fs::rename(previous, target, ec);
      fs::remove_all(*staging, ec);
      return status;
    }
  }
  if (!previous.empty()) fs::remove_all(previous, ec);
  return target;
}

Status ArtifactStore::remove(std::string_view build_id) {
  const fs::path target = path_of(build_id);
  fs::path doomed;
  {
    std::lock_guard lock(renames_);
    std::error_code ec;
    if (!fs::exists(target, ec)) return Status::ok();
    auto aside = make_unique_dir(dir_, std::string(build_id) + ".old-");
    if (!aside.is_ok()) return aside.status();
    fs::rename(target, *aside, ec);
    if (ec) {
      auto status = io_error("removing " + target.string(), ec);
      fs::remove_all(*aside, ec);
      return status;
    }
    doomed = *aside;
  }
  std::error_code ec;
  fs::remove_all(doomed, ec);
  if (ec) return io_error("removing " + doomed.string(), ec);
  return Status::ok();
}

}  // namespace formation::cloudinit

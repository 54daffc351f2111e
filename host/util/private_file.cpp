#include "util/private_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>

namespace formation::host {

namespace fs = std::filesystem;

Status write_private_file(const fs::path& path, std::string_view content, Placement placement) {
  std::error_code ec;
  const fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec) return Status::unavailable("cannot create " + dir.string() + ": " + ec.message());
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  }
  std::string temp = (dir / ("." + path.filename().string() + ".XXXXXX")).string();
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) {
    return Status::unavailable("cannot write in " + dir.string() + ": " + std::strerror(errno));
  }
  // mkstemp makes it 0600 today; older libcs left that to the umask.
  bool written = ::fchmod(fd, 0600) == 0;
  std::size_t done = 0;
  while (written && done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n <= 0) {
      written = false;
    } else {
      done += static_cast<std::size_t>(n);
    }
  }
  written = written && ::fsync(fd) == 0;
  written = (::close(fd) == 0) && written;
  int placed = -1;
  if (written) {
    placed = placement == Placement::kReplace ? ::rename(temp.c_str(), path.c_str())
                                              : ::link(temp.c_str(), path.c_str());
  }
  const int saved = errno;
  if (placed != 0 || placement == Placement::kCreateNew) ::unlink(temp.c_str());
  if (placed == 0) return Status::ok();
  if (written && placement == Placement::kCreateNew && saved == EEXIST) {
    return Status::conflict(path.string() + " already exists");
  }
  return Status::unavailable("cannot write " + path.string() + ": " + std::strerror(saved));
}

}  // namespace formation::host

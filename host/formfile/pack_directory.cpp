#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <system_error>

#include "build_context.hpp"
#include "context_rules.hpp"
#include "context_tar_writer.hpp"

namespace formation::build_context {

namespace {

namespace fs = std::filesystem;
using detail::entry_error;

constexpr std::size_t kChunkBytes = std::size_t{1} << 20;

Status read_error(std::string_view path, const std::error_code& ec) {
  return Status::invalid(detail::entry_message(path, "cannot read: " + ec.message()));
}

Result<std::string> read_small_file(const fs::path& file, std::string_view path) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return read_error(path, std::error_code(errno, std::generic_category()));
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool has_negation(std::string_view ignore_text) {
  std::size_t start = 0;
  while (start < ignore_text.size()) {
    const auto first = ignore_text.find_first_not_of(" \t", start);
    if (first != std::string_view::npos && ignore_text[first] == '!') return true;
    const auto newline = ignore_text.find('\n', start);
    if (newline == std::string_view::npos) break;
    start = newline + 1;
  }
  return false;
}

// Walks the folder as read_context would read the archive packed from it.
class DirectoryIndexer {
 public:
  DirectoryIndexer(fs::path root, const ContextLimits& limits)
      : root_(std::move(root)), counter_(limits) {}

  Status load_ignore_file();
  Status walk(const fs::path& dir, const std::string& relative);
  Result<ContextIndex> finish();

 private:
  Status visit(const fs::directory_entry& item, const std::string& relative);
  Result<Entry> describe(const fs::directory_entry& item, const std::string& path);

  fs::path root_;
  detail::LimitCounter counter_;
  FormIgnore ignore_;
  // Excluded folders are walked only when a `!` line could bring something back from them.
  bool descend_excluded_ = false;
  ContextIndex index_;
};

Status DirectoryIndexer::load_ignore_file() {
  const auto file = root_ / ".formignore";
  std::error_code ec;
  if (!fs::is_regular_file(fs::symlink_status(file, ec))) return Status::ok();
  auto text = read_small_file(file, ".formignore");
  if (!text.is_ok()) return text.status();
  ignore_ = FormIgnore::parse(*text);
  descend_excluded_ = has_negation(*text);
  return Status::ok();
}

Status DirectoryIndexer::walk(const fs::path& dir, const std::string& relative) {
  std::error_code ec;
  std::vector<fs::directory_entry> items;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    items.push_back(*it);
  }
  if (ec) return read_error(relative.empty() ? dir.string() : relative, ec);
  std::sort(items.begin(), items.end(),
            [](const auto& a, const auto& b) { return a.path().filename() < b.path().filename(); });
  for (const auto& item : items) {
    const auto name = item.path().filename().string();
    if (auto status = visit(item, relative.empty() ? name : relative + "/" + name);
        !status.is_ok()) {
      return status;
    }
  }
  return Status::ok();
}

Status DirectoryIndexer::visit(const fs::directory_entry& item, const std::string& relative) {
  auto path = detail::normalise_entry_path(relative);
  if (!path.is_ok()) return path.status();
  std::error_code ec;
  const bool is_directory = item.is_directory(ec) && !item.is_symlink(ec);
  if (ignore_.excluded(*path)) {
    return is_directory && descend_excluded_ ? walk(item.path(), *path) : Status::ok();
  }
  if (auto status = counter_.add_entry(*path); !status.is_ok()) return status;
  auto entry = describe(item, *path);
  if (!entry.is_ok()) return entry.status();
  if (entry->type == Entry::Type::file) {
    if (auto status = counter_.add_bytes(*path, entry->size); !status.is_ok()) return status;
  }
  index_.entries.push_back(*entry);
  return is_directory ? walk(item.path(), *path) : Status::ok();
}

Result<Entry> DirectoryIndexer::describe(const fs::directory_entry& item, const std::string& path) {
  struct stat info {};
  if (::lstat(item.path().c_str(), &info) != 0) {
    return read_error(path, std::error_code(errno, std::generic_category()));
  }
  Entry entry;
  entry.path = path;
  entry.mode = info.st_mode & 0777;
  switch (info.st_mode & S_IFMT) {
    case S_IFREG: entry.size = info.st_size; return entry;
    case S_IFDIR: entry.type = Entry::Type::directory; return entry;
    case S_IFLNK: {
      entry.type = Entry::Type::symlink;
      std::error_code ec;
      entry.link_target = fs::read_symlink(item.path(), ec).string();
      if (ec) return read_error(path, ec);
      if (auto status = detail::check_symlink_target(path, entry.link_target); !status.is_ok()) {
        return status;
      }
      return entry;
    }
    default: return entry_error(path, detail::refused_type_reason(info.st_mode));
  }
}

Result<ContextIndex> DirectoryIndexer::finish() {
  std::sort(index_.entries.begin(), index_.entries.end(),
            [](const Entry& a, const Entry& b) { return a.path < b.path; });
  const auto formfile =
      std::find_if(index_.entries.begin(), index_.entries.end(),
                   [](const Entry& e) { return e.path == detail::kFormfileName; });
  if (auto status = detail::check_symlink_chains(index_.entries); !status.is_ok()) return status;
  if (formfile == index_.entries.end()) return detail::missing_formfile();
  if (formfile->type != Entry::Type::file) {
    return entry_error(formfile->path, "the Formfile must be a regular file");
  }
  if (auto status = detail::check_formfile_size(formfile->size); !status.is_ok()) return status;
  auto text = read_small_file(root_ / detail::kFormfileName, detail::kFormfileName);
  if (!text.is_ok()) return text.status();
  index_.formfile_text = std::move(text.value());
  index_.total_bytes = counter_.bytes();
  index_.file_count = counter_.entries();
  return std::move(index_);
}

struct OwnedFd {
  explicit OwnedFd(int descriptor) : fd(descriptor) {}
  int fd;
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  ~OwnedFd() {
    if (fd >= 0) ::close(fd);
  }
};

std::int64_t mtime_of(const fs::path& file) {
  struct stat info {};
  return ::lstat(file.c_str(), &info) == 0 ? static_cast<std::int64_t>(info.st_mtime) : 0;
}

class Packer {
 public:
  Packer(const fs::path& dir, std::int64_t total, const PackProgress& progress)
      : dir_(dir), total_(total), progress_(progress), buffer_(kChunkBytes) {}

  Status add(detail::TarWriter& writer, const Entry& entry);
  void report() const {
    if (progress_) progress_(done_, total_);
  }

 private:
  Status copy_file(detail::TarWriter& writer, const Entry& entry);

  fs::path dir_;
  std::int64_t total_;
  std::int64_t done_ = 0;
  const PackProgress& progress_;
  std::vector<char> buffer_;
};

Status Packer::add(detail::TarWriter& writer, const Entry& entry) {
  if (auto status = writer.add_header(entry, mtime_of(dir_ / entry.path)); !status.is_ok()) {
    return status;
  }
  return entry.type == Entry::Type::file ? copy_file(writer, entry) : Status::ok();
}

// The header already promised entry.size bytes: a file that changed since it was listed
// cannot be packed faithfully, so say so rather than pad or cut it.
Status Packer::copy_file(detail::TarWriter& writer, const Entry& entry) {
  const OwnedFd file{::open((dir_ / entry.path).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)};
  if (file.fd < 0) return read_error(entry.path, std::error_code(errno, std::generic_category()));
  std::int64_t left = entry.size;
  while (left > 0) {
    const auto want = static_cast<std::size_t>(std::min<std::int64_t>(left, kChunkBytes));
    const auto got = ::read(file.fd, buffer_.data(), want);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return read_error(entry.path, std::error_code(errno, std::generic_category()));
    if (got == 0) return entry_error(entry.path, "the file shrank while it was being packed");
    if (auto status = writer.write_data(buffer_.data(), static_cast<std::size_t>(got));
        !status.is_ok()) {
      return status;
    }
    left -= got;
    done_ += got;
    report();
  }
  return Status::ok();
}

}  // namespace

Result<ContextIndex> index_directory(const std::filesystem::path& dir,
                                     const ContextLimits& limits) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Status::not_found("context: no directory at " + dir.string());
  }
  DirectoryIndexer indexer(dir, limits);
  if (auto status = indexer.load_ignore_file(); !status.is_ok()) return status;
  if (auto status = indexer.walk(dir, ""); !status.is_ok()) return status;
  return indexer.finish();
}

Result<ContextIndex> pack_directory(const std::filesystem::path& dir,
                                    const std::filesystem::path& archive,
                                    const ContextLimits& limits, const PackProgress& progress) {
  auto index = index_directory(dir, limits);
  if (!index.is_ok()) {
    std::error_code ignored;
    fs::remove(archive, ignored);
    return index.status();
  }
  auto writer = detail::TarWriter::create(archive, detail::TarWriter::Compression::gzip_fast);
  if (!writer.is_ok()) return writer.status();
  Packer packer(dir, index->total_bytes, progress);
  packer.report();
  for (const auto& entry : index->entries) {
    if (auto status = packer.add(**writer, entry); !status.is_ok()) return status;
  }
  auto digest = (*writer)->commit();
  if (!digest.is_ok()) return digest.status();
  return index;
}

}  // namespace formation::build_context

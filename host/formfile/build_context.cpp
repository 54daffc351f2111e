#include "build_context.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <cerrno>
#include <memory>
#include <system_error>
#include <unordered_map>

#include "context_rules.hpp"
#include "context_tar_writer.hpp"

namespace formation::build_context {

namespace {

using detail::entry_error;

constexpr std::size_t kChunkBytes = std::size_t{1} << 20;

struct ArchiveDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ReadArchive = std::unique_ptr<archive, ArchiveDeleter>;

std::string libarchive_message(archive* a) {
  const char* message = archive_error_string(a);
  return message == nullptr ? "unknown libarchive error" : message;
}

const char* raw_pathname(archive_entry* header) {
  const char* name = archive_entry_pathname(header);
  return name != nullptr ? name : archive_entry_pathname_utf8(header);
}

const char* raw_hardlink(archive_entry* header) {
  const char* name = archive_entry_hardlink(header);
  return name != nullptr ? name : archive_entry_hardlink_utf8(header);
}

const char* raw_symlink(archive_entry* header) {
  const char* name = archive_entry_symlink(header);
  return name != nullptr ? name : archive_entry_symlink_utf8(header);
}

Result<ReadArchive> open_archive(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Status::not_found("context: no archive at " + path.string());
  }
  ReadArchive a(archive_read_new());
  // Tar only (plain, ustar, pax, GNU), under any compression: zip, cpio or ISO images are
  // not contexts even though libarchive could read them.
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), std::size_t{64} * 1024) != ARCHIVE_OK) {
    if (archive_errno(a.get()) == ENOENT) {
      return Status::not_found("context: no archive at " + path.string());
    }
    // libarchive recognises the format when it opens the file.
    return Status::invalid("context: not a tar archive (" + libarchive_message(a.get()) + ")");
  }
  return a;
}

// Reads one archive, entry by entry, checking each against the rules before anything of
// it reaches the normalised output.
class ContextReader {
 public:
  ContextReader(archive* a, const ContextLimits& limits, detail::TarWriter* output)
      : archive_(a), counter_(limits), output_(output), buffer_(kChunkBytes) {}

  Status read_all();
  ContextIndex take_index();

 private:
  Status next(archive_entry* header);
  Result<Entry> describe(archive_entry* header, const std::string& path);
  Status check_hardlink(Entry& entry, archive_entry* header);
  Status copy_data(const Entry& entry);
  void record(Entry entry);

  archive* archive_;
  detail::LimitCounter counter_;
  detail::TarWriter* output_;
  std::vector<char> buffer_;
  ContextIndex index_;
  std::unordered_map<std::string, std::size_t> position_;  // path -> index_.entries slot
  std::vector<bool> superseded_;
  bool have_formfile_ = false;
};

Status ContextReader::read_all() {
  for (bool first = true;; first = false) {
    archive_entry* header = nullptr;
    const int rc = archive_read_next_header(archive_, &header);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) {
      const auto what = first ? "not a tar archive (" : "the archive is damaged (";
      return Status::invalid("context: " + std::string(what) + libarchive_message(archive_) + ")");
    }
    if (auto status = next(header); !status.is_ok()) return status;
  }
  return have_formfile_ ? Status::ok() : detail::missing_formfile();
}

Status ContextReader::next(archive_entry* header) {
  const char* raw = raw_pathname(header);
  if (raw == nullptr) return Status::invalid("context: an entry has a name that cannot be read");
  auto path = detail::normalise_entry_path(raw);
  if (!path.is_ok()) return path.status();
  // "./" itself: the context root, which the unpacker creates anyway.
  if (path->empty()) return Status::ok();
  if (auto status = counter_.add_entry(*path); !status.is_ok()) return status;
  auto entry = describe(header, *path);
  if (!entry.is_ok()) return entry.status();
  if (entry->path == detail::kFormfileName) {
    if (entry->type != Entry::Type::file) {
      return entry_error(entry->path, "the Formfile must be a regular file");
    }
    if (auto status = detail::check_formfile_size(entry->size); !status.is_ok()) return status;
    index_.formfile_text.clear();
    have_formfile_ = true;
  }
  if (output_ != nullptr) {
    if (auto status = output_->add_header(*entry, archive_entry_mtime(header)); !status.is_ok()) {
      return status;
    }
  }
  if (entry->type == Entry::Type::file) {
    if (auto status = copy_data(*entry); !status.is_ok()) return status;
  }
  record(std::move(*entry));
  return Status::ok();
}

Result<Entry> ContextReader::describe(archive_entry* header, const std::string& path) {
  Entry entry;
  entry.path = path;
  entry.mode = archive_entry_perm(header) & 0777;
  if (raw_hardlink(header) != nullptr) {
    entry.type = Entry::Type::hardlink;
    if (auto status = check_hardlink(entry, header); !status.is_ok()) return status;
    return entry;
  }
  switch (archive_entry_filetype(header)) {
    case AE_IFREG:
      entry.type = Entry::Type::file;
      entry.size = archive_entry_size_is_set(header) ? archive_entry_size(header) : 0;
      if (auto status = counter_.check_announced(path, entry.size); !status.is_ok()) {
        return status;
      }
      return entry;
    case AE_IFDIR: entry.type = Entry::Type::directory; return entry;
    case AE_IFLNK: {
      entry.type = Entry::Type::symlink;
      const char* target = raw_symlink(header);
      entry.link_target = target == nullptr ? "" : target;
      if (auto status = detail::check_symlink_target(path, entry.link_target); !status.is_ok()) {
        return status;
      }
      return entry;
    }
    default: return entry_error(path, detail::refused_type_reason(archive_entry_filetype(header)));
  }
}

Status ContextReader::check_hardlink(Entry& entry, archive_entry* header) {
  auto target = detail::normalise_entry_path(raw_hardlink(header));
  if (!target.is_ok() || target->empty()) {
    return entry_error(entry.path, "hard link target is not a path inside the build context");
  }
  const auto found = position_.find(*target);
  if (found == position_.end() || index_.entries[found->second].type != Entry::Type::file) {
    return entry_error(entry.path, "hard link to " + *target +
                                       ", which is not an earlier regular file of the archive");
  }
  entry.link_target = *target;
  return Status::ok();
}

// Counts what the decompressor actually produces, not what the header claims: a header
// can lie, and the bytes are what fill the builder's disk.
Status ContextReader::copy_data(const Entry& entry) {
  const bool is_formfile = entry.path == detail::kFormfileName;
  std::int64_t seen = 0;
  for (;;) {
    const auto got = archive_read_data(archive_, buffer_.data(), buffer_.size());
    if (got == 0) break;
    if (got < 0) {
      return entry_error(entry.path, "cannot read the archive: " + libarchive_message(archive_));
    }
    seen += got;
    if (auto status = counter_.add_bytes(entry.path, got); !status.is_ok()) return status;
    if (is_formfile) {
      if (auto status = detail::check_formfile_size(seen); !status.is_ok()) return status;
      index_.formfile_text.append(buffer_.data(), static_cast<std::size_t>(got));
    }
    if (output_ != nullptr) {
      auto status = output_->write_data(buffer_.data(), static_cast<std::size_t>(got));
      if (!status.is_ok()) return status;
    }
  }
  if (seen != entry.size) {
    return entry_error(entry.path, "the archive holds " + std::to_string(seen) +
                                       " bytes where its header announces " +
                                       std::to_string(entry.size));
  }
  return Status::ok();
}

// A later entry with the same path replaces the earlier one, as when tar extracts.
void ContextReader::record(Entry entry) {
  const auto [slot, inserted] = position_.try_emplace(entry.path, index_.entries.size());
  if (!inserted) {
    superseded_[slot->second] = true;
    slot->second = index_.entries.size();
  }
  index_.entries.push_back(std::move(entry));
  superseded_.push_back(false);
}

ContextIndex ContextReader::take_index() {
  std::vector<Entry> kept;
  kept.reserve(index_.entries.size());
  for (std::size_t i = 0; i < index_.entries.size(); ++i) {
    if (!superseded_[i]) kept.push_back(std::move(index_.entries[i]));
  }
  index_.entries = std::move(kept);
  index_.total_bytes = counter_.bytes();
  index_.file_count = counter_.entries();
  return std::move(index_);
}

std::string strip_dot_slash(std::string_view path) {
  while (path.starts_with("./")) path.remove_prefix(2);
  while (path.ends_with('/')) path.remove_suffix(1);
  return std::string(path);
}

}  // namespace

bool ContextIndex::contains(std::string_view path) const {
  const auto wanted = strip_dot_slash(path);
  if (wanted.empty() || wanted == ".") return true;
  for (const auto& entry : entries) {
    if (entry.path == wanted) return true;
    if (entry.path.size() > wanted.size() && entry.path.starts_with(wanted) &&
        entry.path[wanted.size()] == '/') {
      return true;
    }
  }
  return false;
}

Result<ContextIndex> read_context(const std::filesystem::path& archive, const ContextLimits& limits,
                                  const std::optional<std::filesystem::path>& normalised_tar) {
  std::unique_ptr<detail::TarWriter> output;
  if (normalised_tar) {
    auto created = detail::TarWriter::create(*normalised_tar, detail::TarWriter::Compression::none);
    if (!created.is_ok()) return created.status();
    output = std::move(created.value());
  }
  auto opened = open_archive(archive);
  if (!opened.is_ok()) return opened.status();
  ContextReader reader(opened->get(), limits, output.get());
  if (auto status = reader.read_all(); !status.is_ok()) return status;
  auto index = reader.take_index();
  if (auto status = detail::check_symlink_chains(index.entries); !status.is_ok()) return status;
  if (output) {
    auto digest = output->commit();
    if (!digest.is_ok()) return digest.status();
    index.digest = std::move(digest.value());
  }
  return index;
}

std::vector<formfile::Diagnostic> check_copy_sources(const formfile::Formfile& formfile,
                                                     const ContextIndex& context) {
  std::vector<formfile::Diagnostic> diagnostics;
  for (const auto& step : formfile.steps) {
    if (step.kind != formfile::Step::Kind::copy) continue;
    const auto src = strip_dot_slash(step.src);
    if (context.contains(src)) continue;
    diagnostics.push_back({step.at, "COPY " + step.src + ": no file or directory `" + src +
                                        "` in the build context"});
  }
  return diagnostics;
}

}  // namespace formation::build_context

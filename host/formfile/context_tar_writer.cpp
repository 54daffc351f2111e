#include "context_tar_writer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace formation::build_context::detail {

namespace {

std::string hex(const unsigned char* bytes, unsigned size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < size; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 0xf];
  }
  return out;
}

Status io_error(const std::filesystem::path& path, std::string_view what) {
  return Status::internal("context: " + path.string() + ": " + std::string(what) + ": " +
                          std::strerror(errno));
}

mode_t file_type(Entry::Type type) {
  switch (type) {
    case Entry::Type::directory: return AE_IFDIR;
    case Entry::Type::symlink: return AE_IFLNK;
    case Entry::Type::file:
    case Entry::Type::hardlink: return AE_IFREG;
  }
  return AE_IFREG;
}

}  // namespace

TarWriter::TarWriter(std::filesystem::path target) : target_(std::move(target)) {}

Result<std::unique_ptr<TarWriter>> TarWriter::create(const std::filesystem::path& target,
                                                     Compression compression) {
  std::unique_ptr<TarWriter> writer(new TarWriter(target));
  if (auto status = writer->open(compression); !status.is_ok()) return status;
  return writer;
}

Status TarWriter::open(Compression compression) {
  std::string name = target_.string() + ".XXXXXX";
  std::vector<char> buffer(name.begin(), name.end());
  buffer.push_back('\0');
  fd_ = ::mkstemp(buffer.data());
  if (fd_ < 0) return io_error(target_, "cannot create a temporary file next to it");
  temp_ = buffer.data();
  // mkstemp makes it 0600; archives are not secrets.
  ::fchmod(fd_, 0644);
  sha_ = EVP_MD_CTX_new();
  if (sha_ == nullptr || EVP_DigestInit_ex(sha_, EVP_sha256(), nullptr) != 1) {
    return Status::internal("context: cannot start SHA-256");
  }
  archive_ = archive_write_new();
  if (archive_ == nullptr) return Status::internal("context: cannot start a tar writer");
  if (archive_write_set_format_pax_restricted(archive_) != ARCHIVE_OK) {
    return archive_error("cannot select the pax format");
  }
  if (compression == Compression::gzip_fast) {
    // Level 1: contexts are uploaded once, speed matters more than the last few percent;
    // no timestamp in the gzip header, so packing twice gives the same bytes.
    if (archive_write_add_filter_gzip(archive_) != ARCHIVE_OK ||
        archive_write_set_options(archive_, "gzip:compression-level=1,gzip:!timestamp") <
            ARCHIVE_WARN) {
      return archive_error("cannot set up gzip");
    }
  }
  if (archive_write_open(archive_, this, nullptr, &TarWriter::on_write, nullptr) != ARCHIVE_OK) {
    return archive_error("cannot open the tar writer");
  }
  return Status::ok();
}

long TarWriter::on_write(struct archive* a, void* self, const void* data, std::size_t size) {
  auto* writer = static_cast<TarWriter*>(self);
  const auto* bytes = static_cast<const char*>(data);
  std::size_t left = size;
  while (left > 0) {
    const auto written = ::write(writer->fd_, bytes, left);
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) {
      archive_set_error(a, errno, "cannot write %s: %s", writer->temp_.c_str(),
                        std::strerror(errno));
      return -1;
    }
    bytes += written;
    left -= static_cast<std::size_t>(written);
  }
  EVP_DigestUpdate(writer->sha_, data, size);
  return static_cast<long>(size);
}

Status TarWriter::archive_error(std::string_view what) const {
  const char* detail = archive_ == nullptr ? nullptr : archive_error_string(archive_);
  return Status::internal("context: " + target_.string() + ": " + std::string(what) +
                          (detail == nullptr ? "" : std::string(": ") + detail));
}

Status TarWriter::add_header(const Entry& entry, std::int64_t mtime) {
  archive_entry* header = archive_entry_new();
  archive_entry_copy_pathname(header, entry.path.c_str());
  archive_entry_set_filetype(header, file_type(entry.type));
  archive_entry_set_perm(header, entry.mode & 0777);
  archive_entry_set_uid(header, 0);
  archive_entry_set_gid(header, 0);
  archive_entry_copy_uname(header, "root");
  archive_entry_copy_gname(header, "root");
  archive_entry_set_mtime(header, mtime, 0);
  archive_entry_set_size(header, entry.type == Entry::Type::file ? entry.size : 0);
  if (entry.type == Entry::Type::symlink) {
    archive_entry_copy_symlink(header, entry.link_target.c_str());
  } else if (entry.type == Entry::Type::hardlink) {
    archive_entry_copy_hardlink(header, entry.link_target.c_str());
  }
  const int rc = archive_write_header(archive_, header);
  archive_entry_free(header);
  if (rc < ARCHIVE_WARN) return archive_error("cannot write the entry " + entry.path);
  return Status::ok();
}

Status TarWriter::write_data(const void* data, std::size_t size) {
  const auto written = archive_write_data(archive_, data, size);
  if (written < 0 || static_cast<std::size_t>(written) != size) {
    return archive_error("cannot write file data");
  }
  return Status::ok();
}

Result<std::string> TarWriter::commit() {
  if (archive_write_close(archive_) != ARCHIVE_OK) return archive_error("cannot finish the tar");
  if (::fsync(fd_) != 0) return io_error(temp_, "cannot sync");
  if (::close(fd_) != 0) {
    fd_ = -1;
    return io_error(temp_, "cannot close");
  }
  fd_ = -1;
  if (std::rename(temp_.c_str(), target_.c_str()) != 0) return io_error(target_, "cannot rename");
  committed_ = true;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned size = 0;
  EVP_DigestFinal_ex(sha_, digest, &size);
  return hex(digest, size);
}

TarWriter::~TarWriter() {
  if (archive_ != nullptr) archive_write_free(archive_);
  if (fd_ >= 0) ::close(fd_);
  if (sha_ != nullptr) EVP_MD_CTX_free(sha_);
  if (!committed_) {
    std::error_code ignored;
    if (!temp_.empty()) std::filesystem::remove(temp_, ignored);
    std::filesystem::remove(target_, ignored);
  }
}

}  // namespace formation::build_context::detail

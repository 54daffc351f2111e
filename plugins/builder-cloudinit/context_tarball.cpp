#include "context_tarball.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <array>
#include <memory>
#include <string>
#include <string_view>

namespace formation::cloudinit {
namespace {

struct ReaderDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct WriterDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};

std::string error_of(archive* a) {
  const char* text = archive_error_string(a);
  return text == nullptr ? "unknown libarchive error" : text;
}

std::string_view normalised(const char* path) {
  std::string_view p = path == nullptr ? "" : path;
  while (p.starts_with("./")) p.remove_prefix(2);
  while (p.ends_with("/")) p.remove_suffix(1);
  return p;
}

Status copy_entries(archive* reader, archive* writer, const std::filesystem::path& in) {
  archive_entry* entry = nullptr;
  std::array<char, 1 << 16> buffer{};
  for (;;) {
    int rc = archive_read_next_header(reader, &entry);
    if (rc == ARCHIVE_EOF) return Status::ok();
    if (rc != ARCHIVE_OK) {
      return Status::internal("reading " + in.string() + ": " + error_of(reader));
    }
    auto path = normalised(archive_entry_pathname(entry));
    if (path == "Formfile") continue;
    if (const char* link = archive_entry_hardlink(entry); link && normalised(link) == "Formfile") {
      return Status::invalid("context: " + std::string(path) +
                             ": a hard link to the Formfile would ship its passwords");
    }
    if (archive_write_header(writer, entry) != ARCHIVE_OK) {
      return Status::internal("writing the guest context: " + error_of(writer));
    }
    for (;;) {
      la_ssize_t n = archive_read_data(reader, buffer.data(), buffer.size());
      if (n == 0) break;
      if (n < 0) {
        return Status::internal("reading " + in.string() + ": " + error_of(reader));
      }
      if (archive_write_data(writer, buffer.data(), static_cast<std::size_t>(n)) != n) {
        return Status::internal("writing the guest context: " + error_of(writer));
      }
    }
  }
}

}  // namespace

Status write_guest_context(const std::filesystem::path& in, const std::filesystem::path& out) {
  std::unique_ptr<archive, ReaderDeleter> reader(archive_read_new());
  std::unique_ptr<archive, WriterDeleter> writer(archive_write_new());
  archive_read_support_format_tar(reader.get());
  archive_write_set_format_pax_restricted(writer.get());
  Status status;
  if (archive_read_open_filename(reader.get(), in.c_str(), 1 << 16) != ARCHIVE_OK) {
    status = Status::internal("opening " + in.string() + ": " + error_of(reader.get()));
  } else if (archive_write_open_filename(writer.get(), out.c_str()) != ARCHIVE_OK) {
    status = Status::internal("creating " + out.string() + ": " + error_of(writer.get()));
  } else {
    status = copy_entries(reader.get(), writer.get(), in);
    if (archive_write_close(writer.get()) != ARCHIVE_OK && status.is_ok()) {
      status = Status::internal("writing the guest context: " + error_of(writer.get()));
    }
  }
  if (!status.is_ok()) {
    std::error_code ec;
    std::filesystem::remove(out, ec);
  }
  return status;
}

}  // namespace formation::cloudinit

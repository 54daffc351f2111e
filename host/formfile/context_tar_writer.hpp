// Writes context entries to a tar file the safe way: into a temporary file next to the
// target, fsync'd and renamed over it only when everything went well, so a reader never
// sees half an archive and an error leaves nothing behind.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "build_context.hpp"
#include "formation/status.hpp"

struct archive;
struct evp_md_ctx_st;

namespace formation::build_context::detail {

class TarWriter {
 public:
  enum class Compression { none, gzip_fast };

  static Result<std::unique_ptr<TarWriter>> create(const std::filesystem::path& target,
                                                   Compression compression);
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;
  // Without commit(): the temporary file and the target are removed (the contract of
  // read_context and pack_directory: on error the output does not exist).
  ~TarWriter();

  // Owned by root:root, permission bits only.
  Status add_header(const Entry& entry, std::int64_t mtime);
  Status write_data(const void* data, std::size_t size);
  // Lowercase hex SHA-256 of the bytes written (compressed ones when compressing).
  Result<std::string> commit();

 private:
  explicit TarWriter(std::filesystem::path target);
  Status open(Compression compression);
  Status archive_error(std::string_view what) const;
  static long on_write(struct archive*, void* self, const void* data, std::size_t size);

  std::filesystem::path target_;
  std::filesystem::path temp_;
  int fd_ = -1;
  struct archive* archive_ = nullptr;
  evp_md_ctx_st* sha_ = nullptr;
  bool committed_ = false;
};

}  // namespace formation::build_context::detail

// The build-context rules shared by read_context (archives from anyone) and
// index_directory (a folder on the user's machine), so that both sides refuse the same
// things with the same words.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "build_context.hpp"
#include "formation/records/build_limits.hpp"
#include "formation/status.hpp"

namespace formation::build_context::detail {

// "context: <path>: <what>"
std::string entry_message(std::string_view path, std::string_view what);
Status entry_error(std::string_view path, std::string_view what);

// A relative, "/"-separated path without "./", "//" or a trailing "/"; "" for the root
// itself. Refuses absolute paths, ".." and control characters.
Result<std::string> normalise_entry_path(std::string_view raw);

// A symlink at `path` may only point somewhere inside the context.
Status check_symlink_target(std::string_view path, std::string_view target);

// The per-link check above is lexical; this one follows links through other links of the
// finished context ("up -> .." inside "sub", then "x -> sub/up/.."), as the kernel would.
Status check_symlink_chains(const std::vector<Entry>& entries);

// Why an entry of this (libarchive / stat) file type may not be in a context.
std::string refused_type_reason(unsigned file_type);

// The root Formfile: present, a regular file and not too large.
Status check_formfile_size(std::int64_t size);
Status missing_formfile();
inline constexpr std::string_view kFormfileName = "Formfile";

// Counts entries and unpacked bytes against ContextLimits.
class LimitCounter {
 public:
  explicit LimitCounter(const ContextLimits& limits) : limits_(limits) {}
  Status add_entry(std::string_view path);
  Status add_bytes(std::string_view path, std::int64_t bytes);
  // Refuses early when a header announces more than what is left.
  Status check_announced(std::string_view path, std::int64_t size) const;
  [[nodiscard]] std::int64_t entries() const { return entries_; }
  [[nodiscard]] std::int64_t bytes() const { return bytes_; }

 private:
  Status too_many_bytes(std::string_view path) const;
  ContextLimits limits_;
  std::int64_t entries_ = 0;
  std::int64_t bytes_ = 0;
};

}  // namespace formation::build_context::detail

// Build contexts: the folder a Formfile sits in, packed by `form` into a tar archive,
// uploaded, checked by formationd and unpacked by the builder. One set of rules on both
// sides (docs/formfile.md "The build context"):
//  - paths are relative, with no "..", and not absolute;
//  - regular files, directories and symlinks only (no devices, FIFOs, sockets); a symlink
//    must point inside the context (relative target that resolves inside it); hard links
//    must name an earlier entry of the archive;
//  - at most ContextLimits::max_files entries and max_bytes unpacked bytes;
//  - a regular file named `Formfile` at the root, at most formfile::kMaxFormfileBytes.
// Every refusal says which entry and which rule ("context: dev/null: device files are not
// allowed in a build context").
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formation/records/build_limits.hpp"
#include "formation/status.hpp"
#include "formfile.hpp"

namespace formation::build_context {

struct Entry {
  enum class Type { file, directory, symlink, hardlink };
  std::string path;  // normalised: relative, "/"-separated, no "./" prefix, no trailing "/"
  Type type = Type::file;
  std::int64_t size = 0;    // regular files
  std::string link_target;  // symlink: as stored; hardlink: the normalised path it names
  unsigned mode = 0644;     // permission bits (setuid, setgid and sticky bits cleared)
};

struct ContextIndex {
  std::vector<Entry> entries;  // in archive (or walk) order
  std::int64_t total_bytes = 0;
  std::int64_t file_count = 0;  // entries of any type
  std::string formfile_text;    // the root Formfile
  // Lowercase hex SHA-256 of the normalised tar (read_context with an output file), else
  // empty.
  std::string digest;

  // True when `path` (normalised) is an entry or a directory that holds entries.
  [[nodiscard]] bool contains(std::string_view path) const;
};

// Reads an archive (tar, optionally gzip/xz/zstd/bzip2-compressed; libarchive detects
// which) and checks every entry against the rules and `limits`. When `normalised_tar` is
// given, also writes the accepted entries to it as an uncompressed POSIX (pax) tar owned
// by root:root, and sets ContextIndex::digest. On any error the output file does not exist
// afterwards. Errors: invalid (a rule or limit, or not an archive), not_found (no archive).
Result<ContextIndex> read_context(const std::filesystem::path& archive, const ContextLimits& limits,
                                  const std::optional<std::filesystem::path>& normalised_tar = {});

// The patterns of a `.formignore` file (the same language as `.dockerignore`): one
// pattern per line, `#` comments, blank lines ignored, `*` `?` `[...]` within a path
// segment, `**` across segments, a leading `!` re-includes, later lines win, a pattern
// matching a directory excludes everything under it. The root `Formfile` and
// `.formignore` are never excluded.
class FormIgnore {
 public:
  FormIgnore() = default;
  static FormIgnore parse(std::string_view text);
  [[nodiscard]] bool excluded(std::string_view relative_path) const;

 private:
  struct Pattern {
    std::string glob;
    bool negated = false;
  };
  std::vector<Pattern> patterns_;
};

// Lists `dir` as `form` would pack it: `.formignore` applied, symlinks not followed, the
// same rules and limits as read_context (so a context refused here would be refused by
// the server, and the other way round). Errors name the path.
Result<ContextIndex> index_directory(const std::filesystem::path& dir, const ContextLimits& limits);

// Packs `dir` (as listed by index_directory) into a gzip-compressed tar at `archive`.
// `progress` gets (bytes written so far, total bytes) now and then; it may be empty. On
// error `archive` does not exist afterwards.
using PackProgress = std::function<void(std::int64_t done, std::int64_t total)>;
Result<ContextIndex> pack_directory(const std::filesystem::path& dir,
                                    const std::filesystem::path& archive,
                                    const ContextLimits& limits, const PackProgress& progress = {});

// Every COPY whose source is not in the context, as a diagnostic at that COPY
// ("COPY ./app: no file or directory `app` in the build context").
std::vector<formfile::Diagnostic> check_copy_sources(const formfile::Formfile& formfile,
                                                     const ContextIndex& context);

}  // namespace formation::build_context

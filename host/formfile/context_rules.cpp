#include "context_rules.hpp"

#include <sys/stat.h>

#include <deque>
#include <unordered_map>
#include <vector>

#include "formfile.hpp"

namespace formation::build_context::detail {

namespace {

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> segments;
  while (!path.empty()) {
    const auto slash = path.find('/');
    const auto segment = path.substr(0, slash);
    if (!segment.empty() && segment != ".") segments.push_back(segment);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

bool has_control_character(std::string_view text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return true;
  }
  return false;
}

// Names are shown in messages: control characters would garble a terminal.
std::string printable(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    out += (byte < 0x20 || byte == 0x7f) ? '?' : c;
  }
  return out;
}

}  // namespace

std::string entry_message(std::string_view path, std::string_view what) {
  return "context: " + printable(path) + ": " + std::string(what);
}

Status entry_error(std::string_view path, std::string_view what) {
  return Status::invalid(entry_message(path, what));
}

Result<std::string> normalise_entry_path(std::string_view raw) {
  if (raw.empty()) return Status::invalid("context: an entry has an empty path");
  if (has_control_character(raw)) {
    return entry_error(raw, "control characters are not allowed in build-context paths");
  }
  if (raw.front() == '/') {
    return entry_error(raw, "absolute paths are not allowed in a build context");
  }
  std::string normalised;
  for (const auto segment : split(raw)) {
    if (segment == "..") {
      return entry_error(raw, "\"..\" is not allowed in build-context paths");
    }
    if (!normalised.empty()) normalised += '/';
    normalised += segment;
  }
  return normalised;
}

Status check_symlink_target(std::string_view path, std::string_view target) {
  if (target.empty()) return entry_error(path, "symlink with an empty target");
  if (has_control_character(target)) {
    return entry_error(path, "control characters are not allowed in symlink targets");
  }
  if (target.front() == '/') {
    return entry_error(path, "symlink to an absolute path (" + printable(target) +
                                 ") is not allowed; point inside the build context");
  }
  // Resolved from the directory holding the link, as the kernel would start.
  auto resolved = split(path);
  if (!resolved.empty()) resolved.pop_back();
  for (const auto segment : split(target)) {
    if (segment != "..") {
      resolved.push_back(segment);
    } else if (resolved.empty()) {
      return entry_error(path, "symlink target " + printable(target) + " leaves the build context");
    } else {
      resolved.pop_back();
    }
  }
  return Status::ok();
}

namespace {

std::string join(const std::vector<std::string_view>& segments) {
  std::string out;
  for (const auto segment : segments) {
    if (!out.empty()) out += '/';
    out += segment;
  }
  return out;
}

// False when following `link` (and the links it passes through) leaves the context.
bool resolves_inside(std::string_view link,
                     const std::unordered_map<std::string, std::string_view>& targets) {
  // Past this many hops the kernel gives up with ELOOP, which cannot escape either.
  constexpr int kMaxHops = 40;
  auto resolved = split(link);
  resolved.pop_back();
  const auto first = split(targets.at(std::string(link)));
  std::deque<std::string_view> pending(first.begin(), first.end());
  for (int hops = 0; !pending.empty() && hops <= kMaxHops;) {
    const auto segment = pending.front();
    pending.pop_front();
    if (segment == "..") {
      if (resolved.empty()) return false;
      resolved.pop_back();
      continue;
    }
    resolved.push_back(segment);
    const auto through = targets.find(join(resolved));
    if (through == targets.end()) continue;
    ++hops;
    resolved.pop_back();
    const auto next = split(through->second);
    pending.insert(pending.begin(), next.begin(), next.end());
  }
  return true;
}

}  // namespace

Status check_symlink_chains(const std::vector<Entry>& entries) {
  std::unordered_map<std::string, std::string_view> targets;
  for (const auto& entry : entries) {
    if (entry.type == Entry::Type::symlink) targets.emplace(entry.path, entry.link_target);
  }
  for (const auto& entry : entries) {
    if (entry.type != Entry::Type::symlink || resolves_inside(entry.path, targets)) continue;
    return entry_error(entry.path, "symlink target " + printable(entry.link_target) +
                                       " leaves the build context through another symlink");
  }
  return Status::ok();
}

std::string refused_type_reason(unsigned file_type) {
  switch (file_type & S_IFMT) {
    case S_IFCHR:
    case S_IFBLK: return "device files are not allowed in a build context";
    case S_IFIFO: return "FIFOs are not allowed in a build context";
    case S_IFSOCK: return "sockets are not allowed in a build context";
    default: return "only regular files, directories and symlinks are allowed in a build context";
  }
}

Status check_formfile_size(std::int64_t size) {
  if (size <= static_cast<std::int64_t>(formfile::kMaxFormfileBytes)) return Status::ok();
  return entry_error(kFormfileName, "the Formfile is " + std::to_string(size) + " bytes; at most " +
                                        std::to_string(formfile::kMaxFormfileBytes) +
                                        " are allowed");
}

Status missing_formfile() {
  return Status::invalid("context: no Formfile at the root of the build context");
}

Status LimitCounter::add_entry(std::string_view path) {
  if (++entries_ <= limits_.max_files) return Status::ok();
  return entry_error(path, "the context has more than " + std::to_string(limits_.max_files) +
                               " entries (ContextLimits max_files); leave files out with "
                               ".formignore");
}

Status LimitCounter::add_bytes(std::string_view path, std::int64_t bytes) {
  bytes_ += bytes;
  return bytes_ <= limits_.max_bytes ? Status::ok() : too_many_bytes(path);
}

Status LimitCounter::check_announced(std::string_view path, std::int64_t size) const {
  return size <= limits_.max_bytes - bytes_ ? Status::ok() : too_many_bytes(path);
}

Status LimitCounter::too_many_bytes(std::string_view path) const {
  return entry_error(path, "the unpacked context exceeds " + std::to_string(limits_.max_bytes) +
                               " bytes (ContextLimits max_bytes); leave large files out with "
                               ".formignore");
}

}  // namespace formation::build_context::detail

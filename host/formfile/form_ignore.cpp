#include <string>
#include <vector>

#include "build_context.hpp"

namespace formation::build_context {

namespace {

std::string_view trim(std::string_view text) {
  const auto blank = " \t\r\n\f\v";
  const auto first = text.find_first_not_of(blank);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(blank) - first + 1);
}

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    const auto slash = path.find('/');
    const auto segment = path.substr(0, slash);
    if (!segment.empty() && segment != ".") out.push_back(segment);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

// Like Go's filepath.Clean on a relative pattern, which is what .dockerignore does: "/app/",
// "./app" and "app" are one pattern.
std::string clean(std::string_view pattern) {
  std::vector<std::string_view> kept;
  for (const auto segment : segments(pattern)) {
    if (segment == ".." && !kept.empty() && kept.back() != "..") {
      kept.pop_back();
    } else {
      kept.push_back(segment);
    }
  }
  std::string out;
  for (const auto segment : kept) {
    if (!out.empty()) out += '/';
    out += segment;
  }
  return out;
}

// `[...]` at the start of `pattern`; advances past it. False when `c` is not in the class
// (or the class is unterminated, which then matches nothing, as in Go).
bool match_class(std::string_view& pattern, char c) {
  std::size_t i = 1;
  const bool negated = i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^');
  if (negated) ++i;
  bool found = false;
  for (bool first = true; i < pattern.size() && (first || pattern[i] != ']'); first = false) {
    char low = pattern[i];
    if (low == '\\' && i + 1 < pattern.size()) low = pattern[++i];
    char high = low;
    if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
      high = pattern[i + 2];
      if (high == '\\' && i + 3 < pattern.size()) high = pattern[++i + 2];
      i += 2;
    }
    if (low <= c && c <= high) found = true;
    ++i;
  }
  if (i >= pattern.size()) return false;
  pattern.remove_prefix(i + 1);
  return found != negated;
}

// One path segment against one pattern segment: `*`, `?`, `[...]`, `\` escapes.
bool match_segment(std::string_view pattern, std::string_view name) {
  while (!pattern.empty()) {
    const char p = pattern.front();
    if (p == '*') {
      while (!pattern.empty() && pattern.front() == '*') pattern.remove_prefix(1);
      for (std::size_t skip = 0; skip <= name.size(); ++skip) {
        if (match_segment(pattern, name.substr(skip))) return true;
      }
      return false;
    }
    if (name.empty()) return false;
    if (p == '?') {
      pattern.remove_prefix(1);
    } else if (p == '[') {
      if (!match_class(pattern, name.front())) return false;
    } else {
      if (p == '\\' && pattern.size() > 1) pattern.remove_prefix(1);
      if (pattern.front() != name.front()) return false;
      pattern.remove_prefix(1);
    }
    name.remove_prefix(1);
  }
  return name.empty();
}

bool match_segments(const std::vector<std::string_view>& pattern, std::size_t p,
                    const std::vector<std::string_view>& path, std::size_t s) {
  if (p == pattern.size()) return s == path.size();
  if (pattern[p] == "**") {
    for (std::size_t next = s; next <= path.size(); ++next) {
      if (match_segments(pattern, p + 1, path, next)) return true;
    }
    return false;
  }
  return s < path.size() && match_segment(pattern[p], path[s]) &&
         match_segments(pattern, p + 1, path, s + 1);
}

// A pattern that names a directory also covers everything below it.
bool matches_path_or_parent(std::string_view glob, const std::vector<std::string_view>& path) {
  const auto pattern = segments(glob);
  for (std::size_t length = 1; length <= path.size(); ++length) {
    const std::vector<std::string_view> prefix(path.begin(), path.begin() + length);
    if (match_segments(pattern, 0, prefix, 0)) return true;
  }
  return false;
}

}  // namespace

FormIgnore FormIgnore::parse(std::string_view text) {
  FormIgnore ignore;
  while (!text.empty()) {
    const auto newline = text.find('\n');
    auto line = trim(text.substr(0, newline));
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    if (line.empty() || line.front() == '#') continue;
    Pattern pattern;
    if (line.front() == '!') {
      pattern.negated = true;
      line = trim(line.substr(1));
    }
    pattern.glob = clean(line);
    if (!pattern.glob.empty()) ignore.patterns_.push_back(std::move(pattern));
  }
  return ignore;
}

bool FormIgnore::excluded(std::string_view relative_path) const {
  const auto path = segments(relative_path);
  if (path.empty()) return false;
  // What `form` needs to build at all: without them the server could not read the context.
  if (path.size() == 1 && (path[0] == "Formfile" || path[0] == ".formignore")) return false;
  bool excluded = false;
  for (const auto& pattern : patterns_) {
    if (excluded == !pattern.negated) continue;
    if (matches_path_or_parent(pattern.glob, path)) excluded = !pattern.negated;
  }
  return excluded;
}

}  // namespace formation::build_context

// Reading the operator's JSON files: comments (// and /* */) and trailing commas are
// allowed, errors say "<source>:<line>:<column>: <what>".
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "formation/status.hpp"

namespace formation::host {

// Files larger than this are refused before they are parsed.
inline constexpr std::size_t kMaxJsonFileBytes = std::size_t{1} << 20;
// Arrays and objects nested deeper than this are refused (keeps every later recursive
// walk of the document, such as schema validation, far from the stack limit).
inline constexpr unsigned kMaxJsonDepth = 128;

// Parses `text` (UTF-8, an optional byte order mark, comments and trailing commas
// allowed). `source` names the text in error messages, e.g. "plugins.d/echo.json".
// Errors are Status::invalid("<source>:<line>:<column>: <message>"), line and column
// counted from 1, the column in characters.
Result<rapidjson::Document> parse_json(std::string_view text, const std::string& source);

// Reads and parses a file; the path as given names it in messages.
Result<rapidjson::Document> read_json_file(const std::filesystem::path& path);
// The same, naming the file `source` in messages (e.g. a path relative to the config dir).
Result<rapidjson::Document> read_json_file(const std::filesystem::path& path,
                                           const std::string& source);

}  // namespace formation::host

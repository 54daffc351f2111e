// Internal to the Formfile parser: logical lines (continuations joined, every byte mapped
// back to its physical line:column) and the tokens instructions are made of.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "formfile.hpp"

namespace formation::formfile::detail {

// One instruction's text after joining continuations. pos has one entry per byte of text
// plus one for the end, so a diagnostic about any byte (or "after the last one") can name
// the physical position a user sees in their editor.
struct LogicalLine {
  std::string text;
  std::vector<Position> pos;
  [[nodiscard]] Position at(std::size_t index) const {
    return index < pos.size() ? pos[index] : pos.back();
  }
};

struct SplitResult {
  std::vector<LogicalLine> lines;
  std::vector<Diagnostic> errors;
  bool truncated = false;  // stopped at bad encoding: file-wide checks would mislead
};

SplitResult split_lines(std::string_view text);

// A blank-separated word; quotes ("..." with \" and \\ escapes, '...' literal) group
// blanks into it and are removed. src maps each byte of text to its byte in the line,
// quoted marks the bytes that came from inside quotes (never separators).
struct Token {
  std::string text;
  std::vector<std::size_t> src;
  std::vector<bool> quoted;
  std::size_t begin = 0;  // index in the line of the token's first byte
  std::size_t end = 0;    // one past its last byte

  // Index in text of the first unquoted byte that is one of chars, or npos.
  [[nodiscard]] std::size_t find_unquoted(std::string_view chars) const;
  // Index in the line of text[index] (end of token when index is past the text).
  [[nodiscard]] std::size_t line_index(std::size_t index) const {
    return index < src.size() ? src[index] : end;
  }
};

struct TokenizeResult {
  std::vector<Token> tokens;
  bool ok = true;
  std::size_t error_at = 0;  // index in the line of the unterminated quote
};

// Tokens of line.text from begin on.
TokenizeResult tokenize(const std::string& line, std::size_t begin, bool with_quotes);

inline bool is_blank(char c) { return c == ' ' || c == '\t'; }
std::size_t skip_blanks(std::string_view text, std::size_t index);
std::string to_upper(std::string_view text);
std::string to_lower(std::string_view text);
// A value as quoted back in a message: backticked, shortened when long.
std::string shown(std::string_view value);

// Decimal digits only, no sign. Returns false when not a number; a number too large for
// an int becomes INT32_MAX so the caller reports it as out of range.
bool parse_decimal(std::string_view text, long long& out);

}  // namespace formation::formfile::detail

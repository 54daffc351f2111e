// Physical lines to logical lines, and tokens. See formfile_text.hpp.
#include "formfile_text.hpp"

#include <algorithm>
#include <cctype>
#include <climits>

namespace formation::formfile::detail {
namespace {

// Length of the valid UTF-8 sequence starting at text[i], or 0 when it is not valid
// (overlong forms, surrogates and values past U+10FFFF included) or is a NUL.
std::size_t utf8_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead == 0) return 0;
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

// Columns count characters, not bytes, so they match what an editor shows.
std::vector<int> columns_of(std::string_view line) {
  std::vector<int> columns(line.size() + 1);
  int column = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80) ++column;
    columns[i] = column;
  }
  columns[line.size()] = column + 1;
  return columns;
}

struct Physical {
  std::string_view text;
  int number = 0;
};

// Collects the pieces of one logical line as the physical lines come.
class Joiner {
 public:
  bool active() const { return started_; }
  bool continuing() const { return continuing_; }
  Position backslash() const { return joint_; }

  // Adds the piece of a physical line from first to last (exclusive); continued says
  // whether the line ended in a backslash at index backslash.
  void add(const Physical& physical, std::size_t first, std::size_t last, bool continued,
           std::size_t backslash) {
    const std::vector<int> columns = columns_of(physical.text);
    joint_ = {physical.number, columns[backslash]};
    continuing_ = continued;
    if (first == last) return;  // a lone `\` adds nothing, not even a joining space
    if (started_) {
      line_.text.push_back(' ');
      line_.pos.push_back(joint_);
    }
    for (std::size_t i = first; i < last; ++i) {
      line_.text.push_back(physical.text[i]);
      line_.pos.push_back({physical.number, columns[i]});
    }
    end_ = {physical.number, columns[last]};
    started_ = true;
  }

  LogicalLine take() {
    LogicalLine out = std::move(line_);
    out.pos.push_back(end_);
    line_ = {};
    continuing_ = false;
    started_ = false;
    return out;
  }

 private:
  LogicalLine line_;
  Position end_, joint_;
  bool continuing_ = false;
  bool started_ = false;
};

std::size_t trim_right(std::string_view text, std::size_t end) {
  while (end > 0 && is_blank(text[end - 1])) --end;
  return end;
}

void add_physical(const Physical& physical, Joiner& joiner, std::vector<LogicalLine>& lines) {
  const std::size_t first = skip_blanks(physical.text, 0);
  // Blank and comment lines inside a continuation are skipped and it goes on, as in a
  // Dockerfile, so a commented-out part of a long USER line does not end it.
  if (first == physical.text.size() || physical.text[first] == '#') return;
  std::size_t last = trim_right(physical.text, physical.text.size());
  const bool continued = physical.text[last - 1] == '\\';
  const std::size_t backslash = continued ? last - 1 : last;
  if (continued) last = std::max(first, trim_right(physical.text, last - 1));
  joiner.add(physical, first, last, continued, backslash);
  if (!continued) lines.push_back(joiner.take());
}

// Finds the first byte that is not UTF-8 or is NUL; npos when all is well.
std::size_t first_bad_byte(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8_length(text, i);
    if (length == 0) return i;
    i += length;
  }
  return std::string_view::npos;
}

Diagnostic encoding_error(std::string_view text, std::size_t bad, int line,
                          std::size_t line_start) {
  const std::vector<int> columns = columns_of(text.substr(line_start, bad - line_start + 1));
  const int column = bad == line_start ? 1 : columns[bad - line_start - 1] + 1;
  const std::string what = text[bad] == '\0' ? "a NUL byte" : "a byte that is not valid UTF-8 text";
  return {{line, column}, "the Formfile must be UTF-8 text; found " + what + " here"};
}

}  // namespace

SplitResult split_lines(std::string_view text) {
  SplitResult out;
  if (text.size() > kMaxFormfileBytes) {
    out.errors.push_back({{1, 1},
                          "a Formfile may be at most " + std::to_string(kMaxFormfileBytes) +
                              " bytes; this one is " + std::to_string(text.size())});
    out.truncated = true;
    return out;
  }
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  const std::size_t bad = first_bad_byte(text);
  Joiner joiner;
  std::size_t start = 0;
  for (int number = 1; start <= text.size(); ++number) {
    std::size_t stop = text.find('\n', start);
    if (stop == std::string_view::npos) stop = text.size();
    if (bad != std::string_view::npos && bad < stop) {
      if (joiner.active()) out.lines.push_back(joiner.take());
      out.errors.push_back(encoding_error(text, bad, number, start));
      out.truncated = true;
      return out;
    }
    std::string_view physical = text.substr(start, stop - start);
    if (physical.ends_with('\r')) physical.remove_suffix(1);
    add_physical({physical, number}, joiner, out.lines);
    start = stop + 1;
  }
  if (joiner.continuing()) {
    const Position backslash = joiner.backslash();
    out.lines.push_back(joiner.take());
    out.errors.push_back({backslash,
                          "the last line ends in `\\` (a continuation) but the file ends there; "
                          "remove the `\\` or add the rest of the instruction"});
  }
  return out;
}

std::size_t Token::find_unquoted(std::string_view chars) const {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!quoted[i] && chars.find(text[i]) != std::string_view::npos) return i;
  }
  return std::string::npos;
}

namespace {

void push_char(Token& token, char c, std::size_t index, bool quoted) {
  token.text.push_back(c);
  token.src.push_back(index);
  token.quoted.push_back(quoted);
}

// Reads a quoted run starting at the quote at index; returns the index past the closing
// quote, or npos when it never closes.
std::size_t read_quoted(const std::string& line, std::size_t index, Token& token) {
  const char quote = line[index];
  for (std::size_t i = index + 1; i < line.size(); ++i) {
    if (line[i] == quote) return i + 1;
    const bool escape = quote == '"' && line[i] == '\\' && i + 1 < line.size() &&
                        (line[i + 1] == '"' || line[i + 1] == '\\');
    if (escape) ++i;
    push_char(token, line[i], i, true);
  }
  return std::string::npos;
}

}  // namespace

TokenizeResult tokenize(const std::string& line, std::size_t begin, bool with_quotes) {
  TokenizeResult out;
  std::size_t i = skip_blanks(line, begin);
  while (i < line.size()) {
    Token token;
    token.begin = i;
    while (i < line.size() && !is_blank(line[i])) {
      if (with_quotes && (line[i] == '"' || line[i] == '\'')) {
        const std::size_t next = read_quoted(line, i, token);
        if (next == std::string::npos) return {std::move(out.tokens), false, i};
        i = next;
        continue;
      }
      push_char(token, line[i], i, false);
      ++i;
    }
    token.end = i;
    out.tokens.push_back(std::move(token));
    i = skip_blanks(line, i);
  }
  return out;
}

std::size_t skip_blanks(std::string_view text, std::size_t index) {
  while (index < text.size() && is_blank(text[index])) ++index;
  return index;
}

std::string to_upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string shown(std::string_view value) {
  constexpr std::size_t kLongest = 60;
  if (value.size() <= kLongest) return "`" + std::string(value) + "`";
  std::size_t cut = kLongest;
  // Never cut a UTF-8 sequence in half: the message must stay valid text.
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
  return "`" + std::string(value.substr(0, cut)) + "...`";
}

bool parse_decimal(std::string_view text, long long& out) {
  if (text.empty()) return false;
  long long value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
    if (value < INT_MAX) value = value * 10 + (c - '0');
  }
  out = value < INT_MAX ? value : INT_MAX;
  return true;
}

}  // namespace formation::formfile::detail

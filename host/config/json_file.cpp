#include "config/json_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <rapidjson/stream.h>

namespace formation::host {
namespace {

constexpr unsigned kParseFlags =
    rapidjson::kParseCommentsFlag | rapidjson::kParseTrailingCommasFlag |
    rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag;

// "<source>:<line>:<column>: <message>" for a byte offset into `text`.
std::string at(const std::string& source, std::string_view text, std::size_t offset,
               std::string_view message) {
  offset = std::min(offset, text.size());
  std::size_t line = 1;
  std::size_t column = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++line;
      column = 1;
    } else if ((c & 0xC0) != 0x80) {  // count characters, not UTF-8 continuation bytes
      ++column;
    }
  }
  return source + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " +
         std::string(message);
}

// Forwards SAX events to the document being built and stops the parse when arrays and
// objects nest deeper than kMaxJsonDepth.
class DepthLimitedHandler {
 public:
  explicit DepthLimitedHandler(rapidjson::Document& doc) : doc_(doc) {}

  bool Null() { return doc_.Null(); }
  bool Bool(bool b) { return doc_.Bool(b); }
  bool Int(int i) { return doc_.Int(i); }
  bool Uint(unsigned u) { return doc_.Uint(u); }
  bool Int64(std::int64_t i) { return doc_.Int64(i); }
  bool Uint64(std::uint64_t u) { return doc_.Uint64(u); }
  bool Double(double d) { return doc_.Double(d); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) {
    return doc_.RawNumber(s, n, copy);
  }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return doc_.String(s, n, copy); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return doc_.Key(s, n, copy); }
  bool StartObject() { return enter() && doc_.StartObject(); }
  bool EndObject(rapidjson::SizeType n) {
    --depth_;
    return doc_.EndObject(n);
  }
  bool StartArray() { return enter() && doc_.StartArray(); }
  bool EndArray(rapidjson::SizeType n) {
    --depth_;
    return doc_.EndArray(n);
  }

  [[nodiscard]] bool too_deep() const { return too_deep_; }

 private:
  bool enter() {
    if (++depth_ > kMaxJsonDepth) {
      too_deep_ = true;
      return false;
    }
    return true;
  }

  rapidjson::Document& doc_;
  unsigned depth_ = 0;
  bool too_deep_ = false;
};

}  // namespace

Result<rapidjson::Document> parse_json(std::string_view text, const std::string& source) {
  // RapidJSON's string stream ends at a NUL byte; a NUL in a text file is an error anyway.
  if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
    return Status::invalid(at(source, text, nul, "NUL byte in the text"));
  }
  std::size_t skipped = 0;
  if (text.starts_with("\xEF\xBB\xBF")) skipped = 3;  // UTF-8 byte order mark
  // The parser wants a C string. RapidJSON 1.1.0's UTF-8 validation takes up to three
  // continuation bytes after a lead byte without looking for the end, so a text ending in
  // a truncated sequence would be read past its terminator: pad with enough NULs.
  std::string body(text.substr(skipped));
  body.append(4, '\0');

  rapidjson::Document doc;
  rapidjson::ParseResult result;
  bool too_deep = false;
  auto generator = [&](rapidjson::Document& target) {
    DepthLimitedHandler handler(target);
    rapidjson::Reader reader;
    rapidjson::StringStream stream(body.c_str());
    result = reader.Parse<kParseFlags>(stream, handler);
    too_deep = handler.too_deep();
    return !result.IsError();
  };
  doc.Populate(generator);
  if (result.IsError()) {
    const std::size_t offset = skipped + result.Offset();
    if (too_deep) {
      return Status::invalid(
          at(source, text, offset,
             "arrays and objects nest deeper than " + std::to_string(kMaxJsonDepth) + " levels"));
    }
    return Status::invalid(at(source, text, offset, rapidjson::GetParseError_En(result.Code())));
  }
  return doc;
}

Result<rapidjson::Document> read_json_file(const std::filesystem::path& path) {
  return read_json_file(path, path.string());
}

Result<rapidjson::Document> read_json_file(const std::filesystem::path& path,
                                           const std::string& source) {
  const std::string where = source == path.string() ? source + ": cannot read"
                                                    : source + ": cannot read " + path.string();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return Status::invalid(where + ": " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};

  auto too_large = [&](std::size_t size) {
    return Status::invalid(source + ": file is larger than 1 MiB (" + std::to_string(size) +
                           " bytes); refusing to read it");
  };
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Status::invalid(where + ": " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return Status::invalid(where + ": " + std::strerror(EISDIR));
  if (S_ISREG(st.st_mode) && static_cast<std::size_t>(st.st_size) > kMaxJsonFileBytes) {
    return too_large(static_cast<std::size_t>(st.st_size));
  }

  // Read at most one byte past the limit, so a file that grows (or a device) cannot make
  // us read forever.
  std::string text;
  text.resize(kMaxJsonFileBytes + 1);
  std::size_t filled = 0;
  while (filled < text.size()) {
    const ssize_t n = ::read(fd, text.data() + filled, text.size() - filled);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::invalid(where + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    filled += static_cast<std::size_t>(n);
  }
  if (filled > kMaxJsonFileBytes) return too_large(filled);
  text.resize(filled);
  return parse_json(text, source);
}

}  // namespace formation::host

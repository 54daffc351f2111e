#include "quoting.hpp"

namespace formation::cloudinit {
namespace {

std::string double_quoted(std::string_view text, std::string_view backslashed) {
  std::string out = "\"";
  for (char c : text) {
    if (backslashed.find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace

std::string sh_quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

std::string systemd_quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '%': out += "%%"; break;
      case '$': out += "$$"; break;
      default: out += c;
    }
  }
  out += '"';
  return out;
}

std::string systemd_escape_specifiers(std::string_view text) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '%') out += '%';
  }
  return out;
}

std::string env_file_quote(std::string_view text) { return double_quoted(text, "\\\"$`"); }

std::string etc_environment_quote(std::string_view text) { return double_quoted(text, "\\\""); }

}  // namespace formation::cloudinit

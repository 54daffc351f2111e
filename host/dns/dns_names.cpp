#include "dns_names.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstdio>

namespace formation::dns {
namespace {

bool is_label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string shown(std::string_view text) {
  constexpr std::size_t kShown = 40;
  std::string out;
  for (char c : text.substr(0, kShown)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  if (text.size() > kShown) out += "...";
  return out;
}

// What is wrong with a name, and where: the one place the rules are written.
struct NameProblem {
  enum Kind { none, empty, too_long, empty_label, long_label, bad_char, edge_hyphen };
  Kind kind = none;
  std::string_view label;  // the offending label, for the label kinds
};

NameProblem check_into(std::string_view name, std::string& out) {
  out.clear();
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty()) return {NameProblem::empty, {}};
  if (name.size() > kMaxNameBytes) return {NameProblem::too_long, {}};
  std::size_t start = 0;
  for (std::size_t i = 0; i <= name.size(); ++i) {
    if (i < name.size() && name[i] != '.') continue;
    const std::string_view label = name.substr(start, i - start);
    if (label.empty()) return {NameProblem::empty_label, label};
    if (label.size() > kMaxLabelBytes) return {NameProblem::long_label, label};
    if (label.front() == '-' || label.back() == '-') {
      // Characters are checked first, as a reader scans the label.
      for (char c : label) {
        if (!is_label_char(lower(c))) return {NameProblem::bad_char, label};
      }
      return {NameProblem::edge_hyphen, label};
    }
    if (!out.empty()) out += '.';
    for (char c : label) {
      c = lower(c);
      if (!is_label_char(c)) return {NameProblem::bad_char, label};
      out += c;
    }
    start = i + 1;
  }
  return {};
}

}  // namespace

bool canonicalise(std::string_view name, std::string& out) {
  return check_into(name, out).kind == NameProblem::none;
}

Result<std::string> normalise_name(std::string_view name) {
  std::string out;
  const NameProblem problem = check_into(name, out);
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  const std::string label = shown(problem.label);
  switch (problem.kind) {
    case NameProblem::none: return out;
    case NameProblem::empty: return Status::invalid("the name is empty");
    case NameProblem::too_long:
      return Status::invalid("the name '" + shown(name) + "' is " + std::to_string(name.size()) +
                             " bytes long; at most 253 are allowed");
    case NameProblem::empty_label:
      return Status::invalid("the name '" + shown(name) +
                             "' has an empty label (two dots, or a leading dot)");
    case NameProblem::long_label:
      return Status::invalid("label '" + label + "' is " + std::to_string(problem.label.size()) +
                             " bytes long; at most 63 are allowed");
    case NameProblem::bad_char:
      return Status::invalid("label '" + label + "' may hold only letters, digits, '-' and '_'");
    case NameProblem::edge_hyphen:
      return Status::invalid("label '" + label + "' must not begin or end with '-'");
  }
  return Status::invalid("the name is invalid");
}

bool is_at_or_under(std::string_view name, std::string_view zone) {
  if (name.size() < zone.size()) return false;
  if (name.size() == zone.size()) return name == zone;
  return name.ends_with(zone) && name[name.size() - zone.size() - 1] == '.';
}

std::string_view parent_of(std::string_view name) {
  auto dot = name.find('.');
  return dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
}

std::size_t label_count(std::string_view name) {
  if (name.empty()) return 0;
  std::size_t n = 1;
  for (char c : name) n += c == '.' ? 1 : 0;
  return n;
}

std::string label_from(std::string_view text) {
  std::string out;
  for (char c : text) {
    c = lower(c);
    const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (keep) {
      out += c;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
    if (out.size() == kMaxLabelBytes) break;
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? std::string("instance") : out;
}

std::string challenge_name(std::string_view fqdn) {
  return "_formation-challenge." + std::string(fqdn);
}

std::string challenge_token(std::string_view owner, std::string_view fqdn) {
  std::string input = "formation-challenge\n";
  input.append(owner);
  input += '\n';
  input.append(fqdn);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(input.data(), input.size(), digest.data(), &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < 16; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

}  // namespace formation::dns

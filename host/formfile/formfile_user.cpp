// USER and ENV: key:value options and KEY=value pairs, quoted values allowed.
#include <algorithm>
#include <array>
#include <cctype>

#include "formfile_parser.hpp"

namespace formation::formfile::detail {
namespace {

constexpr std::string_view kUserExample = "username:alice passwd:changeme sudo:true";
constexpr std::array<std::string_view, 10> kUserOptions = {
    "username", "passwd",     "ssh_authorized_keys", "lock_passwd",     "sudo",
    "shell",    "ssh_pwauth", "disable_root",        "chpasswd_expire", "groups"};

std::string valid_options() {
  std::string out;
  for (const auto& option : kUserOptions) out += (out.empty() ? "" : ", ") + std::string(option);
  return out;
}

std::optional<bool> parse_bool(std::string_view text) {
  const std::string lower = to_lower(text);
  if (lower == "true" || lower == "yes" || lower == "1" || lower == "on") return true;
  if (lower == "false" || lower == "no" || lower == "0" || lower == "off") return false;
  return std::nullopt;
}

// A comma-separated list, each item trimmed; nullopt when an item is empty.
std::optional<std::vector<std::string>> split_list(std::string_view text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    std::string_view item = text.substr(start, comma - start);
    while (!item.empty() && is_blank(item.front())) item.remove_prefix(1);
    while (!item.empty() && is_blank(item.back())) item.remove_suffix(1);
    if (item.empty()) return std::nullopt;
    items.emplace_back(item);
    if (comma == text.size()) return items;
    start = comma + 1;
  }
}

// One key:value option of a USER line, with where its value starts for diagnostics.
struct UserOption {
  std::string key;
  std::string value;
  Position key_at, value_at;
};

// The USER being read and what it has seen so far.
struct UserDraft {
  User user;
  std::vector<std::string> seen;
  bool has_passwd = false;
};

void set_machine_option(ParseState& state, MachineOption& option, const UserOption& given,
                        bool value) {
  if (!option.value) {
    option = {value, given.value_at};
    return;
  }
  if (*option.value != value) {
    state.error(given.value_at,
                given.key +
                    " applies to the whole machine, so every USER that states it must "
                    "agree; line " +
                    std::to_string(option.at.line) + " says " + (*option.value ? "true" : "false") +
                    ", e.g. `" + given.key + ":" + (*option.value ? "true" : "false") + "`");
  }
}

MachineOption* machine_option(ParseState& state, std::string_view key) {
  if (key == "ssh_pwauth") return &state.ssh_pwauth;
  if (key == "disable_root") return &state.disable_root;
  if (key == "chpasswd_expire") return &state.chpasswd_expire;
  return nullptr;
}

void apply_bool(ParseState& state, UserDraft& draft, const UserOption& option) {
  const std::optional<bool> value = parse_bool(option.value);
  if (!value) {
    state.error(option.value_at, "USER " + option.key +
                                     " expects true/false/yes/no/1/0/on/off, e.g. `" + option.key +
                                     ":true`; got " + shown(option.value));
    return;
  }
  if (option.key == "lock_passwd") draft.user.lock_passwd = *value;
  if (option.key == "sudo") draft.user.sudo = *value;
  if (MachineOption* machine = machine_option(state, option.key)) {
    set_machine_option(state, *machine, option, *value);
  }
}

void apply_username(ParseState& state, UserDraft& draft, const UserOption& option) {
  if (!valid_username(option.value)) {
    state.error(option.value_at,
                "USER username expects a lower-case letter or `_`, then up to 31 lower-case "
                "letters, digits, `_` or `-`, e.g. `username:alice`; got " +
                    shown(option.value));
    return;
  }
  const auto [first, added] = state.user_lines.emplace(option.value, draft.user.at.line);
  if (!added) {
    state.error(option.value_at, "USER username " + shown(option.value) +
                                     " is already defined on line " +
                                     std::to_string(first->second) +
                                     "; each USER needs its own name, e.g. `username:bob`");
    return;
  }
  draft.user.username = option.value;
}

void apply_list(ParseState& state, UserDraft& draft, const UserOption& option) {
  const bool groups = option.key == "groups";
  const std::string example =
      groups ? "groups:docker,users" : "ssh_authorized_keys:\"ssh-ed25519 AAAA... a@b\"";
  auto items = split_list(option.value);
  const bool names_ok =
      items && (!groups || std::all_of(items->begin(), items->end(), valid_username));
  if (!names_ok) {
    const std::string what = groups ? "comma-separated group names (each like a username)"
                                    : "comma-separated public keys, none empty";
    state.error(option.value_at, "USER " + option.key + " expects " + what + ", e.g. `" + example +
                                     "`; got " + shown(option.value));
    return;
  }
  (groups ? draft.user.groups : draft.user.ssh_authorized_keys) = std::move(*items);
}

void apply_option(ParseState& state, UserDraft& draft, const UserOption& option) {
  const std::string& key = option.key;
  if (key == "username") return apply_username(state, draft, option);
  if (key == "groups" || key == "ssh_authorized_keys") return apply_list(state, draft, option);
  if (key == "passwd") {
    draft.has_passwd = true;
    if (option.value.empty()) {
      state.error(option.value_at,
                  "USER passwd expects a non-empty password, e.g. `passwd:changeme`; got nothing");
    }
    draft.user.password = option.value;
    return;
  }
  if (key == "shell") {
    if (option.value.empty() || option.value.front() != '/') {
      state.error(option.value_at,
                  "USER shell expects an absolute path, e.g. `shell:/bin/bash`; got " +
                      shown(option.value));
      return;
    }
    draft.user.shell = option.value;
    return;
  }
  apply_bool(state, draft, option);
}

// Splits a token at its first unquoted `:` or `=`; reports one that is not an option.
std::optional<UserOption> read_option(ParseState& state, const Instruction& ins, const Token& token,
                                      const UserDraft& draft) {
  const std::size_t sep = token.find_unquoted(":=");
  if (sep == std::string::npos) {
    state.error(ins.pos(token.begin), "USER expects key:value options, e.g. `USER " +
                                          std::string(kUserExample) + "`; got " +
                                          shown(token.text));
    return std::nullopt;
  }
  UserOption option{token.text.substr(0, sep), token.text.substr(sep + 1), ins.pos(token.begin),
                    ins.pos(token.line_index(sep) + 1)};
  const bool known =
      std::find(kUserOptions.begin(), kUserOptions.end(), option.key) != kUserOptions.end();
  if (!known) {
    state.error(option.key_at, "unknown USER option " + shown(option.key) + "; expected one of " +
                                   valid_options());
    return std::nullopt;
  }
  if (std::find(draft.seen.begin(), draft.seen.end(), option.key) != draft.seen.end()) {
    state.error(option.key_at, "USER option " + option.key +
                                   " is given twice on this USER; give it once, e.g. `" +
                                   option.key + ":...`");
    return std::nullopt;
  }
  return option;
}

bool valid_env_key(std::string_view key) {
  const auto head = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; };
  if (key.empty() || !head(key.front())) return false;
  return std::all_of(key.begin(), key.end(), [&](char c) {
    return head(c) || std::isdigit(static_cast<unsigned char>(c));
  });
}

bool valid_service_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("_.@-").find(c) != std::string_view::npos;
  });
}

constexpr std::string_view kEnvWhat =
    "`[--scope=system|user:<username>|service:<name>] KEY=value [KEY=value ...]`";
constexpr std::string_view kEnvExample = "--scope=service:app PORT=8000";

// Reads `--scope=...` into var; false (reported) when it is not a valid scope.
bool read_scope(ParseState& state, const Instruction& ins, const Token& token, EnvVar& var) {
  const std::string_view text = token.text;
  const std::string_view scope = text.starts_with("--scope=") ? text.substr(8) : "";
  const Position at = ins.pos(token.begin);
  if (scope == "system") return true;
  if (scope.starts_with("user:") && valid_username(scope.substr(5))) {
    var.scope = EnvScope::user;
    var.scope_name = std::string(scope.substr(5));
    state.env_user_refs.emplace_back(var.scope_name, at);
    return true;
  }
  if (scope.starts_with("service:") && valid_service_name(scope.substr(8))) {
    var.scope = EnvScope::service;
    var.scope_name = std::string(scope.substr(8));
    return true;
  }
  state.error(at, ins.expects(kEnvWhat, kEnvExample) + "; got " + shown(text));
  return false;
}

void read_pair(ParseState& state, const Instruction& ins, const Token& token, EnvVar var) {
  const std::size_t equals = token.find_unquoted("=");
  const std::string key = token.text.substr(0, std::min(equals, token.text.size()));
  if (equals == std::string::npos || !valid_env_key(key)) {
    state.error(ins.pos(token.begin),
                ins.expects("KEY=value pairs, KEY being [A-Za-z_][A-Za-z0-9_]*", "PORT=8000") +
                    "; got " + shown(token.text));
    return;
  }
  var.key = key;
  var.value = token.text.substr(equals + 1);
  var.at = ins.pos(token.begin);
  state.formfile.env.push_back(std::move(var));
}

}  // namespace

bool valid_username(std::string_view name) {
  if (name.empty() || name.size() > 32) return false;
  if (!((name.front() >= 'a' && name.front() <= 'z') || name.front() == '_')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

void parse_user(ParseState& state, const Instruction& ins) {
  state.saw_user = true;
  const auto tokens = arguments(state, ins, true);
  if (!tokens) return;
  UserDraft draft;
  draft.user.at = ins.at;
  bool named = false;
  for (const Token& token : *tokens) {
    const auto option = read_option(state, ins, token, draft);
    if (!option) continue;
    draft.seen.push_back(option->key);
    named = named || option->key == "username";
    apply_option(state, draft, *option);
  }
  if (!named || !draft.has_passwd) {
    const std::string missing = !named ? "username" : "passwd";
    state.error(ins.at,
                "USER needs " + missing + ", e.g. `USER " + std::string(kUserExample) + "`");
  }
  if (!draft.user.username.empty()) state.formfile.users.push_back(std::move(draft.user));
}

void parse_env(ParseState& state, const Instruction& ins) {
  const auto tokens = arguments(state, ins, true);
  if (!tokens) return;
  EnvVar var;
  std::size_t first = 0;
  if (!tokens->empty() && tokens->front().text.starts_with("-")) {
    if (!read_scope(state, ins, tokens->front(), var)) return;
    first = 1;
  }
  if (first == tokens->size()) {
    const Position at = first == 0 ? ins.end_of_keyword() : ins.pos(tokens->front().end);
    state.error(at, ins.expects(kEnvWhat, kEnvExample) + "; got no KEY=value");
    return;
  }
  for (std::size_t i = first; i < tokens->size(); ++i) read_pair(state, ins, (*tokens)[i], var);
}

void check_env_users(ParseState& state) {
  for (const auto& ref : state.env_user_refs) {
    const std::string& name = ref.first;
    if (!state.user_lines.contains(name)) {
      state.error(ref.second, "ENV --scope=user:" + name +
                                  " names no USER of this Formfile; add `USER username:" + name +
                                  " passwd:...` or use a defined username");
    }
  }
}

}  // namespace formation::formfile::detail

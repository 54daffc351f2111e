// The Formfile parser (docs/formfile.md): logical lines to instructions, and the
// instructions that take simple values. USER and ENV are in formfile_user.cpp, the
// provisioning steps in formfile_steps.cpp.
#include "formfile.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>

#include "formfile_parser.hpp"
#include "formfile_text.hpp"

namespace formation::formfile {
namespace detail {
namespace {

struct Alias {
  std::string_view alias, name;
};

constexpr std::array<std::string_view, 15> kInstructions = {
    "NAME", "DESCRIPTION", "VCPU", "MEM",     "DISK",    "GPU",    "MODEL",     "USER",
    "RUN",  "COPY",        "ENV",  "INSTALL", "WORKDIR", "EXPOSE", "ENTRYPOINT"};
constexpr std::array<Alias, 5> kAliases = {
    {{"CPU", "VCPU"}, {"CORES", "VCPU"}, {"MEMORY", "MEM"}, {"MBS", "MEM"}, {"STORAGE", "DISK"}}};

std::string canonical(const std::string& upper) {
  for (const auto& name : kInstructions) {
    if (name == upper) return upper;
  }
  for (const auto& alias : kAliases) {
    if (alias.alias == upper) return std::string(alias.name);
  }
  return {};
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string unknown_keyword_message(const std::string& written) {
  std::string best;
  std::size_t best_distance = 3;
  auto consider = [&](std::string_view candidate) {
    const std::size_t distance = edit_distance(to_upper(written), candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  };
  for (const auto& name : kInstructions) consider(name);
  for (const auto& alias : kAliases) consider(alias.alias);
  std::string message = "unknown instruction " + shown(written);
  if (!best.empty()) return message + "; did you mean " + best + "?";
  message += "; expected one of ";
  for (const auto& name : kInstructions) {
    message += std::string(name) + (name == kInstructions.back() ? "" : ", ");
  }
  return message;
}

// The single value of NAME, VCPU, GPU and the like: reports a missing or extra value.
std::optional<Token> single_value(ParseState& state, const Instruction& ins, std::string_view what,
                                  std::string_view example) {
  auto tokens = arguments(state, ins, false);
  if (!tokens) return std::nullopt;
  if (tokens->empty()) {
    state.error(ins.end_of_keyword(), ins.expects(what, example) + "; got nothing");
    return std::nullopt;
  }
  if (tokens->size() > 1) {
    const Token& extra = (*tokens)[1];
    state.error(ins.pos(extra.begin), ins.written + " takes a single value, e.g. `" + ins.written +
                                          " " + std::string(example) + "`; got an extra " +
                                          shown(extra.text));
    return std::nullopt;
  }
  return std::move(tokens->front());
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  if (name.front() < 'a' || name.front() > 'z' || name.back() == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

void parse_name(ParseState& state, const Instruction& ins) {
  constexpr std::string_view what =
      "a name of 1 to 63 lower-case letters, digits and `-` that starts with a letter and "
      "does not end with `-`";
  const auto token = single_value(state, ins, what, "hello-server");
  if (!token) return;
  if (!valid_name(token->text)) {
    state.error(ins.pos(token->begin),
                ins.expects(what, "hello-server") + "; got " + shown(token->text));
    return;
  }
  state.formfile.name = token->text;
}

void parse_description(ParseState& state, const Instruction& ins) {
  if (ins.rest().empty()) {
    state.error(ins.end_of_keyword(),
                ins.expects("a line of text", "A small web server") + "; got nothing");
    return;
  }
  state.formfile.description = std::string(ins.rest());
}

struct IntegerRule {
  std::string_view name, what, example;
  int min, max;
  int Formfile::*field;
};

constexpr std::array<IntegerRule, 3> kIntegers = {{
    {"VCPU", "an integer number of vCPUs from 1 to 128", "2", 1, 128, &Formfile::vcpus},
    {"MEM", "an integer number of MB from 512 to 256000", "2048", 512, 256000,
     &Formfile::memory_mb},
    {"DISK", "an integer number of GB from 5 to 65535", "20", 5, 65535, &Formfile::disk_gb},
}};

void parse_integer(ParseState& state, const Instruction& ins, const IntegerRule& rule) {
  const auto token = single_value(state, ins, rule.what, rule.example);
  if (!token) return;
  long long value = 0;
  if (!parse_decimal(token->text, value) || value < rule.min || value > rule.max) {
    state.error(ins.pos(token->begin),
                ins.expects(rule.what, rule.example) + "; got " + shown(token->text));
    return;
  }
  state.formfile.*rule.field = static_cast<int>(value);
}

void parse_gpu(ParseState& state, const Instruction& ins) {
  constexpr std::string_view what =
      "a GPU model (RTX5090, H100, H200 or B200) and an optional count from 1 to 8";
  const auto token = single_value(state, ins, what, "H100:2");
  if (!token) return;
  const std::string_view text = token->text;
  const std::size_t colon = text.find(':');
  const std::string model = to_upper(text.substr(0, colon));
  if (model != "RTX5090" && model != "H100" && model != "H200" && model != "B200") {
    state.error(ins.pos(token->begin),
                ins.expects(what, "H100:2") + "; got the model " + shown(text.substr(0, colon)));
    return;
  }
  long long count = 1;
  if (colon != std::string_view::npos) {
    const std::string_view written = text.substr(colon + 1);
    if (!parse_decimal(written, count) || count < 1 || count > 8) {
      state.error(ins.pos(token->begin + colon + 1),
                  ins.expects(what, "H100:2") + "; got the count " + shown(written));
      return;
    }
  }
  state.formfile.gpu = Gpu{model, static_cast<int>(count)};
}

bool valid_model_id(std::string_view id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("._/:@+-").find(c) != std::string_view::npos;
  });
}

void parse_model(ParseState& state, const Instruction& ins) {
  constexpr std::string_view what =
      "`required:<id>` or `preferred:<id>`, the id made of letters, digits and `._/:@+-`";
  constexpr std::string_view example = "required:meta-llama/Llama-3.1-8B-Instruct";
  const auto token = single_value(state, ins, what, example);
  if (!token) return;
  const std::string_view text = token->text;
  const std::size_t colon = text.find(':');
  const std::string kind = to_lower(text.substr(0, colon));
  if (colon == std::string_view::npos || (kind != "required" && kind != "preferred")) {
    state.error(ins.pos(token->begin), ins.expects(what, example) + "; got " + shown(text));
    return;
  }
  const std::string_view id = text.substr(colon + 1);
  if (!valid_model_id(id)) {
    state.error(ins.pos(token->begin + colon + 1),
                ins.expects(what, example) + "; got the id " + shown(id));
    return;
  }
  state.formfile.model = ModelRequirement{kind == "required", std::string(id)};
}

bool valid_package(std::string_view name) {
  if (name.empty() || !std::isalnum(static_cast<unsigned char>(name.front()))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("+._:=~-").find(c) != std::string_view::npos;
  });
}

void parse_install(ParseState& state, const Instruction& ins) {
  constexpr std::string_view what =
      "one or more package names (a letter or digit, then letters, digits and `+._:=~-`)";
  const auto tokens = arguments(state, ins, false);
  if (!tokens) return;
  if (tokens->empty()) {
    state.error(ins.end_of_keyword(), ins.expects(what, "python3 nginx") + "; got nothing");
  }
  auto& packages = state.formfile.packages;
  for (const Token& token : *tokens) {
    if (!valid_package(token.text)) {
      state.error(ins.pos(token.begin),
                  ins.expects(what, "python3 nginx") + "; got " + shown(token.text));
    } else if (state.packages.insert(token.text).second) {
      packages.push_back(token.text);
    }
  }
}

void parse_expose(ParseState& state, const Instruction& ins) {
  constexpr std::string_view what = "one or more port numbers from 1 to 65535";
  const auto tokens = arguments(state, ins, false);
  if (!tokens) return;
  if (tokens->empty()) {
    state.error(ins.end_of_keyword(), ins.expects(what, "8000") + "; got nothing");
  }
  auto& ports = state.formfile.expose;
  for (const Token& token : *tokens) {
    long long port = 0;
    if (!parse_decimal(token.text, port) || port < 1 || port > 65535) {
      state.error(ins.pos(token.begin), ins.expects(what, "8000") + "; got " + shown(token.text));
    } else if (state.ports.insert(static_cast<int>(port)).second) {
      ports.push_back(static_cast<int>(port));
    }
  }
}

// Where each one-time instruction records its position; nullptr for repeatable ones.
Position* once_position(Positions& positions, std::string_view name) {
  if (name == "NAME") return &positions.name;
  if (name == "DESCRIPTION") return &positions.description;
  if (name == "VCPU") return &positions.vcpus;
  if (name == "MEM") return &positions.memory;
  if (name == "DISK") return &positions.disk;
  if (name == "GPU") return &positions.gpu;
  if (name == "MODEL") return &positions.model;
  if (name == "WORKDIR") return &positions.workdir;
  if (name == "ENTRYPOINT") return &positions.entrypoint;
  return nullptr;
}

// False when a one-time instruction is given again (reported at the repeat).
bool first_time(ParseState& state, const Instruction& ins) {
  Position* first = once_position(state.formfile.positions, ins.name);
  if (first == nullptr) return true;
  if (first->line != 0) {
    const std::string also =
        ins.written == ins.name ? "" : " (" + ins.written + " is " + ins.name + ")";
    state.error(ins.at, ins.name + " may be given only once" + also +
                            "; it was already given on line " + std::to_string(first->line));
    return false;
  }
  *first = ins.at;
  return true;
}

void dispatch(ParseState& state, const Instruction& ins) {
  const std::string& name = ins.name;
  for (const auto& rule : kIntegers) {
    if (rule.name == name) return parse_integer(state, ins, rule);
  }
  if (name == "NAME") return parse_name(state, ins);
  if (name == "DESCRIPTION") return parse_description(state, ins);
  if (name == "GPU") return parse_gpu(state, ins);
  if (name == "MODEL") return parse_model(state, ins);
  if (name == "USER") return parse_user(state, ins);
  if (name == "RUN") return parse_run(state, ins);
  if (name == "COPY") return parse_copy(state, ins);
  if (name == "ENV") return parse_env(state, ins);
  if (name == "INSTALL") return parse_install(state, ins);
  if (name == "WORKDIR") return parse_workdir(state, ins);
  if (name == "EXPOSE") return parse_expose(state, ins);
  if (name == "ENTRYPOINT") return parse_entrypoint(state, ins);
}

void parse_line(ParseState& state, const LogicalLine& line) {
  if (line.text.empty()) return;  // a lone `\` joined to nothing
  Instruction ins;
  ins.line = &line;
  while (ins.keyword_end < line.text.size() && !is_blank(line.text[ins.keyword_end])) {
    ++ins.keyword_end;
  }
  ins.written = to_upper(std::string_view(line.text).substr(0, ins.keyword_end));
  ins.name = canonical(ins.written);
  ins.args = skip_blanks(line.text, ins.keyword_end);
  ins.at = line.at(0);
  if (ins.name.empty()) {
    state.error(ins.at, unknown_keyword_message(
                            std::string(std::string_view(line.text).substr(0, ins.keyword_end))));
    return;
  }
  if (first_time(state, ins)) dispatch(state, ins);
}

void finish_machine_options(ParseState& state) {
  Formfile& formfile = state.formfile;
  formfile.ssh_pwauth = state.ssh_pwauth.value.value_or(true);
  formfile.disable_root = state.disable_root.value.value_or(true);
  formfile.chpasswd_expire = state.chpasswd_expire.value.value_or(true);
}

}  // namespace

std::string Instruction::expects(std::string_view what, std::string_view example) const {
  return written + " expects " + std::string(what) + ", e.g. `" + written + " " +
         std::string(example) + "`";
}

std::optional<std::vector<Token>> arguments(ParseState& state, const Instruction& ins,
                                            bool with_quotes) {
  TokenizeResult result = tokenize(ins.line->text, ins.args, with_quotes);
  if (!result.ok) {
    const char quote = ins.line->text[result.error_at];
    state.error(ins.pos(result.error_at), std::string("this ") + quote +
                                              " quote is never closed; close it on the "
                                              "same line (or continued line), e.g. `" +
                                              quote + "two words" + quote + "`");
    return std::nullopt;
  }
  return std::move(result.tokens);
}

}  // namespace detail

ParseResult parse(std::string_view text) {
  detail::SplitResult split = detail::split_lines(text);
  detail::ParseState state;
  for (const auto& line : split.lines) detail::parse_line(state, line);
  detail::check_env_users(state);
  detail::finish_machine_options(state);
  if (!state.saw_user && !split.truncated) {
    state.error({1, 1},
                "a Formfile needs at least one USER, e.g. `USER username:alice passwd:changeme`");
  }
  ParseResult result{std::move(state.formfile), std::move(state.errors)};
  result.errors.insert(result.errors.end(), split.errors.begin(), split.errors.end());
  std::stable_sort(
      result.errors.begin(), result.errors.end(), [](const Diagnostic& a, const Diagnostic& b) {
        return a.at.line != b.at.line ? a.at.line < b.at.line : a.at.column < b.at.column;
      });
  return result;
}

std::string format(const Diagnostic& diagnostic, std::string_view file) {
  return std::string(file) + ":" + std::to_string(diagnostic.at.line) + ":" +
         std::to_string(diagnostic.at.column) + ": " + diagnostic.message;
}

std::string scope_text(const EnvVar& var) {
  switch (var.scope) {
    case EnvScope::user: return "user:" + var.scope_name;
    case EnvScope::service: return "service:" + var.scope_name;
    case EnvScope::system: break;
  }
  return "system";
}

std::string default_name(std::string_view formfile_text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(formfile_text.data(), formfile_text.size(), digest.data(), &length, EVP_sha256(),
             nullptr);
  std::string out = "form-";
  for (std::size_t i = 0; i < 6; ++i) {
    std::array<char, 3> hex{};
    std::snprintf(hex.data(), hex.size(), "%02x", digest[i]);
    out += hex.data();
  }
  return out;
}

std::string effective_name(const Formfile& formfile, std::string_view formfile_text) {
  return formfile.name ? *formfile.name : default_name(formfile_text);
}

namespace {

Position or_start(Position at) { return at.line == 0 ? Position{1, 1} : at; }

void check_range(std::vector<Diagnostic>& out, std::string_view name, std::int64_t value,
                 const ValueRange& range, Position at) {
  const std::string stated = std::string(name) + " " + std::to_string(value);
  if (value < range.min) {
    out.push_back({or_start(at),
                   stated + " is below this network's minimum of " + std::to_string(range.min)});
  } else if (value > range.max) {
    out.push_back({or_start(at),
                   stated + " is above this network's maximum of " + std::to_string(range.max)});
  }
}

}  // namespace

std::vector<Diagnostic> check_network_limits(const Formfile& formfile,
                                             const NetworkLimits& limits) {
  std::vector<Diagnostic> out;
  const Positions& at = formfile.positions;
  check_range(out, "VCPU", formfile.vcpus, limits.vcpus, at.vcpus);
  check_range(out, "MEM", formfile.memory_mb, limits.memory_mb, at.memory);
  check_range(out, "DISK", formfile.disk_gb, limits.disk_gb, at.disk);
  if (formfile.gpu && limits.max_gpus <= 0) {
    out.push_back({or_start(at.gpu), "GPU " + formfile.gpu->model + ":" +
                                         std::to_string(formfile.gpu->count) +
                                         " cannot be met: this network offers no GPUs"});
  } else if (formfile.gpu && formfile.gpu->count > limits.max_gpus) {
    out.push_back({or_start(at.gpu), "GPU count " + std::to_string(formfile.gpu->count) +
                                         " is above this network's maximum of " +
                                         std::to_string(limits.max_gpus)});
  }
  return out;
}

}  // namespace formation::formfile

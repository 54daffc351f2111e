// Internal to the Formfile parser: the state one parse() builds up and the instruction
// parsers, split over formfile.cpp (simple values), formfile_user.cpp (USER, ENV) and
// formfile_steps.cpp (COPY, WORKDIR, RUN, ENTRYPOINT).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "formfile.hpp"
#include "formfile_text.hpp"

namespace formation::formfile::detail {

// One logical line split into its keyword and the start of its arguments.
struct Instruction {
  const LogicalLine* line = nullptr;
  std::string name;     // canonical: VCPU
  std::string written;  // as written, upper-cased: CPU
  std::size_t keyword_end = 0;
  std::size_t args = 0;  // first non-blank after the keyword
  Position at;           // of the keyword

  [[nodiscard]] std::string_view rest() const { return std::string_view(line->text).substr(args); }
  [[nodiscard]] Position pos(std::size_t index) const { return line->at(index); }
  [[nodiscard]] Position end_of_keyword() const { return line->at(keyword_end); }
  // "MEM expects <what>, e.g. `MEM 2048`"
  [[nodiscard]] std::string expects(std::string_view what, std::string_view example) const;
};

// A machine-wide cloud-init option as first stated by a USER.
struct MachineOption {
  std::optional<bool> value;
  Position at;
};

struct ParseState {
  Formfile formfile;
  std::vector<Diagnostic> errors;
  bool saw_user = false;
  MachineOption ssh_pwauth, disable_root, chpasswd_expire;
  // ENV --scope=user:<name> is checked once every USER is known (it may come first).
  std::vector<std::pair<std::string, Position>> env_user_refs;
  // Indexes for the duplicate checks, so a large Formfile stays linear to parse.
  std::unordered_map<std::string, int> user_lines;
  std::unordered_set<std::string> packages;
  std::unordered_set<int> ports;

  void error(Position at, std::string message) { errors.push_back({at, std::move(message)}); }
};

// Tokens of an instruction's arguments; reports an unterminated quote and returns nullopt.
std::optional<std::vector<Token>> arguments(ParseState& state, const Instruction& ins,
                                            bool with_quotes);

void parse_user(ParseState& state, const Instruction& ins);
void parse_env(ParseState& state, const Instruction& ins);
void check_env_users(ParseState& state);

void parse_copy(ParseState& state, const Instruction& ins);
void parse_workdir(ParseState& state, const Instruction& ins);
void parse_run(ParseState& state, const Instruction& ins);
void parse_entrypoint(ParseState& state, const Instruction& ins);

// USER names and group names share the rule.
bool valid_username(std::string_view name);

}  // namespace formation::formfile::detail

// The provisioning steps (COPY, WORKDIR, RUN) and ENTRYPOINT.
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "formfile_parser.hpp"

namespace formation::formfile::detail {
namespace {

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = std::min(path.find('/', start), path.size());
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

bool has_segment(std::string_view path, std::string_view segment) {
  for (const auto& part : segments(path)) {
    if (part == segment) return true;
  }
  return false;
}

// Drops empty and `.` segments: "./app/" and "app" name the same folder.
std::string join_segments(std::string_view path) {
  std::string out;
  for (const auto& part : segments(path)) {
    if (part.empty() || part == ".") continue;
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

constexpr std::string_view kCopyWhat =
    "`[<src>] [<dst>]`: src relative to the build context without `..`, dst without `..`";
constexpr std::string_view kCopyExample = "./app /app";

bool copy_source(ParseState& state, const Instruction& ins, const Token& token, std::string& out) {
  if (token.text.starts_with('/') || has_segment(token.text, "..")) {
    state.error(ins.pos(token.begin), ins.expects(kCopyWhat, kCopyExample) +
                                          "; the source must stay inside the build context, got " +
                                          shown(token.text));
    return false;
  }
  out = join_segments(token.text);
  if (out.empty()) out = ".";
  return true;
}

bool copy_destination(ParseState& state, const Instruction& ins, const Token& token) {
  if (!has_segment(token.text, "..")) return true;
  state.error(ins.pos(token.begin), ins.expects(kCopyWhat, kCopyExample) +
                                        "; the destination may not contain `..`, got " +
                                        shown(token.text));
  return false;
}

constexpr std::string_view kEntrypointWhat = "a JSON array of non-empty strings or a shell command";
constexpr std::string_view kEntrypointExample = "[\"python3\", \"server.py\"]";

void parse_exec_form(ParseState& state, const Instruction& ins) {
  const std::string_view text = ins.rest();
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  if (doc.HasParseError()) {
    state.error(
        ins.pos(ins.args + doc.GetErrorOffset()),
        ins.expects(kEntrypointWhat, kEntrypointExample) +
            "; the JSON is not valid here: " + rapidjson::GetParseError_En(doc.GetParseError()));
    return;
  }
  const std::string shape_error =
      ins.expects(kEntrypointWhat, kEntrypointExample) + "; got " + shown(text);
  if (!doc.IsArray() || doc.Empty()) return state.error(ins.pos(ins.args), shape_error);
  Entrypoint entrypoint{true, {}, {}, ins.at};
  for (const auto& item : doc.GetArray()) {
    // An argument with a NUL could never reach execve() intact.
    const bool good = item.IsString() && item.GetStringLength() > 0 &&
                      std::string_view(item.GetString(), item.GetStringLength()).find('\0') ==
                          std::string_view::npos;
    if (!good) return state.error(ins.pos(ins.args), shape_error);
    entrypoint.argv.emplace_back(item.GetString(), item.GetStringLength());
  }
  state.formfile.entrypoint = std::move(entrypoint);
}

}  // namespace

void parse_copy(ParseState& state, const Instruction& ins) {
  const auto tokens = arguments(state, ins, true);
  if (!tokens) return;
  if (tokens->size() > 2) {
    state.error(ins.pos((*tokens)[2].begin), ins.expects(kCopyWhat, kCopyExample) +
                                                 "; got a third argument " +
                                                 shown((*tokens)[2].text));
    return;
  }
  Step step;
  step.kind = Step::Kind::copy;
  step.at = ins.at;
  step.src = ".";
  if (!tokens->empty() && !copy_source(state, ins, (*tokens)[0], step.src)) return;
  if (tokens->size() == 2) {
    if (!copy_destination(state, ins, (*tokens)[1])) return;
    step.dst = (*tokens)[1].text;
  }
  state.formfile.steps.push_back(std::move(step));
}

void parse_workdir(ParseState& state, const Instruction& ins) {
  constexpr std::string_view what = "an absolute path without `.` or `..` segments";
  const auto tokens = arguments(state, ins, false);
  if (!tokens) return;
  if (tokens->empty()) {
    state.error(ins.end_of_keyword(), ins.expects(what, "/app") + "; got nothing");
    return;
  }
  if (tokens->size() > 1) {
    state.error(ins.pos((*tokens)[1].begin),
                "WORKDIR takes a single path, e.g. `WORKDIR /app`; "
                "got an extra " +
                    shown((*tokens)[1].text));
    return;
  }
  const std::string& path = tokens->front().text;
  if (!path.starts_with('/') || has_segment(path, ".") || has_segment(path, "..")) {
    state.error(ins.pos(tokens->front().begin), ins.expects(what, "/app") + "; got " + shown(path));
    return;
  }
  Step step;
  step.kind = Step::Kind::workdir;
  step.at = ins.at;
  step.path = "/" + join_segments(path);
  state.formfile.workdir = step.path;
  state.formfile.steps.push_back(std::move(step));
}

void parse_run(ParseState& state, const Instruction& ins) {
  if (ins.rest().empty()) {
    state.error(ins.end_of_keyword(),
                ins.expects("a shell command", "apt-get install -y curl") + "; got nothing");
    return;
  }
  Step step;
  step.kind = Step::Kind::run;
  step.at = ins.at;
  step.command = std::string(ins.rest());
  state.formfile.steps.push_back(std::move(step));
}

void parse_entrypoint(ParseState& state, const Instruction& ins) {
  const std::string_view text = ins.rest();
  if (text.empty()) {
    state.error(ins.end_of_keyword(),
                ins.expects(kEntrypointWhat, kEntrypointExample) + "; got nothing");
    return;
  }
  if (text.front() == '[') return parse_exec_form(state, ins);
  state.formfile.entrypoint = Entrypoint{false, {}, std::string(text), ins.at};
}

}  // namespace formation::formfile::detail

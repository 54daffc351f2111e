// Global option parsing, command dispatch, help texts and error reporting.
#include <cmath>
#include <cstdlib>
#include <ostream>
#include <sstream>

#include "api_client.hpp"
#include "cli.hpp"
#include "formation/abi.hpp"

namespace form {
namespace {

constexpr const char* kDefaultApi = "http://127.0.0.1:3004";
constexpr double kDefaultTimeout = 30;

struct GlobalOptionSpec {
  const char* name;        // long name without "--"
  const char* short_name;  // "-o" or nullptr
  const char* value_name;  // nullptr for flags
  const char* help;
};

const GlobalOptionSpec kGlobalOptions[] = {
    {"api", nullptr, "URL", "Formation API base URL (env FORM_API; default http://127.0.0.1:3004)"},
    {"key", nullptr, "FILE",
     "signing key file (env FORM_KEY; default ~/.config/formation/key.json)"},
    {"output", "-o", "json|table", "output format (default table)"},
    {"timeout", nullptr, "SECONDS", "give up on a request after this long (default 30)"},
    {"help", "-h", nullptr, "show help; 'form help COMMAND' or 'form COMMAND --help' for one"},
    {"version", nullptr, nullptr, "print the version of form and exit"},
};

const char* kExitCodes =
    "Exit codes:\n"
    "  0  success\n"
    "  1  the API answered an error (printed as 'error: <code>: <message> (request <id>)')\n"
    "  2  usage error: unknown command or option, bad value, wrong arguments\n"
    "  3  cannot reach the API (not running, wrong --api, network, timeout)\n"
    "  4  key or authentication problem (key file missing or unusable, signature refused)\n"
    "  5  invalid local input (a Formfile or build context; every error is printed)\n";

const GlobalOptionSpec* find_global(std::string_view name) {
  for (const auto& spec : kGlobalOptions) {
    if (name == spec.name) return &spec;
  }
  return nullptr;
}

const GlobalOptionSpec* find_global_short(std::string_view flag) {
  for (const auto& spec : kGlobalOptions) {
    if (spec.short_name && flag == spec.short_name) return &spec;
  }
  return nullptr;
}

std::string env_or(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::string(value) : std::move(fallback);
}

std::string default_key_file() {
  std::string config_home = env_or("XDG_CONFIG_HOME", "");
  if (config_home.empty()) config_home = env_or("HOME", "~") + "/.config";
  return config_home + "/formation/key.json";
}

std::string global_option_names_hint() {
  return "run 'form --help' for the global options and the list of commands";
}

std::vector<std::string> long_option_names(const std::vector<OptionSpec>* command_options) {
  std::vector<std::string> names;
  for (const auto& spec : kGlobalOptions) names.push_back(std::string("--") + spec.name);
  if (command_options) {
    for (const auto& spec : *command_options) names.push_back("--" + spec.name);
  }
  return names;
}

CliError unknown_option(const std::string& token, const Command* command) {
  std::string name = token.substr(0, token.find('='));
  std::string message = "unknown option '" + name + "'";
  if (command) message += " for 'form " + command->name + "'";
  if (auto best = closest(name, long_option_names(command ? &command->options : nullptr)))
    message += "; did you mean '" + *best + "'?";
  return usage_error(message, command ? "run 'form " + command->name + " --help' for its options"
                                      : global_option_names_hint());
}

std::string validate_api(std::string url) {
  auto scheme_end = url.find("://");
  std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
  if ((scheme != "http" && scheme != "https") || url.size() <= scheme_end + 3)
    throw usage_error("invalid --api '" + url + "': expected http://HOST[:PORT] or https://...",
                      "for a local formationd: --api " + std::string(kDefaultApi));
  while (url.size() > scheme_end + 3 && url.back() == '/') url.pop_back();
  return url;
}

OutputFormat parse_output(const std::string& value) {
  if (value == "json") return OutputFormat::kJson;
  if (value == "table") return OutputFormat::kTable;
  throw usage_error("invalid --output '" + value + "': expected json or table");
}

double parse_timeout(const std::string& value) {
  double seconds = 0;
  std::size_t used = 0;
  try {
    seconds = std::stod(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != value.size() || value.empty() || !std::isfinite(seconds) || seconds <= 0 ||
      seconds > 86400)
    throw usage_error("invalid --timeout '" + value + "': expected seconds, more than 0");
  return seconds;
}

// What the global pass leaves for the command: words and options in their original order.
struct Parsed {
  GlobalOptions options;
  bool help = false;
  bool version = false;
  std::vector<std::string> rest;
};

Parsed parse_global(const std::vector<std::string>& args) {
  Parsed parsed;
  std::string api = env_or("FORM_API", kDefaultApi);
  parsed.options.key_file = env_or("FORM_KEY", default_key_file());
  parsed.options.timeout_seconds = kDefaultTimeout;

  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& token = args[i];
    if (token == "--") {
      parsed.rest.insert(parsed.rest.end(), args.begin() + i, args.end());
      break;
    }
    const GlobalOptionSpec* spec = nullptr;
    std::optional<std::string> inline_value;
    if (token.starts_with("--")) {
      auto eq = token.find('=');
      spec = find_global(std::string_view(token).substr(2, eq == std::string::npos ? eq : eq - 2));
      if (eq != std::string::npos) inline_value = token.substr(eq + 1);
    } else if (token.size() == 2 && token[0] == '-') {
      spec = find_global_short(token);
    }
    if (!spec) {
      parsed.rest.push_back(token);
      continue;
    }
    std::string name = spec->name;
    if (!spec->value_name) {
      if (inline_value) throw usage_error("option '--" + name + "' takes no value");
      if (name == "help") parsed.help = true;
      if (name == "version") parsed.version = true;
      continue;
    }
    std::string value;
    if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      throw usage_error("option '--" + name + "' needs a value: --" + name + " " +
                        spec->value_name);
    }
    if (name == "api") api = value;
    if (name == "key") parsed.options.key_file = value;
    if (name == "output") parsed.options.output = parse_output(value);
    if (name == "timeout") parsed.options.timeout_seconds = parse_timeout(value);
  }
  parsed.options.api = validate_api(api);
  return parsed;
}

Args parse_command_args(const Command& command, const std::vector<std::string>& tokens) {
  Args args;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::string& token = tokens[i];
    if (token == "--") {
      args.positional.insert(args.positional.end(), tokens.begin() + i + 1, tokens.end());
      break;
    }
    if (!token.starts_with("-") || token == "-") {
      args.positional.push_back(token);
      continue;
    }
    if (!token.starts_with("--")) throw unknown_option(token, &command);
    auto eq = token.find('=');
    std::string name = token.substr(2, eq == std::string::npos ? eq : eq - 2);
    auto spec = std::find_if(command.options.begin(), command.options.end(),
                             [&](const OptionSpec& s) { return s.name == name; });
    if (spec == command.options.end()) throw unknown_option(token, &command);
    if (spec->value_name.empty()) {
      if (eq != std::string::npos) throw usage_error("option '--" + name + "' takes no value");
      args.flags.insert(name);
    } else if (eq != std::string::npos) {
      args.values[name] = token.substr(eq + 1);
      args.every[name].push_back(args.values[name]);
    } else if (i + 1 < tokens.size()) {
      args.values[name] = tokens[++i];
      args.every[name].push_back(args.values[name]);
    } else {
      throw usage_error("option '--" + name + "' needs a value: --" + name + " " +
                        spec->value_name);
    }
  }
  const auto n = args.positional.size();
  if (n < command.min_args || n > command.max_args) {
    std::string message =
        command.max_args == 0
            ? "'form " + command.name + "' takes no arguments, got '" + args.positional[0] + "'"
            : "'form " + command.name + "': wrong number of arguments";
    throw usage_error(message, "usage: form " + command.usage.substr(0, command.usage.find('\n')));
  }
  return args;
}

void print_error(std::ostream& err, const CliError& e) {
  err << "error: " << e.what() << '\n';
  if (!e.hint().empty()) err << "hint: " << e.hint() << '\n';
}

int dispatch(const std::vector<std::string>& raw, std::ostream& out, std::ostream& err) {
  Parsed parsed = parse_global(raw);
  if (parsed.version) {
    out << "form " << FORMATION_VERSION << '\n';
    return 0;
  }

  std::vector<std::string> words;
  for (const auto& token : parsed.rest) {
    if (token.starts_with("-")) break;
    words.push_back(token);
  }
  if (words.empty()) {
    if (!parsed.rest.empty() && parsed.rest[0] != "--")
      throw unknown_option(parsed.rest[0], nullptr);
    if (parsed.help) {
      print_global_help(out);
      return 0;
    }
    print_global_help(err);
    return static_cast<int>(Exit::kUsage);
  }

  const Registry& registry = Registry::global();
  auto [command, used] = registry.match(words);
  if (!command) {
    auto members = registry.group(words[0]);
    if (!members.empty() && words.size() == 1) {
      if (parsed.help) {
        print_group_help(out, words[0], members);
        return 0;
      }
      std::ostringstream list;
      print_group_help(list, words[0], members);
      err << list.str();
      throw usage_error("'form " + words[0] + "' needs a subcommand");
    }
    std::string typed = members.empty() ? words[0] : words[0] + " " + words[1];
    std::vector<std::string> candidates = registry.names();
    std::string message = "unknown command '" + typed + "'";
    if (auto best = closest(typed, candidates)) message += "; did you mean '" + *best + "'?";
    throw usage_error(message, "run 'form --help' for the list of commands");
  }
  if (parsed.help) {
    print_command_help(out, *command);
    return 0;
  }
  std::vector<std::string> tokens(parsed.rest.begin() + static_cast<std::ptrdiff_t>(used),
                                  parsed.rest.end());
  Args args = parse_command_args(*command, tokens);
  Context context(parsed.options, out, err);
  return command->handler(context, args);
}

}  // namespace

Context::Context(GlobalOptions options, std::ostream& out, std::ostream& err)
    : options_(std::move(options)), out_(out), err_(err) {}

Context::~Context() = default;

ApiClient& Context::api() {
  if (!api_) {
    api_ = std::make_unique<ApiClient>(options_.api, options_.timeout_seconds,
                                       make_request_signer(options_));
  }
  return *api_;
}

void print_global_help(std::ostream& out) {
  out << "form " << FORMATION_VERSION << " - the Formation command-line client\n\n"
      << "Usage: form [global options] COMMAND [command options] [arguments]\n\n"
      << "Commands:\n";
  std::size_t width = 0;
  const auto commands = Registry::global().all();
  for (const Command* c : commands) width = std::max(width, c->name.size());
  for (const Command* c : commands) {
    out << "  " << c->name << std::string(width - c->name.size() + 3, ' ') << c->summary << '\n';
  }
  out << "\nGlobal options (accepted anywhere on the command line):\n";
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto& spec : kGlobalOptions) {
    std::string left = spec.short_name ? std::string(spec.short_name) + ", " : "    ";
    left += std::string("--") + spec.name;
    if (spec.value_name) left += std::string(" ") + spec.value_name;
    rows.emplace_back(left, spec.help);
  }
  std::size_t left_width = 0;
  for (const auto& [left, help] : rows) left_width = std::max(left_width, left.size());
  for (const auto& [left, help] : rows) {
    out << "  " << left << std::string(left_width - left.size() + 3, ' ') << help << '\n';
  }
  out << "\nEnvironment:\n"
      << "  FORM_API   default for --api\n"
      << "  FORM_KEY   default for --key\n\n"
      << kExitCodes << "\n"
      << "Data goes to stdout, errors to stderr. Run 'form help COMMAND' for one command.\n";
}

void print_command_help(std::ostream& out, const Command& command) {
  const auto newline = command.usage.find('\n');
  out << "Usage: form " << command.usage.substr(0, newline) << "\n\n" << command.summary << '\n';
  const auto text_start =
      newline == std::string::npos ? newline : command.usage.find_first_not_of('\n', newline);
  if (text_start != std::string::npos) out << '\n' << command.usage.substr(text_start) << '\n';
  if (!command.options.empty()) {
    out << "\nOptions:\n";
    std::size_t width = 0;
    auto left_of = [](const OptionSpec& s) {
      return "--" + s.name + (s.value_name.empty() ? "" : " " + s.value_name);
    };
    for (const auto& s : command.options) width = std::max(width, left_of(s).size());
    for (const auto& s : command.options) {
      const auto left = left_of(s);
      out << "  " << left << std::string(width - left.size() + 3, ' ') << s.help << '\n';
    }
  }
  out << "\nGlobal options: --api URL, --key FILE, --output json|table, --timeout SECONDS "
         "(see 'form --help').\n";
}

void print_group_help(std::ostream& out, std::string_view group,
                      const std::vector<const Command*>& commands) {
  out << "Usage: form " << group << " SUBCOMMAND ...\n\nSubcommands:\n";
  std::size_t width = 0;
  for (const Command* c : commands) width = std::max(width, c->name.size());
  for (const Command* c : commands) {
    out << "  " << c->name << std::string(width - c->name.size() + 3, ' ') << c->summary << '\n';
  }
}

void print_help_for(std::ostream& out, const std::vector<std::string>& words) {
  if (words.empty()) {
    print_global_help(out);
    return;
  }
  const Registry& registry = Registry::global();
  auto [command, used] = registry.match(words);
  if (command && used == words.size()) {
    print_command_help(out, *command);
    return;
  }
  std::string typed;
  for (const auto& w : words) typed += (typed.empty() ? "" : " ") + w;
  if (!command) {
    auto members = registry.group(typed);
    if (!members.empty()) {
      print_group_help(out, typed, members);
      return;
    }
  }
  std::string message = "no help for unknown command '" + typed + "'";
  if (auto best = closest(typed, registry.names())) message += "; did you mean '" + *best + "'?";
  throw usage_error(message, "run 'form --help' for the list of commands");
}

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  int code = 0;
  try {
    code = dispatch(args, out, err);
  } catch (const CliError& e) {
    print_error(err, e);
    code = static_cast<int>(e.code());
  } catch (const std::exception& e) {
    err << "error: " << e.what() << '\n';
    code = static_cast<int>(Exit::kApiError);
  }
  out.flush();
  err.flush();
  return code;
}

}  // namespace form

// The skeleton of the `form` CLI: exit codes, errors, options, the command registry.
//
// A verb group lives in commands/<group>.cpp and registers its commands with a static
// form::Registrar. A command is a name (one or more words: "health", "key generate"), a
// one-line summary, a usage text, the options it accepts and a handler. The framework
// parses global options (anywhere on the line), picks the command by the longest match of
// the leading words, parses the command's own options, checks the positional count and
// calls the handler. Handlers report failures by throwing form::CliError.
#pragma once

#include <cstddef>
#include <functional>
#include <iosfwd>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace form {

// Process exit codes; documented in `form --help` and docs/cli.md. Never renumber.
enum class Exit : int {
  kOk = 0,           // success
  kApiError = 1,     // the API answered an error
  kUsage = 2,        // unknown command or option, bad value, wrong number of arguments
  kUnreachable = 3,  // cannot reach the API (connect, DNS, TLS, timeout)
  kAuth = 4,         // key file missing or unusable, or the API refused the signature
  kInvalid = 5,      // a local input is invalid (a Formfile or build context)
};

// Everything that ends a command early. run() prints "error: <message>" and, when set,
// "hint: <hint>" on stderr and returns the exit code.
class CliError : public std::runtime_error {
 public:
  CliError(Exit code, std::string message, std::string hint = {})
      : std::runtime_error(message), code_(code), hint_(std::move(hint)) {}
  Exit code() const { return code_; }
  const std::string& hint() const { return hint_; }

 private:
  Exit code_;
  std::string hint_;
};

inline CliError usage_error(std::string message, std::string hint = {}) {
  return CliError(Exit::kUsage, std::move(message), std::move(hint));
}

enum class OutputFormat { kTable, kJson };

struct GlobalOptions {
  std::string api;       // base URL without trailing slash
  std::string key_file;  // where the signing key is read from when a request is signed
  OutputFormat output = OutputFormat::kTable;
  double timeout_seconds = 30;
};

// An option a command accepts, written without the leading "--".
struct OptionSpec {
  std::string name;
  std::string value_name;  // empty: a flag without value
  std::string help;
};

// What the framework hands a command after parsing its part of the command line.
struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;  // options that take a value (the last one given)
  std::map<std::string, std::vector<std::string>> every;  // each value, in order ("--value" x2)
  std::set<std::string> flags;                            // flags that were given

  bool has(const std::string& name) const { return flags.count(name) || values.count(name); }
  std::string get(const std::string& name, std::string fallback = {}) const {
    auto it = values.find(name);
    return it == values.end() ? fallback : it->second;
  }
  std::vector<std::string> all(const std::string& name) const {
    auto it = every.find(name);
    return it == every.end() ? std::vector<std::string>{} : it->second;
  }
};

class ApiClient;

// Per-invocation state handed to every handler.
class Context {
 public:
  Context(GlobalOptions options, std::ostream& out, std::ostream& err);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  const GlobalOptions& options() const { return options_; }
  bool json() const { return options_.output == OutputFormat::kJson; }
  std::ostream& out() { return out_; }  // data
  std::ostream& err() { return err_; }  // diagnostics
  ApiClient& api();                     // created on first use

 private:
  GlobalOptions options_;
  std::ostream& out_;
  std::ostream& err_;
  std::unique_ptr<ApiClient> api_;
};

using Handler = std::function<int(Context&, const Args&)>;

inline constexpr std::size_t kUnbounded = std::numeric_limits<std::size_t>::max();

struct Command {
  std::string name;     // "health", "key generate"
  std::string summary;  // one line for the command list
  std::string usage;    // synopsis line(s) without the leading "form ", then free text
  std::vector<OptionSpec> options;
  std::size_t min_args = 0;
  std::size_t max_args = 0;
  Handler handler;
};

class Registry {
 public:
  static Registry& global();

  // Throws std::logic_error on a duplicate name.
  void add(Command command);
  const Command* find(std::string_view name) const;
  // Commands sorted by name.
  std::vector<const Command*> all() const;
  // The command whose name is the longest prefix of `words`, and how many words it used.
  std::pair<const Command*, std::size_t> match(const std::vector<std::string>& words) const;
  // Commands below a group ("key" -> "key generate", "key show"); empty when not a group.
  std::vector<const Command*> group(std::string_view prefix) const;
  // All command names and group names, for suggestions.
  std::vector<std::string> names() const;

 private:
  std::map<std::string, Command, std::less<>> commands_;
};

struct Registrar {
  explicit Registrar(Command command) { Registry::global().add(std::move(command)); }
};

// The closest candidate to `word` when it is close enough to be a likely typo.
std::optional<std::string> closest(std::string_view word,
                                   const std::vector<std::string>& candidates);

// The whole CLI: parses `args` (without argv[0]), runs the command, prints errors, returns
// the exit code. main() and the tests call it.
int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// Help texts (used by run() and the help command).
void print_global_help(std::ostream& out);
void print_command_help(std::ostream& out, const Command& command);
void print_group_help(std::ostream& out, std::string_view group,
                      const std::vector<const Command*>& commands);

// The help command resolves its arguments through this (prints help or throws usage_error).
void print_help_for(std::ostream& out, const std::vector<std::string>& words);

}  // namespace form

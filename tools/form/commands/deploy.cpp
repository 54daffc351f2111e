// form deploy: `form pack build DIR` followed by `form instance create --build <id>` in one
// command (docs/cli.md, "form deploy").
#include <charconv>
#include <string>

#include "build_flow.hpp"
#include "cli.hpp"

namespace form {
namespace {

// The sizes are checked before anything is built: a typo should not cost a build.
void check_positive(const Args& args, const std::string& option) {
  if (!args.values.count(option)) return;
  const std::string text = args.get(option);
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value <= 0)
    throw usage_error("invalid --" + option + " '" + text + "': expected a positive integer");
}

int deploy(Context& context, const Args& args) {
  for (const char* option : {"vcpus", "memory", "disk"}) check_positive(args, option);
  if (args.values.count("name") && args.get("name").empty())
    throw usage_error("--name must not be empty");
  const Command* create = Registry::global().find("instance create");
  if (create == nullptr) throw CliError(Exit::kUsage, "this form has no 'instance create'");

  const bool quiet = args.has("quiet");
  const std::string build_id = build_context_dir(context, context_dir(args.positional), quiet);
  if (build_id.empty()) return static_cast<int>(Exit::kInvalid);
  if (!quiet) context.err() << "build " << build_id << " done\n";

  // The same handler as `form instance create`, so both print and fail alike.
  Args create_args = args;
  create_args.positional.clear();
  create_args.values["build"] = build_id;
  return create->handler(context, create_args);
}

const Registrar kDeploy([] {
  Command c;
  c.name = "deploy";
  c.summary = "Build a Formfile and boot an instance of it";
  c.usage =
      "deploy [DIR] [--name NAME] [--vcpus N] [--memory MB] [--disk GB] [--no-wait] [--quiet]\n"
      "\n"
      "'form pack build DIR' (default: the current folder), then 'form instance create\n"
      "--build <its id>' with the other options. Progress of both on stderr; prints the\n"
      "instance (--output json: the server's JSON). --no-wait waits for the build (an\n"
      "instance needs a finished one) but not for the instance, and prints its id.";
  c.options = {{"name", "NAME", "a name for the instance"},
               {"vcpus", "N", "virtual CPUs (default: the Formfile's VCPU)"},
               {"memory", "MB", "memory in MB (default: the Formfile's MEM)"},
               {"disk", "GB", "root disk in GB (default: the Formfile's DISK)"},
               {"no-wait", "", "do not wait for the instance (the build is always waited for)"},
               {"quiet", "", "no progress on stderr"}};
  c.max_args = 1;
  c.handler = deploy;
  return c;
}());

}  // namespace
}  // namespace form

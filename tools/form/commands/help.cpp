// form help [COMMAND...]: the same text as --help.
#include "cli.hpp"

namespace form {
namespace {

int help(Context& context, const Args& args) {
  print_help_for(context.out(), args.positional);
  return 0;
}

const Registrar kHelp([] {
  Command c;
  c.name = "help";
  c.summary = "Show the list of commands, or the help of one command";
  c.usage =
      "help [COMMAND [SUBCOMMAND]]\n"
      "\n"
      "'form help health' is the same as 'form health --help'.";
  c.max_args = kUnbounded;
  c.handler = help;
  return c;
}());

}  // namespace
}  // namespace form

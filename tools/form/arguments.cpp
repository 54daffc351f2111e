#include "arguments.hpp"

#include <cctype>
#include <charconv>
#include <utility>

namespace form {

long long positive_integer(const Args& args, const std::string& option) {
  const std::string text = args.get(option);
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value <= 0)
    throw usage_error("invalid --" + option + " '" + text + "': expected a positive integer");
  return value;
}

std::string percent_encode(const std::string& text) {
  static const char* const kHex = "0123456789ABCDEF";
  std::string out;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string id_argument(const Args& args, const std::string& what, const std::string& hint) {
  const std::string& id = args.positional.at(0);
  if (id.empty()) throw usage_error("the " + what + " must not be empty", hint);
  return id;
}

std::string resource_path(const std::string& collection, const std::string& id,
                          const std::string& action) {
  return "/v1/" + collection + "/" + percent_encode(id) + (action.empty() ? "" : "/" + action);
}

std::vector<OptionSpec> page_options(const std::string& things) {
  return {{"limit", "N", things + " per page"},
          {"page-token", "TOKEN", "start at this page (from a previous answer)"},
          {"all", "", "follow page tokens until the last page"}};
}

Command one_argument_command(const char* name, const char* summary, const char* usage,
                             Handler handler) {
  Command c;
  c.name = name;
  c.summary = summary;
  c.usage = usage;
  c.min_args = 1;
  c.max_args = 1;
  c.handler = std::move(handler);
  return c;
}

}  // namespace form

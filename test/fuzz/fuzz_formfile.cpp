// Fuzz target for the Formfile parser: arbitrary bytes through parse(), and what it accepts
// through to_json() and check_network_limits(). Must never crash, and the JSON form of an
// accepted Formfile must never carry a password.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "formfile.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace ff = formation::formfile;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const ff::ParseResult result = ff::parse(text);
  for (const auto& error : result.errors) {
    if (error.at.line < 1 || error.at.column < 1) std::abort();
    (void)ff::format(error);
  }
  if (!result.ok()) return 0;
  const std::string json = ff::to_json(result.formfile);
  for (const auto& user : result.formfile.users) {
    // Short passwords can occur in the JSON by chance (a key or a name); long ones cannot.
    if (user.password.size() >= 12 && json.find(user.password) != std::string::npos) {
      std::abort();
    }
  }
  formation::NetworkLimits narrow;
  narrow.vcpus = {1, 2};
  narrow.memory_mb = {512, 4096};
  narrow.disk_gb = {5, 5};
  narrow.max_gpus = 0;
  (void)ff::check_network_limits(result.formfile, narrow);
  (void)ff::effective_name(result.formfile, text);
  return 0;
}

// schemas/openapi.yaml and the router must list the same routes: the routes of the host
// and of every plugin shipped enabled in etc/formation/plugins.d/.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "daemon_process.hpp"

namespace formation::testing {
namespace {

using RouteSet = std::set<std::pair<std::string, std::string>>;  // method, path

RouteSet routes_in_spec() {
  RouteSet out;
  auto spec = YAML::LoadFile(std::string(SOURCE_DIR) + "/schemas/openapi.yaml");
  for (const auto& path : spec["paths"]) {
    for (const auto& op : path.second) {
      auto method = op.first.as<std::string>();
      if (method == "parameters" || method.starts_with("x-")) continue;
      std::transform(method.begin(), method.end(), method.begin(), ::toupper);
      out.emplace(method, path.first.as<std::string>());
    }
  }
  return out;
}

RouteSet routes_in_router() {
  TempConfig config({PLUGIN_BUILD_DIR});
  for (const auto& f :
       std::filesystem::directory_iterator(std::string(SOURCE_DIR) + "/etc/formation/plugins.d")) {
    std::filesystem::copy_file(f.path(), config.dir() / "plugins.d" / f.path().filename());
  }
  auto result = run_formationd({"--config-dir", config.dir().string(), "--list-routes"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  RouteSet out;
  std::istringstream lines(result.out);
  std::string method, pattern, owner;
  while (lines >> method >> pattern >> owner) out.emplace(method, pattern);
  return out;
}

std::string describe(const RouteSet& routes) {
  std::string out;
  for (const auto& [m, p] : routes) out += "  " + m + " " + p + "\n";
  return out;
}

TEST(OpenApi, SpecAndRouterListTheSameRoutes) {
  auto spec = routes_in_spec();
  auto router = routes_in_router();
  ASSERT_FALSE(router.empty());
  RouteSet missing_from_spec, missing_from_router;
  std::set_difference(router.begin(), router.end(), spec.begin(), spec.end(),
                      std::inserter(missing_from_spec, missing_from_spec.end()));
  std::set_difference(spec.begin(), spec.end(), router.begin(), router.end(),
                      std::inserter(missing_from_router, missing_from_router.end()));
  EXPECT_TRUE(missing_from_spec.empty()) << "routes served but not in schemas/openapi.yaml:\n"
                                         << describe(missing_from_spec);
  EXPECT_TRUE(missing_from_router.empty())
      << "routes in schemas/openapi.yaml that nothing serves:\n"
      << describe(missing_from_router);
}

}  // namespace
}  // namespace formation::testing

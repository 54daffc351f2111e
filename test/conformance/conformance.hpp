// Conformance suites: checks any plugin of a kind must pass, run against a started
// instance by tools/formation-plugin-check (and so by ctest for our own plugins).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "formation/plugin.hpp"

namespace formation::conformance {

struct CheckResult {
  std::string name;
  bool passed = false;
  std::string detail;  // why it failed, or what was seen
};

struct Subject {
  Plugin& plugin;
  const PluginDescriptor& descriptor;
  // Routes the plugin registered, in registration order.
  const std::vector<Route>& routes;
  // The plugins started beside it (formation-plugin-check --with), by kind; null when none.
  // A suite may use them to set up what the plugin reads (the billing suite's accounts).
  std::function<Plugin*(PluginKind)> find;
};

using Suite = std::function<std::vector<CheckResult>(Subject&)>;

// The suite of a kind, or nullptr when that kind has none yet.
Suite suite_for(PluginKind kind);

// Checks every plugin must pass whatever its kind (descriptor, health, routes).
std::vector<CheckResult> common_checks(Subject& subject);

}  // namespace formation::conformance

// Extension: a plugin that adds to the host without being one of its backends
// (`example-echo` is the template). It has no methods beyond Plugin's: everything it does
// goes through the HostServices it receives in its factory:
//   - HostServices::add_route() for its routes under /v1/ (from the factory or start(),
//     not later; signed requests by default),
//   - HostServices::events() to subscribe to events (and to publish its own, named
//     "<its-plugin-name>.<event>"),
//   - find<Kind>() to use other plugins through their kind interfaces (declare them in
//     PluginDescriptor::depends_on so they have started first),
//   - metrics(), timers(), blocking_pool(), logger(), data_dir().
// start(), stop() and health() are Plugin's and optional as for every kind.
#pragma once

#include "formation/plugin.hpp"
#include "formation/visibility.hpp"

namespace formation {

class FORMATION_API Extension : public Plugin {
 public:
  static constexpr PluginKind kKind = PluginKind::extension;
};

}  // namespace formation

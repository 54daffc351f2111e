// Every kind interface a plugin can implement (docs/plugin-kinds.md). A plugin derives
// from exactly one of them and declares the same PluginKind in its descriptor.
#pragma once

#include "formation/kinds/billing.hpp"        // IWYU pragma: export
#include "formation/kinds/dns.hpp"            // IWYU pragma: export
#include "formation/kinds/extension.hpp"      // IWYU pragma: export
#include "formation/kinds/image_builder.hpp"  // IWYU pragma: export
#include "formation/kinds/mesh.hpp"           // IWYU pragma: export
#include "formation/kinds/state_store.hpp"    // IWYU pragma: export
#include "formation/kinds/usage_meter.hpp"    // IWYU pragma: export
#include "formation/kinds/vmm.hpp"            // IWYU pragma: export
#include "formation/records.hpp"              // IWYU pragma: export

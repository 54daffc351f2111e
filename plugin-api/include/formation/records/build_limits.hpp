// What a build may ask for and upload (FORMFILE.md "Network limits"; docs/formfile.md).
// Kept apart from the ImageBuilder interface so that `form` and the Formfile library can
// use it without the plugin headers.
#pragma once

#include <cstdint>

#include "formation/visibility.hpp"

namespace formation {

// An inclusive range of allowed values.
struct FORMATION_API ValueRange {
  std::int64_t min = 0;
  std::int64_t max = 0;
};

// The ranges a network allows (FORMFILE.md "Network limits"): an operator may narrow the
// spec's ranges, never widen them. A Formfile outside them is refused at build time with
// the limit named.
struct FORMATION_API NetworkLimits {
  ValueRange vcpus{1, 128};
  ValueRange memory_mb{512, 256000};
  ValueRange disk_gb{5, 65535};
  std::int64_t max_gpus = 8;  // 0 forbids GPU
};

// What an uploaded build context may hold. Sizes count the unpacked bytes of regular
// files, so a small compressed archive cannot unpack into a large one.
struct FORMATION_API ContextLimits {
  std::int64_t max_bytes = std::int64_t{1024} * 1024 * 1024;
  std::int64_t max_files = 50000;  // entries of any type
};

struct FORMATION_API BuildLimits {
  NetworkLimits network;
  ContextLimits context;
};

}  // namespace formation

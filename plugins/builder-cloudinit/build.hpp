// One build, start to finish (README.md "What build() does"): Formfile, limits, context,
// seed, ISO, manifest, publish. Stateless apart from the artifact store, so builds of
// different ids run side by side.
#pragma once

#include <string_view>

#include "artifact_store.hpp"
#include "formation/kinds/image_builder.hpp"
#include "settings.hpp"

namespace formation::cloudinit {

inline constexpr const char* kVersion = "0.1.0";

// Build ids name directories: 16 to 128 lowercase hex digits (the host's are 64).
bool valid_build_id(std::string_view build_id);

Result<BuildArtifacts> run_build(const Settings& settings, ArtifactStore& store,
                                 const BuildRequest& request, const ProgressCallback& progress);

}  // namespace formation::cloudinit

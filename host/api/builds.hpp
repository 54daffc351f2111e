// Builds (DESIGN.md §5, FORMFILE.md): POST /v1/builds takes a build context (a tar archive,
// plain or compressed, with the Formfile at its root), checks it at once (400 with every
// Formfile error, or the context rule it breaks), records the Build and an Operation, and
// answers 202; the ImageBuilder plugin then builds on the blocking pool while the operation
// reports progress. GET /v1/builds and /v1/builds/{build_id} show the caller's builds;
// another account's build is a 404, as if it did not exist.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "api/routes.hpp"
#include "formation/events.hpp"
#include "formation/kinds/image_builder.hpp"

namespace formation::host::api {

struct BuildsContext {
  ApiContext api;
  // The started ImageBuilder, or null when no builder plugin is enabled (POST answers 501).
  std::function<ImageBuilder*()> builder;
  // Runs slow work after the response (the host's blocking pool).
  std::function<void(std::function<void()>)> run_later;
  std::function<void(Event)> publish;
  std::filesystem::path work_root;  // uploads and scratch space: <data_dir>/builds-work
  std::string node_id;              // recorded on builds made here
};

// Registers POST/GET /v1/builds and GET /v1/builds/{build_id}, owned by "host". The upload
// route takes bodies up to the builder's context cap (plus the archive's own overhead).
Status add_build_routes(Router& router, BuildsContext context);

// At start: builds of this node left in Building by a previous process (killed mid-build)
// become Failed, and their operations failed, so that nothing stays "in progress" forever.
Status recover_interrupted_builds(StateStore& store, const std::string& node_id);

}  // namespace formation::host::api

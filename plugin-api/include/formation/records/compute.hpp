// Builds, instances, the nodes that host them, and operations (the progress of slow work).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formation/records/common.hpp"
#include "formation/status.hpp"
#include "formation/visibility.hpp"

namespace formation {

// ---- builds ----------------------------------------------------------------------------

// The seed network's build states, spelled as it spelled them.
enum class BuildState { building, built, failed };

constexpr std::string_view to_string(BuildState state) {
  switch (state) {
    case BuildState::building: return "Building";
    case BuildState::built: return "Built";
    case BuildState::failed: return "Failed";
  }
  return "Failed";
}

inline constexpr std::array kAllBuildStates = {BuildState::building, BuildState::built,
                                               BuildState::failed};

constexpr std::optional<BuildState> parse_build_state(std::string_view name) {
  return detail::parse_enum(name, kAllBuildStates);
}

// Where a finished build's files are (absolute paths on the node that built it). Empty
// until the build is Built.
struct FORMATION_API BuildArtifactPaths {
  std::string seed_iso;         // cloud-init NoCloud seed (label "cidata")
  std::string context_tarball;  // the build context as a tarball
  std::string base_image;       // the operator's base image the instance overlays

  friend bool operator==(const BuildArtifactPaths&, const BuildArtifactPaths&) = default;
};

// build_id = hex(SHA3-256(owner_address_20_bytes || name)): the same owner and name always
// give the same build, and rebuilding replaces it.
struct FORMATION_API Build {
  std::string build_id;  // 64 lower-case hex characters; the key
  std::string owner;     // address
  std::string name;      // the Formfile's NAME
  BuildState state = BuildState::building;
  std::string reason;         // why it Failed; empty otherwise
  std::string manifest_json;  // the build manifest (FORMFILE.md "What a build produces")
  BuildArtifactPaths artifacts;
  std::string node_id;  // the node holding the artifacts
  TimePoint created_at;
  TimePoint updated_at;
  std::int64_t version = 0;
};

// ---- instances -------------------------------------------------------------------------

// The seed network's instance states, spelled as it spelled them.
enum class InstanceState { building, built, created, started, stopped, killed, critical_error };

constexpr std::string_view to_string(InstanceState state) {
  switch (state) {
    case InstanceState::building: return "Building";
    case InstanceState::built: return "Built";
    case InstanceState::created: return "Created";
    case InstanceState::started: return "Started";
    case InstanceState::stopped: return "Stopped";
    case InstanceState::killed: return "Killed";
    case InstanceState::critical_error: return "CriticalError";
  }
  return "CriticalError";
}

inline constexpr std::array kAllInstanceStates = {
    InstanceState::building,       InstanceState::built,   InstanceState::created,
    InstanceState::started,        InstanceState::stopped, InstanceState::killed,
    InstanceState::critical_error,
};

constexpr std::optional<InstanceState> parse_instance_state(std::string_view name) {
  return detail::parse_enum(name, kAllInstanceStates);
}

struct FORMATION_API Instance {
  std::string id;  // lower-case hex; the key
  std::string name;
  std::string owner;  // address; changes only by transfer
  std::string build_id;
  std::string node_id;  // the node it runs on; empty before placement
  InstanceState state = InstanceState::created;
  // What reconciliation brings it back to: Started, Stopped or Killed (deleted).
  InstanceState desired_state = InstanceState::started;
  std::int64_t vcpus = 0;
  std::int64_t memory_mb = 0;
  std::int64_t disk_gb = 0;                  // the root disk
  std::vector<std::int64_t> extra_disks_gb;  // disks attached later, in attach order
  std::optional<std::string> formnet_ip;     // mesh address once it has one
  std::string dns_name;                      // fqdn given by the Dns plugin; empty before
  std::string error;  // why it is in CriticalError (or the last failure); empty otherwise
  TimePoint created_at;
  TimePoint updated_at;
  std::int64_t version = 0;

  [[nodiscard]] Resources resources() const { return {vcpus, memory_mb, disk_gb}; }
};

// ---- nodes -----------------------------------------------------------------------------

// A host of the network running formationd. A node registers itself at start and
// heartbeats; its id is its operator's address.
struct FORMATION_API Node {
  std::string id;         // "0x" + 40 lower-case hex: the operator address; the key
  std::string region;     // operator-chosen label ("eu-west"), used by geo-aware DNS
  std::string public_ip;  // IPv4 or IPv6 literal
  std::string endpoint;   // the node's API base URL, "https://n1.example.net:3004"
  Resources capacity;     // what it offers
  Resources allocated;    // what instances placed on it hold (NodeRepository::reserve)
  TimePoint heartbeat_at;
  TimePoint created_at;
  TimePoint updated_at;
  std::int64_t version = 0;

  [[nodiscard]] Resources available() const {
    return {capacity.vcpus - allocated.vcpus, capacity.memory_mb - allocated.memory_mb,
            capacity.disk_gb - allocated.disk_gb};
  }
};

// ---- operations ------------------------------------------------------------------------

enum class OperationState { pending, running, succeeded, failed };

constexpr std::string_view to_string(OperationState state) {
  switch (state) {
    case OperationState::pending: return "pending";
    case OperationState::running: return "running";
    case OperationState::succeeded: return "succeeded";
    case OperationState::failed: return "failed";
  }
  return "failed";
}

inline constexpr std::array kAllOperationStates = {OperationState::pending, OperationState::running,
                                                   OperationState::succeeded,
                                                   OperationState::failed};

constexpr std::optional<OperationState> parse_operation_state(std::string_view name) {
  return detail::parse_enum(name, kAllOperationStates);
}

constexpr bool is_finished(OperationState state) {
  return state == OperationState::succeeded || state == OperationState::failed;
}

// Slow work answered with 202 (build, create, delete, ...): GET /v1/operations/{id}.
struct FORMATION_API Operation {
  std::string id;         // lower-case hex; the key
  std::string kind;       // "build", "instance.create", "instance.delete", ...
  std::string target_id;  // the build or instance it works on
  std::string owner;      // address of the caller that started it
  OperationState state = OperationState::pending;
  int progress = 0;         // 0..100
  std::string message;      // what it is doing now, for people
  std::string result_json;  // when succeeded: a JSON value (e.g. the resource); else empty
  StatusCode error_code = StatusCode::ok;  // when failed
  std::string error_message;               // when failed
  TimePoint created_at;
  TimePoint updated_at;
  std::int64_t version = 0;
};

}  // namespace formation

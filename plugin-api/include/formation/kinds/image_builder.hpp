// ImageBuilder: turns a Formfile and its build context into the artifacts an instance
// boots from (`builder-cloudinit`; FORMFILE.md "What a build produces"): the manifest
// (JSON), a cloud-init NoCloud seed ISO, and the context as a tarball. The qcow2 overlay
// of the base image is made later, by the Vmm, when an instance is defined.
//
// A builder does not touch the state store: the host keeps the Build record and the
// operation, and feeds the builder's progress into it.
//
// Error codes:
//   invalid      the Formfile does not parse, or the context breaks a limit (too big, too
//                many files, absolute paths, "..", symlinks leaving it, device files); the
//                message says what and where ("Formfile:12:5: expected ...")
//   not_found    the context archive is missing (a missing base image is not a build
//                error: it is reported by health() and refused at instance creation)
//   unavailable  a tool or the disk it needs is temporarily missing (the caller may retry)
//   internal     anything else
// A failed build leaves nothing half-written in the artifact directory.
//
// Threading: build() blocks for as long as the build takes and is called on the blocking
// pool; several builds (different build_ids) may run at once. remove() may run
// concurrently with builds of other ids.
//
// Events: a builder publishes none; the host publishes `build.started`, `build.succeeded`,
// `build.failed`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "formation/plugin.hpp"
#include "formation/records/build_limits.hpp"
#include "formation/status.hpp"
#include "formation/visibility.hpp"

namespace formation {

struct FORMATION_API BuildRequest {
  std::string build_id;  // hex(SHA3-256(owner || name)); also names the artifact directory
  std::string owner;     // address
  std::string name;      // the Formfile's NAME
  std::string formfile_text;
  // The uploaded context: a tar archive (plain or compressed) whose root holds the
  // Formfile; it may be large. The host has already read formfile_text out of it.
  std::filesystem::path context_archive;
  // Scratch space owned by the host: empty at the call, removed by the host afterwards.
  std::filesystem::path work_dir;
};

// What a successful build produced. Paths are absolute and stay valid until remove().
struct FORMATION_API BuildArtifacts {
  std::string manifest_json;       // the build manifest: the parsed Formfile and its derived values
  std::filesystem::path seed_iso;  // NoCloud seed: user-data, meta-data, network-config
  std::filesystem::path context_tarball;  // the context, for the guest
  std::filesystem::path base_image;       // the base image instances of this build overlay
  std::int64_t disk_gb = 0;               // the sizes the Formfile asks for (or the defaults)
  std::int64_t vcpus = 0;
  std::int64_t memory_mb = 0;
};

// A file an instance's seed adds to the guest (cloud-init `write_files`).
struct FORMATION_API SeedFile {
  std::string path;  // absolute path in the guest
  std::string content;
  std::string permissions = "0644";  // octal, as cloud-init takes it
};

// What one instance adds to its build's seed: written by cloud-init on first boot.
struct FORMATION_API InstanceSeedRequest {
  std::string build_id;
  std::string instance_id;
  std::vector<SeedFile> files;
  std::vector<std::string> commands;  // shell commands run once, after the build's own
  std::filesystem::path output;       // where to write the ISO (the host's directory)
};

// Reports progress: `percent` in 0..100, never decreasing, and a short message for people
// ("writing seed ISO"). Called on the build's thread; it must return quickly.
using ProgressCallback = std::function<void(int percent, std::string_view message)>;

class FORMATION_API ImageBuilder : public Plugin {
 public:
  static constexpr PluginKind kKind = PluginKind::image_builder;

  // REQUIRED. Builds the artifacts of `request`, replacing those of an earlier build with
  // the same build_id only once the new ones are complete. `progress` may be empty.
  virtual Result<BuildArtifacts> build(const BuildRequest& request,
                                       const ProgressCallback& progress) = 0;

  // OPTIONAL. The limits this builder enforces, so that the host can refuse an upload
  // before it starts a build. The default is the spec's ranges and the default caps.
  [[nodiscard]] virtual BuildLimits limits() const { return {}; }

  // OPTIONAL. Writes a seed ISO for one instance: the build's seed with `request.files`
  // and `request.commands` merged into its user-data (the mesh's join token lives there,
  // so it is never part of the shared build). not_found when the build has no artifacts;
  // on error `request.output` does not exist afterwards.
  virtual Status instance_seed(const InstanceSeedRequest& /*request*/) {
    return Status::unsupported("image_builder.instance_seed is not supported by this plugin");
  }

  // REQUIRED. Deletes every artifact of `build_id`. ok when there is nothing to delete
  // (removal is idempotent).
  virtual Status remove(const std::string& build_id) = 0;
};

}  // namespace formation

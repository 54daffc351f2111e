// manifest.json (schemas/builds/manifest.schema.json): what a build produced and from
// what. It holds no password and no password hash.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "formation/status.hpp"
#include "formfile.hpp"

namespace formation::cloudinit {

struct FileFacts {
  std::string file;    // name inside the artifact directory
  std::string sha256;  // lowercase hex
  std::int64_t bytes = 0;
};

// Size and SHA-256 of a file; internal on I/O errors.
Result<FileFacts> file_facts(const std::filesystem::path& path);

struct ManifestInput {
  std::string build_id;
  std::string name;
  std::string owner;
  const formfile::Formfile* formfile = nullptr;
  std::string context_digest;  // "sha256:<hex>" of the normalised upload
  std::int64_t context_bytes = 0;
  std::int64_t context_files = 0;
  FileFacts seed_iso;
  FileFacts context_tarball;
  std::string base_image;
  std::string builder_version;
};

// internal only if formfile::to_json() gave text that is not JSON.
Result<std::string> manifest_json(const ManifestInput& input);

}  // namespace formation::cloudinit

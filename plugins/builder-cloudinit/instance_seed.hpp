// One instance's seed ISO (README.md "Instance seeds"): the build's seed with the
// instance's files and first-boot commands added to its user-data.
#pragma once

#include <string>
#include <string_view>

#include "artifact_store.hpp"
#include "formation/kinds/image_builder.hpp"

namespace formation::cloudinit {

// The user-data of an instance: a multipart MIME document whose first part is the
// build's user-data, byte for byte, and whose second is instance_cloud_config().
std::string instance_user_data(std::string_view build_user_data, const std::vector<SeedFile>& files,
                               const std::vector<std::string>& commands);

// Writes request.output. invalid: a bad build id, a relative output or file path, a
// permissions string that is not 3 or 4 octal digits, an empty command; not_found: the
// build has no artifacts, or was built before instance seeds existed; unavailable /
// internal as write_seed_iso. On error request.output does not exist.
Status write_instance_seed(const ArtifactStore& store, const InstanceSeedRequest& request);

}  // namespace formation::cloudinit

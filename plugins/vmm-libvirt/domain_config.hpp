// Reads and edits the XML libvirt returns for a domain (libxml2): what set_memory and
// attach_disk must check before they change anything, and the offline config rewrites.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "formation/status.hpp"

namespace formation::libvirt {

struct DomainConfig {
  std::int64_t memory_kb = 0;      // <memory>: boot memory plus DIMMs
  std::int64_t max_memory_kb = 0;  // <maxMemory>; 0 when the domain has none
  std::int64_t memory_slots = 0;
  std::int64_t dimm_count = 0;
  std::vector<std::string> disk_targets;  // every <disk><target dev>, cdroms included
  std::int64_t virtio_disk_count = 0;
};

Result<DomainConfig> read_config(std::string_view xml);

// The config with `memory_mb` of boot memory and no DIMMs: a stopped domain starts again
// with everything in its NUMA cell.
Result<std::string> with_memory(std::string_view xml, std::int64_t memory_mb);

// The config with `device_xml` appended to <devices>.
Result<std::string> with_device(std::string_view xml, std::string_view device_xml);

// Whether a <formation:instance> element (virDomainGetMetadata's answer) names `id`.
bool metadata_names(std::string_view metadata_xml, std::string_view id,
                    std::string_view storage_dir);

// The first "vdX" not in `used` ("vdb" after the root disk), or "" when none is left.
std::string next_virtio_target(const std::vector<std::string>& used);

}  // namespace formation::libvirt

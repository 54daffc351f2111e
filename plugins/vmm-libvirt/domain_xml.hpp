// The domain XML the plugin defines (README.md "The domain XML"). Pure text: no libvirt
// calls, so the tests can read it without a hypervisor.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "formation/kinds/vmm.hpp"
#include "settings.hpp"

namespace formation::libvirt {

// The namespace of our <metadata> element; a domain without it is not ours.
inline constexpr const char* kMetadataNamespace = "https://formation.invalid/xmlns/instance/1";
inline constexpr const char* kMetadataPrefix = "formation";
inline constexpr std::string_view kDomainPrefix = "formation-";
// QEMU hot-adds DIMMs aligned to this size.
inline constexpr std::int64_t kDimmStepMb = 128;

std::string domain_name(std::string_view instance_id);
// The instance id of a domain name, or "" when the name is not one of ours.
std::string instance_id_of(std::string_view domain_name);
// Lower-case hex, 1..128 characters: safe in a domain name and a path.
bool valid_instance_id(std::string_view id);

// Escapes text for an XML attribute or element (both quotes too).
std::string xml_escape(std::string_view text);

// The <formation:instance> element stored as the domain's metadata.
// `storage_dir` names the plugin instance that made the domain: formationd processes that
// share one libvirtd (tests, or two hosts' configs) never take each other's domains.
std::string metadata_element(const std::string& instance_id, const std::string& metadata_json,
                             const std::string& storage_dir);

struct DomainPaths {
  std::filesystem::path root_disk;
  std::filesystem::path console_log;
};

std::string domain_xml(const DomainSpec& spec, const Settings& settings, const DomainPaths& paths);

// <disk> for an extra qcow2 disk at `target` ("vdb").
std::string disk_xml(const std::filesystem::path& file, std::string_view target);

// <memory model='dimm'> of `size_mb` on NUMA node 0.
std::string dimm_xml(std::int64_t size_mb);

}  // namespace formation::libvirt

#include "domain_xml.hpp"

#include <rapidjson/document.h>

#include <sstream>

namespace formation::libvirt {

std::string domain_name(std::string_view instance_id) {
  return std::string(kDomainPrefix) + std::string(instance_id);
}

std::string instance_id_of(std::string_view name) {
  if (!name.starts_with(kDomainPrefix)) return {};
  auto id = name.substr(kDomainPrefix.size());
  return valid_instance_id(id) ? std::string(id) : std::string();
}

bool valid_instance_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // Control characters are not allowed in XML 1.0, and libvirt refuses a title with
        // a newline.
        out += (static_cast<unsigned char>(c) < 0x20) ? ' ' : c;
    }
  }
  return out;
}

std::string metadata_element(const std::string& instance_id, const std::string& metadata_json,
                             const std::string& storage_dir) {
  std::string owner;
  std::string build_id;
  rapidjson::Document doc;
  doc.Parse(metadata_json.c_str(), metadata_json.size());
  if (!doc.HasParseError() && doc.IsObject()) {
    if (auto it = doc.FindMember("owner"); it != doc.MemberEnd() && it->value.IsString()) {
      owner = it->value.GetString();
    }
    if (auto it = doc.FindMember("build_id"); it != doc.MemberEnd() && it->value.IsString()) {
      build_id = it->value.GetString();
    }
  }
  std::ostringstream x;
  x << "<" << kMetadataPrefix << ":instance xmlns:" << kMetadataPrefix << "=\""
    << kMetadataNamespace << "\" id=\"" << xml_escape(instance_id) << "\"";
  if (!owner.empty()) x << " owner=\"" << xml_escape(owner) << "\"";
  if (!build_id.empty()) x << " build_id=\"" << xml_escape(build_id) << "\"";
  x << " storage=\"" << xml_escape(storage_dir) << "\"";
  x << ">" << xml_escape(metadata_json) << "</" << kMetadataPrefix << ":instance>";
  return x.str();
}

namespace {

void write_interface(std::ostringstream& x, const Settings& settings, const std::string& name) {
  switch (settings.network.type) {
    case NetworkType::none: return;
    case NetworkType::user: x << "    <interface type='user'>\n"; break;
    case NetworkType::network:
      x << "    <interface type='network'>\n      <source network='" << xml_escape(name) << "'/>\n";
      break;
    case NetworkType::bridge:
      x << "    <interface type='bridge'>\n      <source bridge='" << xml_escape(name) << "'/>\n";
      break;
  }
  x << "      <model type='virtio'/>\n    </interface>\n";
}

void write_os(std::ostringstream& x, const Settings& settings) {
  x << "  <os>\n    <type arch='x86_64' machine='" << xml_escape(settings.machine)
    << "'>hvm</type>\n";
  if (settings.direct_boot) {
    const auto& boot = *settings.direct_boot;
    x << "    <kernel>" << xml_escape(boot.kernel.string()) << "</kernel>\n";
    if (!boot.initrd.empty())
      x << "    <initrd>" << xml_escape(boot.initrd.string()) << "</initrd>\n";
    if (!boot.cmdline.empty()) x << "    <cmdline>" << xml_escape(boot.cmdline) << "</cmdline>\n";
  } else {
    x << "    <boot dev='hd'/>\n";
  }
  x << "  </os>\n";
}

}  // namespace

std::string domain_xml(const DomainSpec& spec, const Settings& settings, const DomainPaths& paths) {
  const auto cpus = spec.max_vcpus > 1 ? "0-" + std::to_string(spec.max_vcpus - 1) : "0";
  std::ostringstream x;
  x << "<domain type='" << xml_escape(settings.domain_type) << "'>\n"
    << "  <name>" << domain_name(spec.instance_id) << "</name>\n"
    << "  <title>" << xml_escape(spec.name) << "</title>\n"
    << "  <metadata>\n    "
    << metadata_element(spec.instance_id, spec.metadata_json, settings.storage_dir.string())
    << "\n  </metadata>\n";
  if (settings.memory_slots > 0) {
    x << "  <maxMemory slots='" << settings.memory_slots << "' unit='MiB'>" << spec.max_memory_mb
      << "</maxMemory>\n";
  }
  x << "  <memory unit='MiB'>" << spec.memory_mb << "</memory>\n"
    << "  <currentMemory unit='MiB'>" << spec.memory_mb << "</currentMemory>\n"
    << "  <vcpu placement='static' current='" << spec.vcpus << "'>" << spec.max_vcpus
    << "</vcpu>\n";
  write_os(x, settings);
  x << "  <features>\n    <acpi/>\n    <apic/>\n  </features>\n"
    << "  <cpu>\n    <numa>\n      <cell id='0' cpus='" << cpus << "' memory='" << spec.memory_mb
    << "' unit='MiB'/>\n    </numa>\n  </cpu>\n"
    << "  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>restart</on_reboot>\n"
    << "  <on_crash>destroy</on_crash>\n"
    << "  <devices>\n"
    << "    <disk type='file' device='disk'>\n      <driver name='qemu' type='qcow2'/>\n"
    << "      <source file='" << xml_escape(paths.root_disk.string()) << "'/>\n"
    << "      <target dev='vda' bus='virtio'/>\n    </disk>\n"
    << "    <disk type='file' device='cdrom'>\n      <driver name='qemu' type='raw'/>\n"
    << "      <source file='" << xml_escape(spec.seed_iso.string()) << "'/>\n"
    << "      <target dev='sda' bus='sata'/>\n      <readonly/>\n    </disk>\n";
  write_interface(x, settings, spec.network.empty() ? settings.network.name : spec.network);
  x << "    <serial type='pty'>\n      <log file='" << xml_escape(paths.console_log.string())
    << "' append='off'/>\n    </serial>\n"
    << "    <console type='pty'/>\n"
    << "  </devices>\n</domain>\n";
  return x.str();
}

std::string disk_xml(const std::filesystem::path& file, std::string_view target) {
  return "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='" +
         xml_escape(file.string()) + "'/><target dev='" + xml_escape(target) +
         "' bus='virtio'/></disk>";
}

std::string dimm_xml(std::int64_t size_mb) {
  return "<memory model='dimm'><target><size unit='MiB'>" + std::to_string(size_mb) +
         "</size><node>0</node></target></memory>";
}

}  // namespace formation::libvirt

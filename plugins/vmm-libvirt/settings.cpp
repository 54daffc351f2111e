#include "settings.hpp"

namespace formation::libvirt {

// Limits stop at what one libvirt/QEMU guest can be given (KVM's 255 vCPUs, libvirt's
// 256 memory slots); an operator narrows them for the node.
const char* const kParametersSchema = R"({
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "uri": {"type": "string", "minLength": 1, "default": "qemu:///system",
            "description": "libvirt connection URI."},
    "domain_type": {"enum": ["kvm", "qemu"], "default": "kvm",
                    "description": "kvm needs hardware acceleration; qemu runs under TCG."},
    "storage_dir": {"type": "string", "default": "",
                    "description": "Where <instance_id>/root.qcow2 and attached disks live; empty means <data_dir>/disks, relative is under the data dir."},
    "network": {
      "type": "object", "additionalProperties": false,
      "default": {"type": "network", "name": "default"},
      "properties": {
        "type": {"enum": ["network", "bridge", "user", "none"], "default": "network"},
        "name": {"type": "string", "default": "default",
                 "description": "libvirt network or host bridge; DomainSpec.network overrides it."}
      }
    },
    "machine": {"type": "string", "minLength": 1, "default": "q35"},
    "limits": {
      "type": "object", "additionalProperties": false, "default": {},
      "properties": {
        "max_vcpus": {"type": "integer", "minimum": 1, "maximum": 255, "default": 16},
        "max_memory_mb": {"type": "integer", "minimum": 128, "maximum": 16777216, "default": 65536},
        "max_disks": {"type": "integer", "minimum": 1, "maximum": 26, "default": 8,
                      "description": "Disks per instance, the root disk included."}
      }
    },
    "memory_slots": {"type": "integer", "minimum": 0, "maximum": 256, "default": 16,
                     "description": "DIMM slots for live memory growth; 0 disables it."},
    "stop_timeout_seconds": {"type": "integer", "minimum": 0, "maximum": 3600, "default": 60,
                             "description": "Documentation only: the host passes the timeout to stop()."},
    "direct_boot": {
      "type": "object", "additionalProperties": false, "required": ["kernel"],
      "description": "Boot this kernel (and initramfs) instead of the disk's boot loader.",
      "properties": {
        "kernel": {"type": "string", "minLength": 1},
        "initrd": {"type": "string", "default": ""},
        "cmdline": {"type": "string", "default": ""}
      }
    },
    "qemu_img": {"type": "string", "minLength": 1, "default": "qemu-img"}
  }
})";

namespace {

const rapidjson::Value* member(const rapidjson::Value* object, const char* name) {
  if (object == nullptr || !object->IsObject()) return nullptr;
  auto it = object->FindMember(name);
  return it == object->MemberEnd() ? nullptr : &it->value;
}

template <typename T>
void read_string(const rapidjson::Value* object, const char* name, T& out) {
  const auto* value = member(object, name);
  if (value != nullptr && value->IsString()) out = value->GetString();
}

void read_int(const rapidjson::Value* object, const char* name, std::int64_t& out) {
  const auto* value = member(object, name);
  if (value != nullptr && value->IsInt64()) out = value->GetInt64();
}

}  // namespace

Settings settings_from(const rapidjson::Value& parameters, const std::filesystem::path& data_dir) {
  Settings s;
  read_string(&parameters, "uri", s.uri);
  read_string(&parameters, "domain_type", s.domain_type);
  std::filesystem::path storage;
  read_string(&parameters, "storage_dir", storage);
  if (storage.empty()) storage = "disks";
  s.storage_dir = storage.is_relative() ? data_dir / storage : storage;

  const auto* network = member(&parameters, "network");
  std::string type = "network";
  read_string(network, "type", type);
  if (type == "bridge") s.network.type = NetworkType::bridge;
  if (type == "user") s.network.type = NetworkType::user;
  if (type == "none") s.network.type = NetworkType::none;
  read_string(network, "name", s.network.name);

  read_string(&parameters, "machine", s.machine);
  const auto* limits = member(&parameters, "limits");
  read_int(limits, "max_vcpus", s.limits.max_vcpus);
  read_int(limits, "max_memory_mb", s.limits.max_memory_mb);
  read_int(limits, "max_disks", s.limits.max_disks);
  read_int(&parameters, "memory_slots", s.memory_slots);
  read_int(&parameters, "stop_timeout_seconds", s.stop_timeout_seconds);
  if (const auto* boot = member(&parameters, "direct_boot"); boot != nullptr) {
    DirectBoot d;
    read_string(boot, "kernel", d.kernel);
    read_string(boot, "initrd", d.initrd);
    read_string(boot, "cmdline", d.cmdline);
    s.direct_boot = d;
  }
  read_string(&parameters, "qemu_img", s.qemu_img);
  return s;
}

Status check_settings(const Settings& settings) {
  if (settings.domain_type != "kvm" && settings.domain_type != "qemu") {
    return Status::invalid("parameters: domain_type must be kvm or qemu");
  }
  bool named =
      settings.network.type == NetworkType::network || settings.network.type == NetworkType::bridge;
  if (named && settings.network.name.empty()) {
    return Status::invalid("parameters: network.name is required for a network or bridge");
  }
  if (settings.direct_boot && settings.direct_boot->kernel.empty()) {
    return Status::invalid("parameters: direct_boot.kernel is required");
  }
  return Status::ok();
}

}  // namespace formation::libvirt

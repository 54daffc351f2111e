#include "settings.hpp"

#include <string>

namespace formation::cloudinit {

// The bounds are the spec's ranges (FORMFILE.md), so an operator can narrow them but
// never widen them. context.max_bytes stops at 3 GiB because the tarball travels as one
// file of an ISO 9660 image, which cannot hold a file of 4 GiB or more.
const char* const kParametersSchema = R"({
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "base_image": {"type": "string", "minLength": 1,
                   "default": "/var/lib/formation/images/debian-12-generic-amd64.qcow2",
                   "description": "The cloud-init enabled image instances of every build overlay; a missing file makes health() degraded."},
    "artifact_dir": {"type": "string", "default": "",
                     "description": "Where <build_id>/{seed.iso,context.tar,manifest.json} are kept; empty means <data_dir>/artifacts, relative is under the data dir."},
    "limits": {
      "type": "object", "additionalProperties": false, "default": {},
      "description": "The resources a Formfile may ask for on this network.",
      "properties": {
        "vcpus": {"type": "object", "additionalProperties": false, "default": {},
                  "properties": {
                    "min": {"type": "integer", "minimum": 1, "maximum": 128, "default": 1},
                    "max": {"type": "integer", "minimum": 1, "maximum": 128, "default": 128}}},
        "memory_mb": {"type": "object", "additionalProperties": false, "default": {},
                      "properties": {
                        "min": {"type": "integer", "minimum": 512, "maximum": 256000, "default": 512},
                        "max": {"type": "integer", "minimum": 512, "maximum": 256000, "default": 256000}}},
        "disk_gb": {"type": "object", "additionalProperties": false, "default": {},
                    "properties": {
                      "min": {"type": "integer", "minimum": 5, "maximum": 65535, "default": 5},
                      "max": {"type": "integer", "minimum": 5, "maximum": 65535, "default": 65535}}},
        "max_gpus": {"type": "integer", "minimum": 0, "maximum": 8, "default": 8,
                     "description": "0 forbids GPU."}
      }
    },
    "context": {
      "type": "object", "additionalProperties": false, "default": {},
      "description": "What an uploaded build context may hold (unpacked).",
      "properties": {
        "max_bytes": {"type": "integer", "minimum": 1, "maximum": 3221225472, "default": 1073741824},
        "max_files": {"type": "integer", "minimum": 1, "maximum": 1000000, "default": 50000}
      }
    }
  }
})";

namespace {

const rapidjson::Value* member(const rapidjson::Value* object, const char* name) {
  if (object == nullptr || !object->IsObject()) return nullptr;
  auto it = object->FindMember(name);
  return it == object->MemberEnd() ? nullptr : &it->value;
}

void read_int(const rapidjson::Value* object, const char* name, std::int64_t& out) {
  const auto* value = member(object, name);
  if (value != nullptr && value->IsInt64()) out = value->GetInt64();
}

void read_range(const rapidjson::Value* limits, const char* name, ValueRange& out) {
  const auto* range = member(limits, name);
  read_int(range, "min", out.min);
  read_int(range, "max", out.max);
}

Status check_range(const ValueRange& range, const char* name) {
  if (range.min <= range.max) return Status::ok();
  return Status::invalid("parameters: limits." + std::string(name) + ".min (" +
                         std::to_string(range.min) + ") is above limits." + name + ".max (" +
                         std::to_string(range.max) + ")");
}

}  // namespace

Settings settings_from(const rapidjson::Value& parameters, const std::filesystem::path& data_dir) {
  Settings s;
  if (const auto* image = member(&parameters, "base_image"); image && image->IsString()) {
    s.base_image = image->GetString();
  }
  std::filesystem::path artifacts;
  if (const auto* dir = member(&parameters, "artifact_dir"); dir && dir->IsString()) {
    artifacts = dir->GetString();
  }
  if (artifacts.empty()) artifacts = "artifacts";
  s.artifact_dir = artifacts.is_relative() ? data_dir / artifacts : artifacts;

  const auto* limits = member(&parameters, "limits");
  read_range(limits, "vcpus", s.limits.network.vcpus);
  read_range(limits, "memory_mb", s.limits.network.memory_mb);
  read_range(limits, "disk_gb", s.limits.network.disk_gb);
  read_int(limits, "max_gpus", s.limits.network.max_gpus);
  const auto* context = member(&parameters, "context");
  read_int(context, "max_bytes", s.limits.context.max_bytes);
  read_int(context, "max_files", s.limits.context.max_files);
  return s;
}

Status check_settings(const Settings& settings) {
  const auto& n = settings.limits.network;
  for (auto status : {check_range(n.vcpus, "vcpus"), check_range(n.memory_mb, "memory_mb"),
                      check_range(n.disk_gb, "disk_gb")}) {
    if (!status.is_ok()) return status;
  }
  return Status::ok();
}

}  // namespace formation::cloudinit

#include "api/resource_json.hpp"

namespace formation::host::api {
namespace {

void write_resources(JsonWriter& w, const Resources& r) {
  w.StartObject();
  w.Key("vcpus");
  w.Int64(r.vcpus);
  w.Key("memory_mb");
  w.Int64(r.memory_mb);
  w.Key("disk_gb");
  w.Int64(r.disk_gb);
  w.EndObject();
}

void put_optional(JsonWriter& w, std::string_view key, const std::string& value) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  if (value.empty()) {
    w.Null();
  } else {
    w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
  }
}

}  // namespace

void write_instance(JsonWriter& w, const Instance& i) {
  w.StartObject();
  put_string(w, "id", i.id);
  put_string(w, "name", i.name);
  put_string(w, "owner", i.owner);
  put_string(w, "build_id", i.build_id);
  put_string(w, "node_id", i.node_id);
  put_string(w, "state", to_string(i.state));
  put_string(w, "desired_state", to_string(i.desired_state));
  w.Key("vcpus");
  w.Int64(i.vcpus);
  w.Key("memory_mb");
  w.Int64(i.memory_mb);
  w.Key("disk_gb");
  w.Int64(i.disk_gb);
  w.Key("extra_disks_gb");
  w.StartArray();
  for (auto gb : i.extra_disks_gb) w.Int64(gb);
  w.EndArray();
  put_optional(w, "formnet_ip", i.formnet_ip.value_or(""));
  put_string(w, "dns_name", i.dns_name);
  put_optional(w, "error", i.error);
  put_string(w, "created_at", rfc3339(i.created_at));
  put_string(w, "updated_at", rfc3339(i.updated_at));
  w.Key("version");
  w.Int64(i.version);
  w.EndObject();
}

void write_node(JsonWriter& w, const Node& n) {
  w.StartObject();
  put_string(w, "id", n.id);
  put_string(w, "region", n.region);
  put_string(w, "public_ip", n.public_ip);
  put_string(w, "endpoint", n.endpoint);
  w.Key("capacity");
  write_resources(w, n.capacity);
  w.Key("allocated");
  write_resources(w, n.allocated);
  w.Key("available");
  write_resources(w, n.available());
  put_string(w, "heartbeat_at", rfc3339(n.heartbeat_at));
  put_string(w, "created_at", rfc3339(n.created_at));
  put_string(w, "updated_at", rfc3339(n.updated_at));
  w.EndObject();
}

}  // namespace formation::host::api

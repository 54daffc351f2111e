#include "settings.hpp"

#include <array>
#include <utility>

namespace formation::mesh_wireguard {

namespace {

const rapidjson::Value* member(const rapidjson::Value* object, const char* name) {
  if (object == nullptr || !object->IsObject()) return nullptr;
  auto it = object->FindMember(name);
  return it == object->MemberEnd() ? nullptr : &it->value;
}

Status bad(const std::string& pointer, const std::string& what) {
  return Status::invalid(pointer + ": " + what);
}

Result<std::string> read_string(const rapidjson::Value* object, const char* name,
                                const std::string& pointer, std::string fallback) {
  const auto* value = member(object, name);
  if (value == nullptr) return fallback;
  if (!value->IsString()) return bad(pointer, "must be a string");
  return std::string(value->GetString());
}

Result<int> read_int(const rapidjson::Value* object, const char* name, const std::string& pointer,
                     int fallback, int min, int max) {
  const auto* value = member(object, name);
  if (value == nullptr) return fallback;
  if (!value->IsInt() || value->GetInt() < min || value->GetInt() > max) {
    return bad(pointer, "must be an integer " + std::to_string(min) + ".." + std::to_string(max));
  }
  return value->GetInt();
}

Result<Cidr> read_cidr(const rapidjson::Value* object, const char* name, const std::string& pointer,
                       const std::string& fallback) {
  auto text = read_string(object, name, pointer, fallback);
  if (!text.is_ok()) return text.status();
  auto cidr = parse_cidr(*text);
  if (!cidr.is_ok()) return bad(pointer, cidr.status().message());
  return cidr;
}

Status read_ranges(const rapidjson::Value* parameters, Settings& out) {
  const auto* ranges = member(parameters, "ranges");
  if (ranges != nullptr && !ranges->IsObject()) return bad("/ranges", "must be an object");
  const std::array<std::tuple<const char*, Cidr*, const char*>, 3> kinds{
      {{"node", &out.node_range, "10.42.0.0/20"},
       {"device", &out.device_range, "10.42.64.0/18"},
       {"instance", &out.instance_range, "10.42.128.0/17"}}};
  for (const auto& [name, target, fallback] : kinds) {
    const std::string pointer = std::string("/ranges/") + name;
    auto cidr = read_cidr(ranges, name, pointer, fallback);
    if (!cidr.is_ok()) return cidr.status();
    if (!contains(out.cidr, *cidr)) {
      return bad(pointer,
                 "'" + format_cidr(*cidr) + "' is not inside cidr '" + format_cidr(out.cidr) + "'");
    }
    *target = *cidr;
  }
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    for (std::size_t j = i + 1; j < kinds.size(); ++j) {
      if (overlaps(*std::get<1>(kinds[i]), *std::get<1>(kinds[j]))) {
        return bad(std::string("/ranges/") + std::get<0>(kinds[j]),
                   "overlaps /ranges/" + std::string(std::get<0>(kinds[i])));
      }
    }
  }
  return Status::ok();
}

Status read_advertise(const rapidjson::Value* parameters, Settings& out) {
  const auto* list = member(parameters, "advertise");
  if (list == nullptr) return Status::ok();
  if (!list->IsArray()) return bad("/advertise", "must be an array of \"ip:port\"");
  for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
    const std::string pointer = "/advertise/" + std::to_string(i);
    const auto& item = (*list)[i];
    if (!item.IsString()) return bad(pointer, "must be a string \"ip:port\"");
    auto endpoint = parse_endpoint(item.GetString());
    if (!endpoint.is_ok()) return bad(pointer, endpoint.status().message());
    out.advertise.push_back(format_endpoint(*endpoint));
  }
  return Status::ok();
}

Result<Backend> parse_backend(const std::string& text) {
  if (text == "auto") return Backend::automatic;
  if (text == "kernel") return Backend::kernel;
  if (text == "userspace") return Backend::userspace;
  return bad("/backend", "'" + text + "' is not one of \"auto\", \"kernel\", \"userspace\"");
}

}  // namespace

const Cidr& Settings::range_of(MeshPeerKind kind) const {
  switch (kind) {
    case MeshPeerKind::node: return node_range;
    case MeshPeerKind::instance: return instance_range;
    case MeshPeerKind::device: return device_range;
  }
  return device_range;
}

bool valid_interface_name(std::string_view name) {
  constexpr std::size_t kMax = 15;  // IFNAMSIZ - 1
  if (name.empty() || name.size() > kMax || name == "." || name == "..") return false;
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '/' || c == ':' || u <= ' ' || u >= 0x7f) return false;
  }
  return true;
}

Result<Settings> settings_from(const rapidjson::Value& parameters,
                               const std::filesystem::path& data_dir) {
  Settings out;
  const auto* p = &parameters;
  if (!parameters.IsObject() && !parameters.IsNull())
    return bad("", "parameters must be an object");

  auto cidr = read_cidr(p, "cidr", "/cidr", "10.42.0.0/16");
  if (!cidr.is_ok()) return cidr.status();
  out.cidr = *cidr;
  if (auto st = read_ranges(p, out); !st.is_ok()) return st;

  auto interface = read_string(p, "interface", "/interface", out.interface);
  if (!interface.is_ok()) return interface.status();
  if (!valid_interface_name(*interface)) {
    return bad("/interface", "'" + *interface +
                                 "' is not an interface name (1 to 15 characters, no '/', ':' "
                                 "or spaces)");
  }
  out.interface = *interface;

  auto port = read_int(p, "listen_port", "/listen_port", out.listen_port, 1, 65535);
  if (!port.is_ok()) return port.status();
  out.listen_port = *port;

  auto backend = read_string(p, "backend", "/backend", "auto");
  if (!backend.is_ok()) return backend.status();
  auto parsed_backend = parse_backend(*backend);
  if (!parsed_backend.is_ok()) return parsed_backend.status();
  out.backend = *parsed_backend;

  if (const auto* manage = member(p, "manage_interface"); manage != nullptr) {
    if (!manage->IsBool()) return bad("/manage_interface", "must be true or false");
    out.manage_interface = manage->GetBool();
  }
  if (auto st = read_advertise(p, out); !st.is_ok()) return st;

  auto keepalive = read_int(p, "persistent_keepalive_s", "/persistent_keepalive_s",
                            out.persistent_keepalive_s, 0, 65535);
  if (!keepalive.is_ok()) return keepalive.status();
  out.persistent_keepalive_s = *keepalive;

  auto interval = read_int(p, "apply_interval_seconds", "/apply_interval_seconds",
                           out.apply_interval_seconds, 1, 86400);
  if (!interval.is_ok()) return interval.status();
  out.apply_interval_seconds = *interval;

  auto key_file = read_string(p, "private_key_file", "/private_key_file", "");
  if (!key_file.is_ok()) return key_file.status();
  out.private_key_file =
      key_file->empty() ? data_dir / "private.key" : std::filesystem::path(*key_file);
  if (out.private_key_file.is_relative()) out.private_key_file = data_dir / out.private_key_file;

  auto netns = read_string(p, "netns", "/netns", "");
  if (!netns.is_ok()) return netns.status();
  if (netns->find_first_of("/ \t\n") != std::string::npos || *netns == "." || *netns == "..") {
    return bad("/netns", "'" + *netns + "' is not a network namespace name");
  }
  out.netns = *netns;
  return out;
}

}  // namespace formation::mesh_wireguard

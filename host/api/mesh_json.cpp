#include "api/mesh_json.hpp"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <array>
#include <charconv>

namespace formation::host::api {
namespace {

constexpr std::size_t kPublicKeyLength = 44;
constexpr std::size_t kPublicKeyBytes = 32;

void put_strings(JsonWriter& w, std::string_view key, const std::vector<std::string>& values) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.StartArray();
  for (const auto& v : values) w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
  w.EndArray();
}

std::string expected_fields(std::span<const MeshField> fields) {
  std::string out;
  for (const auto& f : fields) out += (out.empty() ? "" : ", ") + std::string(f.name);
  return out;
}

std::string field_error(std::string_view name, std::string_view what) {
  return "body: field '" + std::string(name) + "' " + std::string(what);
}

}  // namespace

void write_mesh_peer(JsonWriter& w, const MeshPeer& peer) {
  w.StartObject();
  put_string(w, "id", peer.id);
  put_string(w, "kind", to_string(peer.kind));
  put_string(w, "owner", peer.owner);
  put_string(w, "public_key", peer.public_key);
  put_string(w, "address", peer.address);
  put_strings(w, "endpoints", peer.endpoints);
  put_string(w, "node_id", peer.node_id);
  w.Key("instance_id");
  if (peer.instance_id) {
    w.String(peer.instance_id->c_str(), static_cast<rapidjson::SizeType>(peer.instance_id->size()));
  } else {
    w.Null();
  }
  put_string(w, "created_at", rfc3339(peer.created_at));
  put_string(w, "updated_at", rfc3339(peer.updated_at));
  w.Key("version");
  w.Int64(peer.version);
  w.EndObject();
}

void write_peer_config(JsonWriter& w, const PeerConfig& config) {
  w.StartObject();
  put_string(w, "peer_id", config.peer_id);
  put_string(w, "address", config.address);
  put_string(w, "cidr", config.cidr);
  w.Key("peers");
  w.StartArray();
  for (const auto& p : config.peers) {
    w.StartObject();
    put_string(w, "peer_id", p.peer_id);
    put_string(w, "public_key", p.public_key);
    put_strings(w, "allowed_ips", p.allowed_ips);
    put_string(w, "endpoint", p.endpoint);
    w.Key("persistent_keepalive");
    w.Int(p.persistent_keepalive_s);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

std::optional<std::string> MeshBody::string(std::string_view name) const {
  auto it = strings.find(name);
  if (it == strings.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> MeshBody::list(std::string_view name) const {
  auto it = lists.find(name);
  return it == lists.end() ? std::vector<std::string>{} : it->second;
}

Result<MeshBody> parse_mesh_body(std::string_view body, std::span<const MeshField> fields) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError()) {
    return Status::invalid("body: invalid JSON at offset " + std::to_string(doc.GetErrorOffset()) +
                           ": " + rapidjson::GetParseError_En(doc.GetParseError()));
  }
  if (!doc.IsObject()) return Status::invalid("body: must be a JSON object");
  MeshBody out;
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    const std::string_view name(it->name.GetString(), it->name.GetStringLength());
    const auto field = std::find_if(fields.begin(), fields.end(),
                                    [&](const MeshField& f) { return f.name == name; });
    if (field == fields.end()) {
      std::string shown(name.substr(0, 40));
      return Status::invalid("body: unknown field '" + shown +
                             "' (expected one of: " + expected_fields(fields) + ")");
    }
    const auto& value = it->value;
    if (value.IsNull()) continue;
    if (field->type == MeshFieldType::string) {
      if (!value.IsString()) return Status::invalid(field_error(name, "must be a string"));
      if (value.GetStringLength() > field->max_length) {
        return Status::invalid(field_error(
            name, "is longer than " + std::to_string(field->max_length) + " characters"));
      }
      out.strings[std::string(name)] = std::string(value.GetString(), value.GetStringLength());
      continue;
    }
    if (!value.IsArray()) return Status::invalid(field_error(name, "must be a list of strings"));
    if (value.Size() > field->max_items) {
      return Status::invalid(
          field_error(name, "has more than " + std::to_string(field->max_items) + " items"));
    }
    std::vector<std::string> items;
    for (const auto& item : value.GetArray()) {
      if (!item.IsString()) return Status::invalid(field_error(name, "must be a list of strings"));
      if (item.GetStringLength() > field->max_length) {
        return Status::invalid(field_error(
            name, "has an item longer than " + std::to_string(field->max_length) + " characters"));
      }
      items.emplace_back(item.GetString(), item.GetStringLength());
    }
    out.lists[std::string(name)] = std::move(items);
  }
  for (const auto& f : fields) {
    const bool present = f.type == MeshFieldType::string ? out.strings.count(f.name) > 0
                                                         : out.lists.count(f.name) > 0;
    if (f.required && !present) return Status::invalid(field_error(f.name, "is required"));
  }
  return out;
}

Status check_public_key(const std::string& key) {
  Status bad = Status::invalid(
      "body: field 'public_key' must be a WireGuard public key: 44 characters of base64 of 32 "
      "bytes, as `wg pubkey` prints it");
  if (key.size() != kPublicKeyLength || key.back() != '=') return bad;
  const bool alphabet = std::all_of(key.begin(), key.end() - 1, [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
  });
  if (!alphabet) return bad;
  std::array<unsigned char, 33> decoded{};
  const int n = EVP_DecodeBlock(decoded.data(), reinterpret_cast<const unsigned char*>(key.data()),
                                static_cast<int>(key.size()));
  // EVP_DecodeBlock counts the padding as a zero byte: 44 characters give 33.
  if (n != static_cast<int>(kPublicKeyBytes) + 1) return bad;
  return Status::ok();
}

Status check_endpoint(const std::string& endpoint, const std::string& where) {
  Status bad = Status::invalid(
      where + ": '" + endpoint.substr(0, 64) +
      "' is not an endpoint (ip:port, e.g. 203.0.113.5:51820 or [2001:db8::1]:51820)");
  const auto colon = endpoint.rfind(':');
  if (colon == std::string::npos || colon == 0 || endpoint.find('\0') != std::string::npos) {
    return bad;
  }
  std::string host = endpoint.substr(0, colon);
  const std::string port = endpoint.substr(colon + 1);
  int family = AF_INET;
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return bad;
    host = host.substr(1, host.size() - 2);
    family = AF_INET6;
  }
  std::array<unsigned char, 16> bytes{};
  if (::inet_pton(family, host.c_str(), bytes.data()) != 1) return bad;
  int number = 0;
  auto r = std::from_chars(port.data(), port.data() + port.size(), number);
  if (port.empty() || r.ec != std::errc{} || r.ptr != port.data() + port.size() || number < 1 ||
      number > 65535) {
    return bad;
  }
  return Status::ok();
}

}  // namespace formation::host::api

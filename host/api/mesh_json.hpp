// The mesh routes' JSON (docs/mesh.md "API"): the PEER and config objects they answer, and
// the strict reader of their request bodies (the generic JsonBody has no arrays).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/api_support.hpp"
#include "formation/kinds/mesh.hpp"

namespace formation::host::api {

void write_mesh_peer(JsonWriter& w, const MeshPeer& peer);
void write_peer_config(JsonWriter& w, const PeerConfig& config);

enum class MeshFieldType { string, string_list };

struct MeshField {
  std::string_view name;
  MeshFieldType type = MeshFieldType::string;
  bool required = false;
  std::size_t max_length = 0;  // per string (each element of a list)
  std::size_t max_items = 0;   // lists only
};

struct MeshBody {
  std::map<std::string, std::string, std::less<>> strings;
  std::map<std::string, std::vector<std::string>, std::less<>> lists;

  [[nodiscard]] std::optional<std::string> string(std::string_view name) const;
  [[nodiscard]] std::vector<std::string> list(std::string_view name) const;
};

// invalid, naming the field: not JSON, not an object, an unknown field, a wrong type, a
// missing required field, a string longer than its cap, a list with too many items.
Result<MeshBody> parse_mesh_body(std::string_view body, std::span<const MeshField> fields);

// A WireGuard public key as `wg pubkey` prints it: 44 characters of base64 of 32 bytes.
Status check_public_key(const std::string& key);
// "ipv4:port" or "[ipv6]:port", port 1..65535; `where` names the field.
Status check_endpoint(const std::string& endpoint, const std::string& where);

}  // namespace formation::host::api

// What an instance has of the mesh (docs/mesh.md "Instances"): the address reserved for it
// at creation, freed at deletion, and its own seed ISO carrying a one-time join token so
// that its first boot joins the mesh without any tenant key.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "formation/kinds/image_builder.hpp"
#include "formation/kinds/mesh.hpp"
#include "mesh/join_token.hpp"

namespace formation::host::api {

struct InstanceMeshOptions {
  std::function<Mesh*()> mesh;  // null or answering null: no mesh on this node
  std::function<ImageBuilder*()> builder;
  std::shared_ptr<const mesh::JoinTokens> tokens;
  // This node's API as an instance reaches it ("http://192.0.2.1:8080"); asked when a seed
  // is written, i.e. once the server listens.
  std::function<std::string()> api_url;
  std::filesystem::path seed_dir;  // <data_dir>/instance-seeds
  std::string node_id;             // this node: its peer's id
};

class InstanceMesh {
 public:
  explicit InstanceMesh(InstanceMeshOptions options) : options_(std::move(options)) {}

  // The address reserved for a new instance of `owner`; nullopt when there is no mesh.
  Result<std::optional<std::string>> reserve(const std::string& owner) const;
  // Frees what reserve() took (and the instance's peer, if it joined); failures are logged.
  void release(const std::optional<std::string>& address) const;

  // The seed the instance's domain boots from: its own (the build's plus the mesh join)
  // when it has an address and the builder can write one, else `build_seed`.
  [[nodiscard]] std::filesystem::path seed_for(const std::string& instance_id,
                                               const std::string& build_id,
                                               const std::optional<std::string>& address,
                                               const std::filesystem::path& build_seed) const;
  void remove_seed(const std::string& instance_id) const;

 private:
  [[nodiscard]] Mesh* mesh() const { return options_.mesh ? options_.mesh() : nullptr; }
  InstanceMeshOptions options_;
};

// The first-boot script written to /usr/local/sbin/formation-mesh-join (exposed for tests).
std::string mesh_join_script();

}  // namespace formation::host::api

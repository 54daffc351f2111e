// One-time join tokens for instances (docs/mesh.md "Instances"): the token in an
// instance's cloud-init lets its first boot join the mesh without a tenant key. It is an
// HMAC over the instance id and the mesh address reserved for it, keyed by a secret of
// this node; "one-time" because a join consumes the reservation it names, after which the
// same token finds no reservation to fill.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "formation/status.hpp"

namespace formation::host::mesh {

struct JoinTokenClaims {
  std::string instance_id;
  std::string address;
};

class JoinTokens {
 public:
  // Reads the node's secret from `key_file`, creating it (32 random bytes, 0600) when
  // absent. unavailable when it can be neither read nor written.
  static Result<JoinTokens> open(const std::filesystem::path& key_file);
  // A secret given directly (tests).
  explicit JoinTokens(std::string secret) : secret_(std::move(secret)) {}

  // "fjt1.<instance id>.<address>.<64 hex>".
  [[nodiscard]] std::string mint(const std::string& instance_id, const std::string& address) const;
  // The claims of a token this node minted; invalid (saying what is wrong) otherwise.
  [[nodiscard]] Result<JoinTokenClaims> verify(std::string_view token) const;

 private:
  [[nodiscard]] std::string mac(const std::string& instance_id, const std::string& address) const;
  std::string secret_;
};

}  // namespace formation::host::mesh

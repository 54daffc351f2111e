#include "node/node_registration.hpp"

#include <chrono>

namespace formation::host {

Resources node_capacity(const NodeConfig& config, Vmm* vmm) {
  Resources capacity;
  if (vmm != nullptr) {
    if (auto reported = vmm->host_capacity(); reported.is_ok()) capacity = *reported;
  }
  if (config.vcpus > 0) capacity.vcpus = config.vcpus;
  if (config.memory_mb > 0) capacity.memory_mb = config.memory_mb;
  if (config.disk_gb > 0) capacity.disk_gb = config.disk_gb;
  return capacity;
}

Status register_node(StateStore& store, const NodeConfig& config, const std::string& id,
                     const Resources& capacity) {
  auto tx = store.begin();
  if (!tx.is_ok()) return tx.status();
  Node node;
  node.id = id;
  node.region = config.region;
  node.public_ip = config.public_ip;
  node.endpoint = config.endpoint;
  node.capacity = capacity;
  node.heartbeat_at = std::chrono::system_clock::now();
  auto stored = (*tx)->nodes().upsert(node);
  if (!stored.is_ok()) return stored.status();
  if (auto st = (*tx)->nodes().heartbeat(id, node.heartbeat_at); !st.is_ok()) return st;
  return (*tx)->commit();
}

Status heartbeat(StateStore& store, const std::string& id) {
  auto tx = store.begin();
  if (!tx.is_ok()) return tx.status();
  if (auto st = (*tx)->nodes().heartbeat(id, std::chrono::system_clock::now()); !st.is_ok()) {
    return st;
  }
  return (*tx)->commit();
}

}  // namespace formation::host

// A node registers itself in the state store at start (id, region, addresses, capacity)
// and heartbeats on a timer; GET /v1/nodes shows both, and DNS leaves out nodes whose
// heartbeat is old.
#pragma once

#include <string>

#include "config/config.hpp"
#include "formation/kinds/state_store.hpp"
#include "formation/kinds/vmm.hpp"

namespace formation::host {

// What this node offers: each non-zero NodeConfig capacity wins; the rest comes from the
// VM plugin (host CPUs, memory, free disk), or 0 without one.
Resources node_capacity(const NodeConfig& config, Vmm* vmm);

Status register_node(StateStore& store, const NodeConfig& config, const std::string& id,
                     const Resources& capacity);

Status heartbeat(StateStore& store, const std::string& id);

}  // namespace formation::host

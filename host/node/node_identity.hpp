// Who this host is on the network: its node id is an operator address (DESIGN.md §5,
// GET /v1/nodes). Either formation.json names it ("node": {"id": "0x..."}), or the host
// generates a secp256k1 key once and keeps it in <data_dir>/node.key (0600), so that a node
// keeps its id across restarts and no two nodes share one by accident.
#pragma once

#include <filesystem>
#include <string>

#include "formation/status.hpp"

namespace formation::host {

// The configured id, or the address of <data_dir>/node.key (created when missing).
// unavailable when the key file cannot be written; invalid when it holds no valid key.
Result<std::string> node_id(const std::string& configured, const std::filesystem::path& data_dir);

}  // namespace formation::host

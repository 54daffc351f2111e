// The plugin's reads and writes of MeshPeer rows, each in its own store transaction.
// Allocation relies on the store's unique address: pick a free one, insert, and on a
// conflict (another host or thread took it) pick again, a bounded number of times.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "formation/kinds/state_store.hpp"
#include "net_parse.hpp"

namespace formation::mesh_wireguard {

class PeerStore {
 public:
  explicit PeerStore(StateStore& store) : store_(store) {}

  // Every row, with the store's mesh change serial read before them. The last read is handed
  // out again while the serial has not moved: a join, its apply() and its configuration read
  // the rows once, not once each.
  struct Rows {
    std::int64_t serial = -1;
    std::vector<MeshPeer> peers;
  };
  using Snapshot = std::shared_ptr<const Rows>;
  Result<Snapshot> all();
  Result<MeshPeer> get(const std::string& id);
  // nullopt when no row has it.
  Result<std::optional<MeshPeer>> by_public_key(const std::string& key);
  Result<std::optional<MeshPeer>> by_address(const std::string& address);
  Result<std::int64_t> change_serial();

  // Inserts `peer` at a free address of `range` (its `address` is filled in). conflict
  // when the range is exhausted, or when its id or public key is taken.
  Result<MeshPeer> create_in(const Cidr& range, MeshPeer peer);
  // Compare-and-set update of the row `id`: `change` edits the current row; retried when
  // another writer got there first. `change` returns non-ok to give up.
  Result<MeshPeer> update(const std::string& id, const std::function<Status(MeshPeer&)>& change);
  Status remove(const std::string& id);

 private:
  template <typename T, typename Fn>
  Result<T> read(Fn fn);
  StateStore& store_;
  std::mutex cache_mutex_;
  Snapshot cached_;
};

// 16 lower-case hex digits from the system's randomness.
std::string random_peer_id();

}  // namespace formation::mesh_wireguard

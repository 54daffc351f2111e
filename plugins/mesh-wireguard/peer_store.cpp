#include "peer_store.hpp"

#include <openssl/rand.h>

#include <array>

#include "address_pool.hpp"

namespace formation::mesh_wireguard {

namespace {

constexpr int kAttempts = 32;

std::uint64_t random_u64() {
  std::uint64_t value = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof value);
  return value;
}

}  // namespace

std::string random_peer_id() {
  static constexpr std::array<char, 17> kHex{"0123456789abcdef"};
  auto value = random_u64();
  std::string out(16, '0');
  for (auto& c : out) {
    c = kHex[value & 0xf];
    value >>= 4;
  }
  return out;
}

template <typename T, typename Fn>
Result<T> PeerStore::read(Fn fn) {
  auto tx = store_.begin();
  if (!tx.is_ok()) return tx.status();
  Result<T> out = fn((*tx)->mesh_peers());
  (void)(*tx)->rollback();
  return out;
}

Result<PeerStore::Snapshot> PeerStore::all() {
  return read<Snapshot>([this](MeshPeerRepository& repo) -> Result<Snapshot> {
    // The serial first: a row committed after it makes the next read fetch again, never the
    // other way round.
    auto serial = repo.change_serial();
    if (!serial.is_ok()) return serial.status();
    {
      std::lock_guard lock(cache_mutex_);
      if (cached_ && *serial == cached_->serial) return cached_;
    }
    auto out = std::make_shared<Rows>();
    out->serial = *serial;
    PageRequest page;
    page.limit = 1000;
    while (true) {
      auto got = repo.list({}, page);
      if (!got.is_ok()) return got.status();
      for (auto& p : got->items) out->peers.push_back(std::move(p));
      if (got->last()) break;
      page.page_token = got->next_page_token;
    }
    std::lock_guard lock(cache_mutex_);
    cached_ = out;
    return Snapshot(out);
  });
}

Result<MeshPeer> PeerStore::get(const std::string& id) {
  return read<MeshPeer>([&](MeshPeerRepository& repo) { return repo.get(id); });
}

Result<std::optional<MeshPeer>> PeerStore::by_public_key(const std::string& key) {
  return read<std::optional<MeshPeer>>(
      [&](MeshPeerRepository& repo) -> Result<std::optional<MeshPeer>> {
        auto got = repo.get_by_public_key(key);
        if (got.is_ok()) return std::optional<MeshPeer>(std::move(got).value());
        if (got.status().code() == StatusCode::not_found) return std::optional<MeshPeer>();
        return got.status();
      });
}

Result<std::optional<MeshPeer>> PeerStore::by_address(const std::string& address) {
  return read<std::optional<MeshPeer>>(
      [&](MeshPeerRepository& repo) -> Result<std::optional<MeshPeer>> {
        auto got = repo.get_by_address(address);
        if (got.is_ok()) return std::optional<MeshPeer>(std::move(got).value());
        if (got.status().code() == StatusCode::not_found) return std::optional<MeshPeer>();
        return got.status();
      });
}

Result<std::int64_t> PeerStore::change_serial() {
  return read<std::int64_t>([](MeshPeerRepository& repo) { return repo.change_serial(); });
}

Result<MeshPeer> PeerStore::create_in(const Cidr& range, MeshPeer peer) {
  std::optional<AddressPool> pool;
  Status last = Status::ok();
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto tx = store_.begin();
    if (!tx.is_ok()) return tx.status();
    auto& repo = (*tx)->mesh_peers();
    if (!pool) {
      auto used = repo.addresses();
      if (!used.is_ok()) return used.status();
      pool.emplace(range, *used);
    }
    const auto address = pool->pick(random_u64());
    if (!address) {
      (void)(*tx)->rollback();
      return Status::conflict("the " + std::string(to_string(peer.kind)) + " address range " +
                              format_cidr(range) + " is exhausted");
    }
    peer.address = format_ipv4(*address);
    auto created = repo.create(peer);
    Status st = created.is_ok() ? (*tx)->commit() : created.status();
    if (st.is_ok()) return created;
    (void)(*tx)->rollback();
    if (st.code() != StatusCode::conflict) return st;
    last = st;
    // Not the address's fault when the id or the key is the one taken.
    if (!peer.public_key.empty()) {
      auto holder = by_public_key(peer.public_key);
      if (holder.is_ok() && holder->has_value()) {
        return Status::conflict("public key is already in the mesh");
      }
    }
    if (auto same = get(peer.id); same.is_ok()) {
      return Status::conflict("peer id " + peer.id + " is already in the mesh");
    }
    pool->mark_used(*address);
    if (attempt % 8 == 7) pool.reset();  // many losses in a row: re-read what is taken
  }
  return Status::unavailable("no free address could be taken after " + std::to_string(kAttempts) +
                             " attempts (" + last.message() + ")");
}

Result<MeshPeer> PeerStore::update(const std::string& id,
                                   const std::function<Status(MeshPeer&)>& change) {
  Status last = Status::ok();
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto tx = store_.begin();
    if (!tx.is_ok()) return tx.status();
    auto& repo = (*tx)->mesh_peers();
    auto current = repo.get(id);
    if (!current.is_ok()) {
      (void)(*tx)->rollback();
      return current.status();
    }
    if (auto st = change(*current); !st.is_ok()) {
      (void)(*tx)->rollback();
      return st;
    }
    auto updated = repo.update(*current);
    Status st = updated.is_ok() ? (*tx)->commit() : updated.status();
    if (st.is_ok()) return updated;
    (void)(*tx)->rollback();
    if (st.code() != StatusCode::conflict) return st;
    last = st;
    // A key taken by another row is a real conflict, not a lost race.
    auto holder = by_public_key(current->public_key);
    if (!current->public_key.empty() && holder.is_ok() && holder->has_value() &&
        (*holder)->id != id) {
      return Status::conflict("public key is already in the mesh");
    }
  }
  return last;
}

Status PeerStore::remove(const std::string& id) {
  auto tx = store_.begin();
  if (!tx.is_ok()) return tx.status();
  auto st = (*tx)->mesh_peers().remove(id);
  if (!st.is_ok()) {
    (void)(*tx)->rollback();
    return st;
  }
  return (*tx)->commit();
}

}  // namespace formation::mesh_wireguard

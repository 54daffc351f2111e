// Mesh peers: unique ids, addresses and public keys across every host, and a change serial.
#include "paging.hpp"
#include "repositories.hpp"

namespace formation::postgres {
namespace {

constexpr const char* kCols =
    "id, kind, owner, public_key, address, endpoints, node_id, instance_id, created_at, "
    "updated_at, version";

MeshPeer read_peer(const pqxx::row& r) {
  MeshPeer m;
  m.id = text(r[0]);
  m.kind = parse_mesh_peer_kind(text(r[1])).value_or(MeshPeerKind::device);
  m.owner = text(r[2]);
  m.public_key = text(r[3]);
  m.address = text(r[4]);
  m.endpoints = text_array(r[5]);
  m.node_id = text(r[6]);
  m.instance_id = opt_text(r[7]);
  m.created_at = time(r[8]);
  m.updated_at = time(r[9]);
  m.version = i64(r[10]);
  return m;
}

void bump_serial(TxnContext& ctx) {
  exec(*ctx.work, "UPDATE change_serials SET value = value + 1 WHERE name = 'mesh'");
}

// What a new or changed peer clashes with ("address 10.42.0.7 is taken by peer ab12"), or
// empty. `self` is the peer's own id on update.
std::string clash(TxnContext& ctx, const MeshPeer& peer, bool creating) {
  Params p;
  auto id = p.add(peer.id);
  auto address = p.add(peer.address);
  auto key = p.add(peer.public_key);
  auto r = exec(*ctx.work,
                "SELECT id, address, public_key FROM mesh_peers WHERE " +
                    std::string(creating ? "id = " + id + " OR " : "id <> " + id + " AND (") +
                    "address = " + address + " OR (public_key <> '' AND public_key = " + key + ")" +
                    (creating ? "" : ")") + " LIMIT 1",
                p);
  if (r.empty()) return {};
  auto other = text(r[0][0]);
  if (creating && other == peer.id) return "mesh peer " + peer.id + " already exists";
  if (text(r[0][1]) == peer.address) {
    return "mesh address " + peer.address + " is taken by peer " + other;
  }
  return "public key " + peer.public_key + " is taken by peer " + other;
}

}  // namespace

Result<MeshPeer> PgMeshPeers::get_where(const std::string& column, const std::string& value) {
  return guarded(ctx_, [&]() -> Result<MeshPeer> {
    Params p;
    auto r = exec(
        *ctx_.work,
        std::string("SELECT ") + kCols + " FROM mesh_peers WHERE " + column + " = " + p.add(value),
        p);
    if (r.empty()) return Status::not_found("no mesh peer with " + column + " " + value);
    return read_peer(r[0]);
  });
}

Result<MeshPeer> PgMeshPeers::get(const std::string& id) { return get_where("id", id); }

Result<MeshPeer> PgMeshPeers::get_by_address(const std::string& address) {
  return get_where("address", address);
}

Result<MeshPeer> PgMeshPeers::get_by_public_key(const std::string& public_key) {
  if (public_key.empty()) return Status::not_found("no mesh peer with an empty public key");
  return get_where("public_key", public_key);
}

Result<Page<MeshPeer>> PgMeshPeers::list(const MeshPeerFilter& filter, const PageRequest& page) {
  ListQuery q;
  q.scope = "mesh_peers";
  q.select = std::string("SELECT ") + kCols + " FROM mesh_peers";
  if (filter.kind)
    q.where.push_back("kind = " + q.params.add(std::string(to_string(*filter.kind))));
  if (filter.owner) q.where.push_back("owner = " + q.params.add(*filter.owner));
  if (filter.node_id) q.where.push_back("node_id = " + q.params.add(*filter.node_id));
  if (filter.instance_id) q.where.push_back("instance_id = " + q.params.add(*filter.instance_id));
  q.key = {{"id"}};
  return list_page<MeshPeer>(ctx_, std::move(q), page, read_peer,
                             [](const MeshPeer& m) { return std::vector{m.id}; });
}

Result<std::vector<std::string>> PgMeshPeers::addresses() {
  return guarded(ctx_, [&]() -> Result<std::vector<std::string>> {
    std::vector<std::string> out;
    for (const auto& row : exec(*ctx_.work, "SELECT address FROM mesh_peers")) {
      out.push_back(text(row[0]));
    }
    return out;
  });
}

Result<MeshPeer> PgMeshPeers::create(const MeshPeer& m) {
  return guarded(ctx_, [&]() -> Result<MeshPeer> {
    Params p;
    auto t = now();
    // ON CONFLICT DO NOTHING covers every unique key (id, address, public key) without
    // aborting the transaction; the loser of a race between hosts sees no row.
    auto sql = std::string("INSERT INTO mesh_peers (") + kCols + ") VALUES (" + p.add(m.id) + ", " +
               p.add(std::string(to_string(m.kind))) + ", " + p.add(m.owner) + ", " +
               p.add(m.public_key) + ", " + p.add(m.address) + ", " + p.add_array(m.endpoints) +
               ", " + p.add(m.node_id) + ", " + p.add(m.instance_id) + ", " + p.add(t) + ", " +
               p.add(t) + ", 1) ON CONFLICT DO NOTHING RETURNING " + kCols;
    auto r = exec(*ctx_.work, sql, p);
    if (r.empty()) {
      auto why = clash(ctx_, m, true);
      return Status::conflict(why.empty() ? "mesh peer " + m.id + " clashes with another" : why);
    }
    bump_serial(ctx_);
    return read_peer(r[0]);
  });
}

Result<MeshPeer> PgMeshPeers::update(const MeshPeer& m) {
  return guarded(ctx_, [&]() -> Result<MeshPeer> {
    Params q;
    auto found = exec(
        *ctx_.work,
        "SELECT version, address FROM mesh_peers WHERE id = " + q.add(m.id) + " FOR UPDATE", q);
    if (found.empty()) return Status::not_found("no mesh peer " + m.id);
    if (i64(found[0][0]) != m.version) {
      return Status::conflict("mesh peer " + m.id + " is at version " + text(found[0][0]) +
                              ", not " + std::to_string(m.version));
    }
    if (text(found[0][1]) != m.address) {
      return Status::conflict("the mesh address of peer " + m.id + " is " + text(found[0][1]) +
                              " and cannot change");
    }
    auto why = clash(ctx_, m, false);
    if (!why.empty()) return Status::conflict(why);
    Params p;
    auto sql = "UPDATE mesh_peers SET kind = " + p.add(std::string(to_string(m.kind))) +
               ", owner = " + p.add(m.owner) + ", public_key = " + p.add(m.public_key) +
               ", endpoints = " + p.add_array(m.endpoints) + ", node_id = " + p.add(m.node_id) +
               ", instance_id = " + p.add(m.instance_id) + ", updated_at = " + p.add(now()) +
               ", version = version + 1 WHERE id = " + p.add(m.id) + " RETURNING " + kCols;
    auto r = exec(*ctx_.work, sql, p);
    bump_serial(ctx_);
    return read_peer(r[0]);
  });
}

Status PgMeshPeers::remove(const std::string& id) {
  return guarded(ctx_, [&]() -> Status {
    Params p;
    auto r = exec(*ctx_.work, "DELETE FROM mesh_peers WHERE id = " + p.add(id), p);
    if (r.affected_rows() == 0) return Status::not_found("no mesh peer " + id);
    bump_serial(ctx_);
    return Status::ok();
  });
}

Result<std::int64_t> PgMeshPeers::change_serial() {
  return guarded(ctx_, [&]() -> Result<std::int64_t> {
    return i64(exec(*ctx_.work, "SELECT value FROM change_serials WHERE name = 'mesh'")[0][0]);
  });
}

}  // namespace formation::postgres

// DNS records and mesh peers; both keep a change serial that grows with every write.
#include "paging.hpp"
#include "repositories.hpp"

namespace formation::sqlite {
namespace {

Status bump_serial(Connection& db, std::string_view name) {
  return db.run("UPDATE change_serials SET value = value + 1 WHERE name = ?", {name}).status();
}

Result<std::int64_t> read_serial(Connection& db, std::string_view name) {
  auto v = db.scalar("SELECT value FROM change_serials WHERE name = ?", {name});
  if (!v.is_ok()) return v.status();
  return v->value_or(1);
}

// ---- DNS records -------------------------------------------------------------------------

constexpr std::string_view kDnsColumns =
    "SELECT fqdn, type, values_json, ttl, owner, instance_id, verified, verification_token, "
    "created_at, updated_at, version FROM dns_records";

DnsRecord read_record(const Row& r) {
  DnsRecord d;
  d.fqdn = r.text(0);
  d.type = parse_dns_record_type(r.text(1)).value_or(DnsRecordType::a);
  d.values = strings_from_json(r.text(2));
  d.ttl = r.i64(3);
  d.owner = r.text(4);
  d.instance_id = r.opt_text(5);
  d.verified = r.i64(6) != 0;
  d.verification_token = r.text(7);
  d.created_at = r.time(8);
  d.updated_at = r.time(9);
  d.version = r.i64(10);
  return d;
}

std::string record_name(const std::string& fqdn, DnsRecordType type) {
  return "DNS record " + std::string(to_string(type)) + " " + fqdn;
}

class DnsRecords final : public DnsRecordRepository {
 public:
  explicit DnsRecords(Connection& db) : db_(db) {}

  Result<DnsRecord> get(const std::string& fqdn, DnsRecordType type) override {
    auto row = db_.one<DnsRecord>(std::string(kDnsColumns) + " WHERE fqdn = ? AND type = ?",
                                  {fqdn, to_string(type)}, read_record);
    if (!row.is_ok()) return row.status();
    if (!*row) return Status::not_found(record_name(fqdn, type) + " does not exist");
    return std::move(**row);
  }

  Result<std::vector<DnsRecord>> at(const std::string& fqdn) override {
    std::vector<DnsRecord> out;
    auto st = db_.query(std::string(kDnsColumns) + " WHERE fqdn = ? ORDER BY type", {fqdn},
                        [&](const Row& r) { out.push_back(read_record(r)); });
    if (!st.is_ok()) return st;
    return out;
  }

  Result<Page<DnsRecord>> list(const DnsRecordFilter& f, const PageRequest& page) override {
    ListQuery q{
        .scope = "dns_records", .select = std::string(kDnsColumns), .key = {{"fqdn"}, {"type"}}};
    if (f.owner) {
      q.where.emplace_back("owner = ?");
      q.args.emplace_back(*f.owner);
    }
    if (f.instance_id) {
      q.where.emplace_back("instance_id = ?");
      q.args.emplace_back(*f.instance_id);
    }
    if (f.zone) {
      q.where.emplace_back(
          "(fqdn = ? OR (length(fqdn) > length(?) AND substr(fqdn, -length(?) - 1) = '.' || ?))");
      for (int i = 0; i < 4; ++i) q.args.emplace_back(*f.zone);
    }
    if (f.verified) {
      q.where.emplace_back("verified = ?");
      q.args.emplace_back(*f.verified);
    }
    return list_page<DnsRecord>(db_, q, page, read_record, [](const DnsRecord& d) {
      return std::vector{d.fqdn, std::string(to_string(d.type))};
    });
  }

  Result<DnsRecord> create(const DnsRecord& d) override {
    auto t = now();
    auto done = db_.run(
        "INSERT INTO dns_records (fqdn, type, values_json, ttl, owner, instance_id, verified, "
        "verification_token, created_at, updated_at, version) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
        {d.fqdn, to_string(d.type), to_json(d.values), d.ttl, d.owner, d.instance_id, d.verified,
         d.verification_token, t, t});
    if (!done.is_ok()) {
      if (done.status().code() == StatusCode::conflict) {
        return Status::conflict(record_name(d.fqdn, d.type) + " already exists");
      }
      return done.status();
    }
    if (auto st = bump_serial(db_, "dns"); !st.is_ok()) return st;
    return get(d.fqdn, d.type);
  }

  Result<DnsRecord> update(const DnsRecord& d) override {
    auto done = db_.run(
        "UPDATE dns_records SET values_json = ?, ttl = ?, owner = ?, instance_id = ?, "
        "verified = ?, verification_token = ?, updated_at = ?, version = version + 1 "
        "WHERE fqdn = ? AND type = ? AND version = ?",
        {to_json(d.values), d.ttl, d.owner, d.instance_id, d.verified, d.verification_token, now(),
         d.fqdn, to_string(d.type), d.version});
    if (!done.is_ok()) return done.status();
    if (*done == 0) {
      return cas_failure(db_, record_name(d.fqdn, d.type), "dns_records", "fqdn = ? AND type = ?",
                         {d.fqdn, to_string(d.type)}, d.version);
    }
    if (auto st = bump_serial(db_, "dns"); !st.is_ok()) return st;
    return get(d.fqdn, d.type);
  }

  Status remove(const std::string& fqdn, DnsRecordType type) override {
    auto st = require_changed(
        db_.run("DELETE FROM dns_records WHERE fqdn = ? AND type = ?", {fqdn, to_string(type)}),
        record_name(fqdn, type));
    if (!st.is_ok()) return st;
    return bump_serial(db_, "dns");
  }

  Result<std::int64_t> remove_for_instance(const std::string& instance_id) override {
    auto done = db_.run("DELETE FROM dns_records WHERE instance_id = ?", {instance_id});
    if (!done.is_ok() || *done == 0) return done;
    if (auto st = bump_serial(db_, "dns"); !st.is_ok()) return st;
    return done;
  }

  Result<std::int64_t> change_serial() override { return read_serial(db_, "dns"); }

 private:
  Connection& db_;
};

// ---- mesh peers --------------------------------------------------------------------------

constexpr std::string_view kPeerColumns =
    "SELECT id, kind, owner, public_key, address, endpoints_json, node_id, instance_id, "
    "created_at, updated_at, version FROM mesh_peers";

MeshPeer read_peer(const Row& r) {
  MeshPeer p;
  p.id = r.text(0);
  p.kind = parse_mesh_peer_kind(r.text(1)).value_or(MeshPeerKind::device);
  p.owner = r.text(2);
  p.public_key = r.text(3);
  p.address = r.text(4);
  p.endpoints = strings_from_json(r.text(5));
  p.node_id = r.text(6);
  p.instance_id = r.opt_text(7);
  p.created_at = r.time(8);
  p.updated_at = r.time(9);
  p.version = r.i64(10);
  return p;
}

class MeshPeers final : public MeshPeerRepository {
 public:
  explicit MeshPeers(Connection& db) : db_(db) {}

  Result<MeshPeer> get(const std::string& id) override { return by("id", id); }
  Result<MeshPeer> get_by_address(const std::string& address) override {
    return by("address", address);
  }
  Result<MeshPeer> get_by_public_key(const std::string& public_key) override {
    if (public_key.empty()) return Status::not_found("mesh peer with an empty public key");
    return by("public_key", public_key);
  }

  Result<Page<MeshPeer>> list(const MeshPeerFilter& f, const PageRequest& page) override {
    ListQuery q{.scope = "mesh_peers", .select = std::string(kPeerColumns), .key = {{"id"}}};
    if (f.kind) {
      q.where.emplace_back("kind = ?");
      q.args.emplace_back(to_string(*f.kind));
    }
    if (f.owner) {
      q.where.emplace_back("owner = ?");
      q.args.emplace_back(*f.owner);
    }
    if (f.node_id) {
      q.where.emplace_back("node_id = ?");
      q.args.emplace_back(*f.node_id);
    }
    if (f.instance_id) {
      q.where.emplace_back("instance_id = ?");
      q.args.emplace_back(*f.instance_id);
    }
    return list_page<MeshPeer>(db_, q, page, read_peer,
                               [](const MeshPeer& p) { return std::vector{p.id}; });
  }

  Result<std::vector<std::string>> addresses() override {
    std::vector<std::string> out;
    auto st = db_.query("SELECT address FROM mesh_peers", {},
                        [&](const Row& r) { out.push_back(r.text(0)); });
    if (!st.is_ok()) return st;
    return out;
  }

  Result<MeshPeer> create(const MeshPeer& p) override {
    // Name exactly what clashed: the id, the address or the public key.
    auto clash = db_.scalar(
        "SELECT CASE WHEN id = ? THEN 1 WHEN address = ? THEN 2 ELSE 3 END FROM mesh_peers "
        "WHERE id = ? OR address = ? OR (public_key <> '' AND public_key = ?) LIMIT 1",
        {p.id, p.address, p.id, p.address, p.public_key});
    if (!clash.is_ok()) return clash.status();
    if (*clash) {
      switch (**clash) {
        case 1: return Status::conflict("mesh peer " + p.id + " already exists");
        case 2: return Status::conflict("mesh address " + p.address + " is taken");
        default: return Status::conflict("mesh public key " + p.public_key + " is taken");
      }
    }
    auto t = now();
    auto done = db_.run(
        "INSERT INTO mesh_peers (id, kind, owner, public_key, address, endpoints_json, node_id, "
        "instance_id, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
        {p.id, to_string(p.kind), p.owner, p.public_key, p.address, to_json(p.endpoints), p.node_id,
         p.instance_id, t, t});
    if (!done.is_ok()) return with_context(done.status(), "mesh peer " + p.id);
    if (auto st = bump_serial(db_, "mesh"); !st.is_ok()) return st;
    return get(p.id);
  }

  Result<MeshPeer> update(const MeshPeer& p) override {
    auto current = get(p.id);
    if (!current.is_ok()) return current.status();
    if (current->address != p.address) {
      return Status::conflict("mesh peer " + p.id + " has address " + current->address +
                              "; an address never changes");
    }
    auto done = db_.run(
        "UPDATE mesh_peers SET kind = ?, owner = ?, public_key = ?, endpoints_json = ?, "
        "node_id = ?, instance_id = ?, updated_at = ?, version = version + 1 "
        "WHERE id = ? AND version = ?",
        {to_string(p.kind), p.owner, p.public_key, to_json(p.endpoints), p.node_id, p.instance_id,
         now(), p.id, p.version});
    if (!done.is_ok()) {
      if (done.status().code() == StatusCode::conflict) {
        return Status::conflict("mesh public key " + p.public_key + " is taken");
      }
      return done.status();
    }
    if (*done == 0) {
      return cas_failure(db_, "mesh peer " + p.id, "mesh_peers", "id = ?", {p.id}, p.version);
    }
    if (auto st = bump_serial(db_, "mesh"); !st.is_ok()) return st;
    return get(p.id);
  }

  Status remove(const std::string& id) override {
    auto st =
        require_changed(db_.run("DELETE FROM mesh_peers WHERE id = ?", {id}), "mesh peer " + id);
    if (!st.is_ok()) return st;
    return bump_serial(db_, "mesh");
  }

  Result<std::int64_t> change_serial() override { return read_serial(db_, "mesh"); }

 private:
  Result<MeshPeer> by(std::string_view column, const std::string& value) {
    auto row = db_.one<MeshPeer>(
        std::string(kPeerColumns) + " WHERE " + std::string(column) + " = ?", {value}, read_peer);
    if (!row.is_ok()) return row.status();
    if (!*row) {
      return Status::not_found("no mesh peer with " + std::string(column) + " " + value);
    }
    return std::move(**row);
  }

  Connection& db_;
};

}  // namespace

std::unique_ptr<DnsRecordRepository> make_dns_record_repository(Connection& db) {
  return std::make_unique<DnsRecords>(db);
}
std::unique_ptr<MeshPeerRepository> make_mesh_peer_repository(Connection& db) {
  return std::make_unique<MeshPeers>(db);
}

}  // namespace formation::sqlite

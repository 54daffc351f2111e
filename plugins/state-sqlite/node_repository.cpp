// Nodes: registration, heartbeats and atomic capacity reservations.
#include "paging.hpp"
#include "repositories.hpp"

namespace formation::sqlite {
namespace {

constexpr std::string_view kColumns =
    "SELECT id, region, public_ip, endpoint, capacity_vcpus, capacity_memory_mb, "
    "capacity_disk_gb, allocated_vcpus, allocated_memory_mb, allocated_disk_gb, heartbeat_at, "
    "created_at, updated_at, version FROM nodes";

Node read_node(const Row& r) {
  Node n;
  n.id = r.text(0);
  n.region = r.text(1);
  n.public_ip = r.text(2);
  n.endpoint = r.text(3);
  n.capacity = {r.i64(4), r.i64(5), r.i64(6)};
  n.allocated = {r.i64(7), r.i64(8), r.i64(9)};
  n.heartbeat_at = r.time(10);
  n.created_at = r.time(11);
  n.updated_at = r.time(12);
  n.version = r.i64(13);
  return n;
}

class Nodes final : public NodeRepository {
 public:
  explicit Nodes(Connection& db) : db_(db) {}

  Result<Node> get(const std::string& id) override {
    auto row = db_.one<Node>(std::string(kColumns) + " WHERE id = ?", {id}, read_node);
    if (!row.is_ok()) return row.status();
    if (!*row) return Status::not_found("node " + id + " does not exist");
    return std::move(**row);
  }

  Result<Page<Node>> list(const PageRequest& page) override {
    ListQuery q{.scope = "nodes", .select = std::string(kColumns), .key = {{"id"}}};
    return list_page<Node>(db_, q, page, read_node,
                           [](const Node& n) { return std::vector{n.id}; });
  }

  Result<Node> upsert(const Node& n) override {
    auto t = now();
    auto done = db_.run(
        "INSERT INTO nodes (id, region, public_ip, endpoint, capacity_vcpus, capacity_memory_mb, "
        "capacity_disk_gb, allocated_vcpus, allocated_memory_mb, allocated_disk_gb, "
        "heartbeat_at, created_at, updated_at, version) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, 0, ?, ?, ?, 1) ON CONFLICT (id) DO UPDATE SET "
        "region = excluded.region, public_ip = excluded.public_ip, endpoint = excluded.endpoint, "
        "capacity_vcpus = excluded.capacity_vcpus, "
        "capacity_memory_mb = excluded.capacity_memory_mb, "
        "capacity_disk_gb = excluded.capacity_disk_gb, heartbeat_at = excluded.heartbeat_at, "
        "updated_at = excluded.updated_at, version = nodes.version + 1",
        {n.id, n.region, n.public_ip, n.endpoint, n.capacity.vcpus, n.capacity.memory_mb,
         n.capacity.disk_gb, n.heartbeat_at, t, t});
    if (!done.is_ok()) return done.status();
    return get(n.id);
  }

  Status heartbeat(const std::string& id, TimePoint at) override {
    return require_changed(db_.run("UPDATE nodes SET heartbeat_at = ? WHERE id = ?", {at, id}),
                           "node " + id);
  }

  Result<Node> reserve(const std::string& id, const Resources& a) override {
    if (a.vcpus < 0 || a.memory_mb < 0 || a.disk_gb < 0) {
      return Status::invalid("a reservation cannot be negative");
    }
    // The check and the add are one statement.
    auto done = db_.run(
        "UPDATE nodes SET allocated_vcpus = allocated_vcpus + ?, "
        "allocated_memory_mb = allocated_memory_mb + ?, allocated_disk_gb = allocated_disk_gb + ?, "
        "updated_at = ?, version = version + 1 WHERE id = ? "
        "AND allocated_vcpus + ? <= capacity_vcpus "
        "AND allocated_memory_mb + ? <= capacity_memory_mb "
        "AND allocated_disk_gb + ? <= capacity_disk_gb",
        {a.vcpus, a.memory_mb, a.disk_gb, now(), id, a.vcpus, a.memory_mb, a.disk_gb});
    if (!done.is_ok()) return done.status();
    auto node = get(id);
    if (!node.is_ok() || *done > 0) return node;
    auto free = node->available();
    std::string shortage;
    auto note = [&](std::int64_t need, std::int64_t have, std::string_view unit) {
      if (need > have) {
        shortage += (shortage.empty() ? "" : ", ") + std::to_string(need - have) + " more " +
                    std::string(unit);
      }
    };
    note(a.vcpus, free.vcpus, "vCPUs");
    note(a.memory_mb, free.memory_mb, "MB of memory");
    note(a.disk_gb, free.disk_gb, "GB of disk");
    return Status::conflict("node " + id + " is full: needs " + shortage);
  }

  Result<Node> release(const std::string& id, const Resources& a) override {
    auto done = db_.run(
        "UPDATE nodes SET allocated_vcpus = MAX(0, allocated_vcpus - ?), "
        "allocated_memory_mb = MAX(0, allocated_memory_mb - ?), "
        "allocated_disk_gb = MAX(0, allocated_disk_gb - ?), updated_at = ?, "
        "version = version + 1 WHERE id = ?",
        {a.vcpus, a.memory_mb, a.disk_gb, now(), id});
    if (auto st = require_changed(done, "node " + id); !st.is_ok()) return st;
    return get(id);
  }

  Status remove(const std::string& id) override {
    return require_changed(db_.run("DELETE FROM nodes WHERE id = ?", {id}), "node " + id);
  }

 private:
  Connection& db_;
};

}  // namespace

std::unique_ptr<NodeRepository> make_node_repository(Connection& db) {
  return std::make_unique<Nodes>(db);
}

}  // namespace formation::sqlite

// Nodes: registration, heartbeats, and capacity reservations that race between hosts.
#include "paging.hpp"
#include "repositories.hpp"

namespace formation::postgres {
namespace {

constexpr const char* kCols =
    "id, region, public_ip, endpoint, capacity_vcpus, capacity_memory_mb, capacity_disk_gb, "
    "allocated_vcpus, allocated_memory_mb, allocated_disk_gb, heartbeat_at, created_at, "
    "updated_at, version";

Node read_node(const pqxx::row& r) {
  Node n;
  n.id = text(r[0]);
  n.region = text(r[1]);
  n.public_ip = text(r[2]);
  n.endpoint = text(r[3]);
  n.capacity = {i64(r[4]), i64(r[5]), i64(r[6])};
  n.allocated = {i64(r[7]), i64(r[8]), i64(r[9])};
  n.heartbeat_at = time(r[10]);
  n.created_at = time(r[11]);
  n.updated_at = time(r[12]);
  n.version = i64(r[13]);
  return n;
}

// The node row, locked against concurrent reservations until the transaction ends.
Result<Node> lock_node(TxnContext& ctx, const std::string& id) {
  Params p;
  auto r = exec(
      *ctx.work,
      std::string("SELECT ") + kCols + " FROM nodes WHERE id = " + p.add(id) + " FOR UPDATE", p);
  if (r.empty()) return Status::not_found("no node " + id);
  return read_node(r[0]);
}

Result<Node> set_allocated(TxnContext& ctx, const std::string& id, const Resources& a) {
  Params p;
  auto sql = "UPDATE nodes SET allocated_vcpus = " + p.add(a.vcpus) +
             ", allocated_memory_mb = " + p.add(a.memory_mb) +
             ", allocated_disk_gb = " + p.add(a.disk_gb) + ", updated_at = " + p.add(now()) +
             ", version = version + 1 WHERE id = " + p.add(id) + " RETURNING " + kCols;
  return read_node(exec(*ctx.work, sql, p)[0]);
}

}  // namespace

Result<Node> PgNodes::get(const std::string& id) {
  return guarded(ctx_, [&]() -> Result<Node> {
    Params p;
    auto r =
        exec(*ctx_.work, std::string("SELECT ") + kCols + " FROM nodes WHERE id = " + p.add(id), p);
    if (r.empty()) return Status::not_found("no node " + id);
    return read_node(r[0]);
  });
}

Result<Page<Node>> PgNodes::list(const PageRequest& page) {
  ListQuery q;
  q.scope = "nodes";
  q.select = std::string("SELECT ") + kCols + " FROM nodes";
  q.key = {{"id"}};
  return list_page<Node>(ctx_, std::move(q), page, read_node,
                         [](const Node& n) { return std::vector{n.id}; });
}

Result<Node> PgNodes::upsert(const Node& n) {
  return guarded(ctx_, [&]() -> Result<Node> {
    Params p;
    auto t = now();
    auto sql = std::string("INSERT INTO nodes (") + kCols + ") VALUES (" + p.add(n.id) + ", " +
               p.add(n.region) + ", " + p.add(n.public_ip) + ", " + p.add(n.endpoint) + ", " +
               p.add(n.capacity.vcpus) + ", " + p.add(n.capacity.memory_mb) + ", " +
               p.add(n.capacity.disk_gb) + ", " + p.add(n.allocated.vcpus) + ", " +
               p.add(n.allocated.memory_mb) + ", " + p.add(n.allocated.disk_gb) + ", " +
               p.add(n.heartbeat_at) + ", " + p.add(t) + ", " + p.add(t) +
               ", 1) ON CONFLICT (id) DO UPDATE SET region = EXCLUDED.region, "
               "public_ip = EXCLUDED.public_ip, endpoint = EXCLUDED.endpoint, "
               "capacity_vcpus = EXCLUDED.capacity_vcpus, "
               "capacity_memory_mb = EXCLUDED.capacity_memory_mb, "
               "capacity_disk_gb = EXCLUDED.capacity_disk_gb, updated_at = EXCLUDED.updated_at, "
               "version = nodes.version + 1 RETURNING " +
               kCols;
    return read_node(exec(*ctx_.work, sql, p)[0]);
  });
}

Status PgNodes::heartbeat(const std::string& id, TimePoint at) {
  return guarded(ctx_, [&]() -> Status {
    Params p;
    auto r = exec(*ctx_.work,
                  "UPDATE nodes SET heartbeat_at = " + p.add(at) + " WHERE id = " + p.add(id), p);
    if (r.affected_rows() == 0) return Status::not_found("no node " + id);
    return Status::ok();
  });
}

Result<Node> PgNodes::reserve(const std::string& id, const Resources& amount) {
  return guarded(ctx_, [&]() -> Result<Node> {
    auto node = lock_node(ctx_, id);
    if (!node.is_ok()) return node.status();
    auto free = node->available();
    std::string short_of;
    auto need = [&](std::int64_t want, std::int64_t have, const char* what) {
      if (want > have) {
        short_of +=
            (short_of.empty() ? "needs " : ", ") + std::to_string(want - have) + " more " + what;
      }
    };
    need(amount.vcpus, free.vcpus, "vCPUs");
    need(amount.memory_mb, free.memory_mb, "MB of memory");
    need(amount.disk_gb, free.disk_gb, "GB of disk");
    if (!short_of.empty()) return Status::conflict("node " + id + " " + short_of);
    auto a = node->allocated;
    return set_allocated(
        ctx_, id,
        {a.vcpus + amount.vcpus, a.memory_mb + amount.memory_mb, a.disk_gb + amount.disk_gb});
  });
}

Result<Node> PgNodes::release(const std::string& id, const Resources& amount) {
  return guarded(ctx_, [&]() -> Result<Node> {
    auto node = lock_node(ctx_, id);
    if (!node.is_ok()) return node.status();
    auto a = node->allocated;
    auto sub = [](std::int64_t have, std::int64_t minus) {
      return std::max<std::int64_t>(0, have - minus);
    };
    return set_allocated(ctx_, id,
                         {sub(a.vcpus, amount.vcpus), sub(a.memory_mb, amount.memory_mb),
                          sub(a.disk_gb, amount.disk_gb)});
  });
}

Status PgNodes::remove(const std::string& id) {
  return guarded(ctx_, [&]() -> Status {
    Params p;
    auto r = exec(*ctx_.work, "DELETE FROM nodes WHERE id = " + p.add(id), p);
    if (r.affected_rows() == 0) return Status::not_found("no node " + id);
    return Status::ok();
  });
}

}  // namespace formation::postgres

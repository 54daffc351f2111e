// Instances (their grants go with them) and their totals.
#include "paging.hpp"
#include "repositories.hpp"

namespace formation::postgres {
namespace {

constexpr const char* kCols =
    "id, name, owner, build_id, node_id, state, desired_state, vcpus, memory_mb, disk_gb, "
    "extra_disks_gb, formnet_ip, dns_name, error, created_at, updated_at, version";

Instance read_instance(const pqxx::row& r) {
  Instance i;
  i.id = text(r[0]);
  i.name = text(r[1]);
  i.owner = text(r[2]);
  i.build_id = text(r[3]);
  i.node_id = text(r[4]);
  i.state = parse_instance_state(text(r[5])).value_or(InstanceState::critical_error);
  i.desired_state = parse_instance_state(text(r[6])).value_or(InstanceState::started);
  i.vcpus = i64(r[7]);
  i.memory_mb = i64(r[8]);
  i.disk_gb = i64(r[9]);
  i.extra_disks_gb = i64_array(r[10]);
  i.formnet_ip = opt_text(r[11]);
  i.dns_name = text(r[12]);
  i.error = text(r[13]);
  i.created_at = time(r[14]);
  i.updated_at = time(r[15]);
  i.version = i64(r[16]);
  return i;
}

std::string state_name(InstanceState s) { return std::string(to_string(s)); }

// The filter as AND-ed conditions on the instances table.
std::vector<std::string> conditions(const InstanceFilter& f, Params& p) {
  std::vector<std::string> where;
  if (f.owner) where.push_back("owner = " + p.add(*f.owner));
  if (f.accessible_by) {
    auto who = p.add(*f.accessible_by);
    where.push_back("(owner = " + who +
                    " OR EXISTS (SELECT 1 FROM grants g WHERE g.instance_id = instances.id AND "
                    "g.address = " +
                    who + "))");
  }
  if (f.node_id) where.push_back("node_id = " + p.add(*f.node_id));
  if (f.build_id) where.push_back("build_id = " + p.add(*f.build_id));
  if (f.state) where.push_back("state = " + p.add(state_name(*f.state)));
  return where;
}

std::string where_clause(const std::vector<std::string>& where) {
  std::string sql;
  for (std::size_t i = 0; i < where.size(); ++i) sql += (i ? " AND " : " WHERE ") + where[i];
  return sql;
}

}  // namespace

Result<Instance> PgInstances::get(const std::string& id) {
  return guarded(ctx_, [&]() -> Result<Instance> {
    Params p;
    auto r = exec(*ctx_.work,
                  std::string("SELECT ") + kCols + " FROM instances WHERE id = " + p.add(id), p);
    if (r.empty()) return Status::not_found("no instance " + id);
    return read_instance(r[0]);
  });
}

Result<Page<Instance>> PgInstances::list(const InstanceFilter& filter, const PageRequest& page) {
  ListQuery q;
  q.scope = "instances";
  q.select = std::string("SELECT ") + kCols + " FROM instances";
  q.where = conditions(filter, q.params);
  q.key = {{"id"}};
  return list_page<Instance>(ctx_, std::move(q), page, read_instance,
                             [](const Instance& i) { return std::vector{i.id}; });
}

Result<InstanceTotals> PgInstances::totals(const InstanceFilter& filter) {
  return guarded(ctx_, [&]() -> Result<InstanceTotals> {
    Params p;
    auto where = conditions(filter, p);
    auto r = exec(*ctx_.work,
                  "SELECT count(*), coalesce(sum(vcpus), 0), coalesce(sum(memory_mb), 0), "
                  "coalesce(sum(disk_gb + coalesce((SELECT sum(d) FROM unnest(extra_disks_gb) d), "
                  "0)), 0) FROM instances" +
                      where_clause(where),
                  p);
    InstanceTotals t;
    t.count = i64(r[0][0]);
    t.resources = {i64(r[0][1]), i64(r[0][2]), i64(r[0][3])};
    return t;
  });
}

Result<Instance> PgInstances::create(const Instance& i) {
  return guarded(ctx_, [&]() -> Result<Instance> {
    Params p;
    auto t = now();
    auto sql = std::string("INSERT INTO instances (") + kCols + ") VALUES (" + p.add(i.id) + ", " +
               p.add(i.name) + ", " + p.add(i.owner) + ", " + p.add(i.build_id) + ", " +
               p.add(i.node_id) + ", " + p.add(state_name(i.state)) + ", " +
               p.add(state_name(i.desired_state)) + ", " + p.add(i.vcpus) + ", " +
               p.add(i.memory_mb) + ", " + p.add(i.disk_gb) + ", " + p.add_array(i.extra_disks_gb) +
               ", " + p.add(i.formnet_ip) + ", " + p.add(i.dns_name) + ", " + p.add(i.error) +
               ", " + p.add(t) + ", " + p.add(t) + ", 1) ON CONFLICT DO NOTHING RETURNING " + kCols;
    auto r = exec(*ctx_.work, sql, p);
    if (r.empty()) return Status::conflict("instance " + i.id + " already exists");
    return read_instance(r[0]);
  });
}

Result<Instance> PgInstances::update(const Instance& i) {
  return guarded(ctx_, [&]() -> Result<Instance> {
    Params p;
    auto sql = "UPDATE instances SET name = " + p.add(i.name) + ", owner = " + p.add(i.owner) +
               ", build_id = " + p.add(i.build_id) + ", node_id = " + p.add(i.node_id) +
               ", state = " + p.add(state_name(i.state)) +
               ", desired_state = " + p.add(state_name(i.desired_state)) +
               ", vcpus = " + p.add(i.vcpus) + ", memory_mb = " + p.add(i.memory_mb) +
               ", disk_gb = " + p.add(i.disk_gb) +
               ", extra_disks_gb = " + p.add_array(i.extra_disks_gb) +
               ", formnet_ip = " + p.add(i.formnet_ip) + ", dns_name = " + p.add(i.dns_name) +
               ", error = " + p.add(i.error) + ", updated_at = " + p.add(now()) +
               ", version = version + 1 WHERE id = " + p.add(i.id) +
               " AND version = " + p.add(i.version) + " RETURNING " + kCols;
    auto r = exec(*ctx_.work, sql, p);
    if (!r.empty()) return read_instance(r[0]);
    Params q;
    auto found = exec(*ctx_.work, "SELECT version FROM instances WHERE id = " + q.add(i.id), q);
    if (found.empty()) return Status::not_found("no instance " + i.id);
    return Status::conflict("instance " + i.id + " is at version " + text(found[0][0]) + ", not " +
                            std::to_string(i.version));
  });
}

Result<Instance> PgInstances::transition(const std::string& id, InstanceState expected,
                                         InstanceState next, const std::string& error) {
  return guarded(ctx_, [&]() -> Result<Instance> {
    Params p;
    auto sql = "UPDATE instances SET state = " + p.add(state_name(next)) +
               ", error = " + p.add(error) + ", updated_at = " + p.add(now()) +
               ", version = version + 1 WHERE id = " + p.add(id) +
               " AND state = " + p.add(state_name(expected)) + " RETURNING " + kCols;
    auto r = exec(*ctx_.work, sql, p);
    if (!r.empty()) return read_instance(r[0]);
    Params q;
    auto found = exec(*ctx_.work, "SELECT state FROM instances WHERE id = " + q.add(id), q);
    if (found.empty()) return Status::not_found("no instance " + id);
    return Status::conflict("instance " + id + " is " + text(found[0][0]) + ", not " +
                            state_name(expected));
  });
}

Status PgInstances::remove(const std::string& id) {
  return guarded(ctx_, [&]() -> Status {
    Params p;
    auto r = exec(*ctx_.work, "DELETE FROM instances WHERE id = " + p.add(id), p);
    if (r.affected_rows() == 0) return Status::not_found("no instance " + id);
    Params g;
    exec(*ctx_.work, "DELETE FROM grants WHERE instance_id = " + g.add(id), g);
    return Status::ok();
  });
}

}  // namespace formation::postgres

// Instances: filters, totals, compare-and-set updates and state transitions.
#include <numeric>

#include "paging.hpp"
#include "repositories.hpp"

namespace formation::sqlite {
namespace {

constexpr std::string_view kColumns =
    "SELECT id, name, owner, build_id, node_id, state, desired_state, vcpus, memory_mb, "
    "disk_gb, extra_disks_gb, formnet_ip, dns_name, error, created_at, updated_at, version "
    "FROM instances";

Instance read_instance(const Row& r) {
  Instance i;
  i.id = r.text(0);
  i.name = r.text(1);
  i.owner = r.text(2);
  i.build_id = r.text(3);
  i.node_id = r.text(4);
  i.state = parse_instance_state(r.text(5)).value_or(InstanceState::critical_error);
  i.desired_state = parse_instance_state(r.text(6)).value_or(InstanceState::started);
  i.vcpus = r.i64(7);
  i.memory_mb = r.i64(8);
  i.disk_gb = r.i64(9);
  i.extra_disks_gb = integers_from_json(r.text(10));
  i.formnet_ip = r.opt_text(11);
  i.dns_name = r.text(12);
  i.error = r.text(13);
  i.created_at = r.time(14);
  i.updated_at = r.time(15);
  i.version = r.i64(16);
  return i;
}

std::int64_t extra_total(const Instance& i) {
  return std::accumulate(i.extra_disks_gb.begin(), i.extra_disks_gb.end(), std::int64_t{0});
}

void apply_filter(const InstanceFilter& f, std::vector<std::string>& where, Values& args) {
  if (f.owner) {
    where.emplace_back("owner = ?");
    args.emplace_back(*f.owner);
  }
  if (f.accessible_by) {
    where.emplace_back(
        "(owner = ? OR EXISTS (SELECT 1 FROM grants g WHERE g.instance_id = instances.id "
        "AND g.address = ?))");
    args.emplace_back(*f.accessible_by);
    args.emplace_back(*f.accessible_by);
  }
  if (f.node_id) {
    where.emplace_back("node_id = ?");
    args.emplace_back(*f.node_id);
  }
  if (f.build_id) {
    where.emplace_back("build_id = ?");
    args.emplace_back(*f.build_id);
  }
  if (f.state) {
    where.emplace_back("state = ?");
    args.emplace_back(to_string(*f.state));
  }
}

class Instances final : public InstanceRepository {
 public:
  explicit Instances(Connection& db) : db_(db) {}

  Result<Instance> get(const std::string& id) override {
    auto row = db_.one<Instance>(std::string(kColumns) + " WHERE id = ?", {id}, read_instance);
    if (!row.is_ok()) return row.status();
    if (!*row) return Status::not_found("instance " + id + " does not exist");
    return std::move(**row);
  }

  Result<Page<Instance>> list(const InstanceFilter& filter, const PageRequest& page) override {
    ListQuery q{.scope = "instances", .select = std::string(kColumns), .key = {{"id"}}};
    apply_filter(filter, q.where, q.args);
    return list_page<Instance>(db_, q, page, read_instance,
                               [](const Instance& i) { return std::vector{i.id}; });
  }

  Result<InstanceTotals> totals(const InstanceFilter& filter) override {
    std::vector<std::string> where;
    Values args;
    apply_filter(filter, where, args);
    std::string sql =
        "SELECT COUNT(*), COALESCE(SUM(vcpus), 0), COALESCE(SUM(memory_mb), 0), "
        "COALESCE(SUM(disk_gb + extra_disks_total_gb), 0) FROM instances";
    for (std::size_t i = 0; i < where.size(); ++i) sql += (i ? " AND " : " WHERE ") + where[i];
    InstanceTotals totals;
    auto st = db_.query(sql, args, [&](const Row& r) {
      totals.count = r.i64(0);
      totals.resources = {r.i64(1), r.i64(2), r.i64(3)};
    });
    if (!st.is_ok()) return st;
    return totals;
  }

  Result<Instance> create(const Instance& i) override {
    auto t = now();
    auto done = db_.run(
        "INSERT INTO instances (id, name, owner, build_id, node_id, state, desired_state, vcpus, "
        "memory_mb, disk_gb, extra_disks_gb, extra_disks_total_gb, formnet_ip, dns_name, error, "
        "created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, 1)",
        {i.id, i.name, i.owner, i.build_id, i.node_id, to_string(i.state),
         to_string(i.desired_state), i.vcpus, i.memory_mb, i.disk_gb, to_json(i.extra_disks_gb),
         extra_total(i), i.formnet_ip, i.dns_name, i.error, t, t});
    if (!done.is_ok()) {
      if (done.status().code() == StatusCode::conflict) {
        return Status::conflict("instance " + i.id + " already exists");
      }
      return done.status();
    }
    return get(i.id);
  }

  Result<Instance> update(const Instance& i) override {
    auto done = db_.run(
        "UPDATE instances SET name = ?, owner = ?, build_id = ?, node_id = ?, state = ?, "
        "desired_state = ?, vcpus = ?, memory_mb = ?, disk_gb = ?, extra_disks_gb = ?, "
        "extra_disks_total_gb = ?, formnet_ip = ?, dns_name = ?, error = ?, updated_at = ?, "
        "version = version + 1 WHERE id = ? AND version = ?",
        {i.name, i.owner, i.build_id, i.node_id, to_string(i.state), to_string(i.desired_state),
         i.vcpus, i.memory_mb, i.disk_gb, to_json(i.extra_disks_gb), extra_total(i), i.formnet_ip,
         i.dns_name, i.error, now(), i.id, i.version});
    if (!done.is_ok()) return done.status();
    if (*done == 0) {
      return cas_failure(db_, "instance " + i.id, "instances", "id = ?", {i.id}, i.version);
    }
    return get(i.id);
  }

  Result<Instance> transition(const std::string& id, InstanceState expected, InstanceState next,
                              const std::string& error) override {
    auto done = db_.run(
        "UPDATE instances SET state = ?, error = ?, updated_at = ?, version = version + 1 "
        "WHERE id = ? AND state = ?",
        {to_string(next), error, now(), id, to_string(expected)});
    if (!done.is_ok()) return done.status();
    if (*done == 0) {
      auto current = get(id);
      if (!current.is_ok()) return current.status();
      return Status::conflict("instance " + id + " is " + std::string(to_string(current->state)) +
                              ", not " + std::string(to_string(expected)));
    }
    return get(id);
  }

  Status remove(const std::string& id) override {
    // Grants go with it (ON DELETE CASCADE).
    return require_changed(db_.run("DELETE FROM instances WHERE id = ?", {id}), "instance " + id);
  }

 private:
  Connection& db_;
};

}  // namespace

std::unique_ptr<InstanceRepository> make_instance_repository(Connection& db) {
  return std::make_unique<Instances>(db);
}

}  // namespace formation::sqlite

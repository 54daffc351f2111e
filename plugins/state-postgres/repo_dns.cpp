// DNS records and their change serial.
#include "paging.hpp"
#include "repositories.hpp"

namespace formation::postgres {
namespace {

constexpr const char* kCols =
    "fqdn, type, record_values, ttl, owner, instance_id, verified, verification_token, "
    "created_at, updated_at, version";

DnsRecord read_record(const pqxx::row& r) {
  DnsRecord d;
  d.fqdn = text(r[0]);
  d.type = parse_dns_record_type(text(r[1])).value_or(DnsRecordType::a);
  d.values = text_array(r[2]);
  d.ttl = i64(r[3]);
  d.owner = text(r[4]);
  d.instance_id = opt_text(r[5]);
  d.verified = boolean(r[6]);
  d.verification_token = text(r[7]);
  d.created_at = time(r[8]);
  d.updated_at = time(r[9]);
  d.version = i64(r[10]);
  return d;
}

std::string name(DnsRecordType t) { return std::string(to_string(t)); }

std::string describe(const std::string& fqdn, DnsRecordType type) {
  return name(type) + " record at " + fqdn;
}

// Every committed change moves the serial; the row lock orders concurrent writers.
void bump_serial(TxnContext& ctx) {
  exec(*ctx.work, "UPDATE change_serials SET value = value + 1 WHERE name = 'dns'");
}

}  // namespace

Result<DnsRecord> PgDnsRecords::get(const std::string& fqdn, DnsRecordType type) {
  return guarded(ctx_, [&]() -> Result<DnsRecord> {
    Params p;
    auto r = exec(*ctx_.work,
                  std::string("SELECT ") + kCols + " FROM dns_records WHERE fqdn = " + p.add(fqdn) +
                      " AND type = " + p.add(name(type)),
                  p);
    if (r.empty()) return Status::not_found("no " + describe(fqdn, type));
    return read_record(r[0]);
  });
}

Result<std::vector<DnsRecord>> PgDnsRecords::at(const std::string& fqdn) {
  return guarded(ctx_, [&]() -> Result<std::vector<DnsRecord>> {
    Params p;
    auto r = exec(*ctx_.work,
                  std::string("SELECT ") + kCols + " FROM dns_records WHERE fqdn = " + p.add(fqdn) +
                      " ORDER BY type",
                  p);
    std::vector<DnsRecord> out;
    for (const auto& row : r) out.push_back(read_record(row));
    return out;
  });
}

Result<Page<DnsRecord>> PgDnsRecords::list(const DnsRecordFilter& filter, const PageRequest& page) {
  ListQuery q;
  q.scope = "dns_records";
  q.select = std::string("SELECT ") + kCols + " FROM dns_records";
  if (filter.owner) q.where.push_back("owner = " + q.params.add(*filter.owner));
  if (filter.instance_id) q.where.push_back("instance_id = " + q.params.add(*filter.instance_id));
  if (filter.zone) {
    auto zone = q.params.add(*filter.zone);
    q.where.push_back("(fqdn = " + zone + " OR right(fqdn, length(" + zone + ") + 1) = '.' || " +
                      zone + ")");
  }
  if (filter.verified) q.where.push_back("verified = " + q.params.add(*filter.verified));
  q.key = {{"fqdn"}, {"type"}};
  return list_page<DnsRecord>(ctx_, std::move(q), page, read_record, [](const DnsRecord& d) {
    return std::vector{d.fqdn, name(d.type)};
  });
}

Result<DnsRecord> PgDnsRecords::create(const DnsRecord& d) {
  return guarded(ctx_, [&]() -> Result<DnsRecord> {
    Params p;
    auto t = now();
    auto sql = std::string("INSERT INTO dns_records (") + kCols + ") VALUES (" + p.add(d.fqdn) +
               ", " + p.add(name(d.type)) + ", " + p.add_array(d.values) + ", " + p.add(d.ttl) +
               ", " + p.add(d.owner) + ", " + p.add(d.instance_id) + ", " + p.add(d.verified) +
               ", " + p.add(d.verification_token) + ", " + p.add(t) + ", " + p.add(t) +
               ", 1) ON CONFLICT DO NOTHING RETURNING " + kCols;
    auto r = exec(*ctx_.work, sql, p);
    if (r.empty()) return Status::conflict(describe(d.fqdn, d.type) + " already exists");
    bump_serial(ctx_);
    return read_record(r[0]);
  });
}

Result<DnsRecord> PgDnsRecords::update(const DnsRecord& d) {
  return guarded(ctx_, [&]() -> Result<DnsRecord> {
    Params p;
    auto sql = "UPDATE dns_records SET record_values = " + p.add_array(d.values) +
               ", ttl = " + p.add(d.ttl) + ", owner = " + p.add(d.owner) +
               ", instance_id = " + p.add(d.instance_id) + ", verified = " + p.add(d.verified) +
               ", verification_token = " + p.add(d.verification_token) +
               ", updated_at = " + p.add(now()) +
               ", version = version + 1 WHERE fqdn = " + p.add(d.fqdn) +
               " AND type = " + p.add(name(d.type)) + " AND version = " + p.add(d.version) +
               " RETURNING " + kCols;
    auto r = exec(*ctx_.work, sql, p);
    if (!r.empty()) {
      bump_serial(ctx_);
      return read_record(r[0]);
    }
    Params q;
    auto found = exec(*ctx_.work,
                      "SELECT version FROM dns_records WHERE fqdn = " + q.add(d.fqdn) +
                          " AND type = " + q.add(name(d.type)),
                      q);
    if (found.empty()) return Status::not_found("no " + describe(d.fqdn, d.type));
    return Status::conflict(describe(d.fqdn, d.type) + " is at version " + text(found[0][0]) +
                            ", not " + std::to_string(d.version));
  });
}

Status PgDnsRecords::remove(const std::string& fqdn, DnsRecordType type) {
  return guarded(ctx_, [&]() -> Status {
    Params p;
    auto r = exec(
        *ctx_.work,
        "DELETE FROM dns_records WHERE fqdn = " + p.add(fqdn) + " AND type = " + p.add(name(type)),
        p);
    if (r.affected_rows() == 0) return Status::not_found("no " + describe(fqdn, type));
    bump_serial(ctx_);
    return Status::ok();
  });
}

Result<std::int64_t> PgDnsRecords::remove_for_instance(const std::string& instance_id) {
  return guarded(ctx_, [&]() -> Result<std::int64_t> {
    Params p;
    auto r =
        exec(*ctx_.work, "DELETE FROM dns_records WHERE instance_id = " + p.add(instance_id), p);
    auto n = static_cast<std::int64_t>(r.affected_rows());
    if (n > 0) bump_serial(ctx_);
    return n;
  });
}

Result<std::int64_t> PgDnsRecords::change_serial() {
  return guarded(ctx_, [&]() -> Result<std::int64_t> {
    return i64(exec(*ctx_.work, "SELECT value FROM change_serials WHERE name = 'dns'")[0][0]);
  });
}

}  // namespace formation::postgres

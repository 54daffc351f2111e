#include "automatic_names.hpp"

#include <set>

#include "dns_names.hpp"

namespace formation::dns_powerdns {

namespace {

// "web", "web-2", ... "web-100": past that, something else is wrong (a loop of conflicts
// that are not name collisions) and the next refresh tries again.
constexpr int kMaxAttempts = 100;
// The host updates instances too (state, addresses): a lost compare-and-set is retried.
constexpr int kUpdateAttempts = 5;

Status with_context(const Status& status, const std::string& doing) {
  return {status.code(), doing + ": " + status.message()};
}

}  // namespace

std::string candidate_name(std::string_view instance_name, std::string_view zone, int n) {
  std::string label = dns::label_from(instance_name);
  const std::string suffix = n > 1 ? "-" + std::to_string(n) : "";
  const std::size_t room_in_name =
      dns::kMaxNameBytes > zone.size() + 1 ? dns::kMaxNameBytes - zone.size() - 1 : 1;
  const std::size_t room = std::min(dns::kMaxLabelBytes, room_in_name);
  const std::size_t keep = room > suffix.size() ? room - suffix.size() : 1;
  if (label.size() > keep) label.resize(keep);
  while (label.size() > 1 && label.back() == '-') label.pop_back();  // "web--2" reads badly
  return label + suffix + "." + std::string(zone);
}

AutomaticNames::AutomaticNames(StateStore& store, std::string zone, std::int64_t ttl,
                               std::shared_ptr<spdlog::logger> log, std::chrono::seconds grace)
    : store_(store), zone_(std::move(zone)), ttl_(ttl), log_(std::move(log)), grace_(grace) {}

Result<std::vector<NameChange>> AutomaticNames::name_instance(const std::string& instance_id) {
  const std::lock_guard lock(mutex_);
  return name_locked(instance_id);
}

Result<std::vector<NameChange>> AutomaticNames::forget_instance(const std::string& instance_id) {
  const std::lock_guard lock(mutex_);
  return forget_locked(instance_id);
}

Result<std::vector<NameChange>> AutomaticNames::name_locked(const std::string& instance_id) {
  Instance instance;
  std::vector<DnsRecord> following;
  {
    auto tx = store_.begin();
    if (!tx.is_ok()) return with_context(tx.status(), "naming instance " + instance_id);
    auto got = (*tx)->instances().get(instance_id);
    if (!got.is_ok()) return with_context(got.status(), "naming instance " + instance_id);
    instance = std::move(got).value();
    DnsRecordFilter filter;
    filter.instance_id = instance_id;
    auto records = (*tx)->dns_records().list(filter, {});
    if (!records.is_ok()) return with_context(records.status(), "naming instance " + instance_id);
    following = std::move(records->items);
  }
  if (!following.empty()) {
    // Named before (an event delivered twice, or another host): only make sure the
    // instance shows its name.
    if (instance.dns_name.empty()) {
      if (auto st = set_dns_name(instance_id, following.front().fqdn); !st.is_ok()) return st;
    }
    return std::vector<NameChange>{};
  }
  auto fqdn = create_record(instance);
  if (!fqdn.is_ok()) return fqdn.status();
  if (auto st = set_dns_name(instance_id, *fqdn); !st.is_ok()) {
    // The name exists and serves; the instance resource shows it after the next refresh.
    log_->warn("instance {} is named {} but recording that on the instance failed: {}", instance_id,
               *fqdn, st.to_string());
  }
  return std::vector<NameChange>{NameChange{*fqdn, instance_id, false}};
}

Result<std::string> AutomaticNames::create_record(const Instance& instance) {
  DnsRecord record;
  record.type = DnsRecordType::a;
  record.ttl = ttl_;
  record.owner = instance.owner;
  record.instance_id = instance.id;
  record.verified = true;
  for (int n = 1; n <= kMaxAttempts; ++n) {
    record.fqdn = candidate_name(instance.name, zone_, n);
    // One transaction per attempt: on PostgreSQL a failed insert ends the transaction.
    auto tx = store_.begin();
    if (!tx.is_ok()) return with_context(tx.status(), "naming instance " + instance.id);
    auto created = (*tx)->dns_records().create(record);
    if (!created.is_ok() && created.status().code() == StatusCode::conflict) continue;
    if (!created.is_ok()) {
      return with_context(created.status(), "creating " + record.fqdn + " for " + instance.id);
    }
    auto committed = (*tx)->commit();
    if (committed.code() == StatusCode::conflict) continue;
    if (!committed.is_ok()) {
      return with_context(committed, "creating " + record.fqdn + " for " + instance.id);
    }
    return record.fqdn;
  }
  return Status::conflict("instance " + instance.id + ": " +
                          candidate_name(instance.name, zone_, 1) + " and its next " +
                          std::to_string(kMaxAttempts - 1) + " suffixed names are all taken");
}

Status AutomaticNames::set_dns_name(const std::string& instance_id, const std::string& fqdn) {
  Status last;
  for (int attempt = 0; attempt < kUpdateAttempts; ++attempt) {
    auto tx = store_.begin();
    if (!tx.is_ok()) return tx.status();
    auto instance = (*tx)->instances().get(instance_id);
    if (!instance.is_ok()) return instance.status();
    if (instance->dns_name == fqdn) return Status::ok();
    instance->dns_name = fqdn;
    auto updated = (*tx)->instances().update(*instance);
    last = updated.is_ok() ? (*tx)->commit() : updated.status();
    if (last.code() != StatusCode::conflict) return last;
  }
  return last;
}

Result<std::vector<NameChange>> AutomaticNames::forget_locked(const std::string& instance_id) {
  auto tx = store_.begin();
  if (!tx.is_ok()) return with_context(tx.status(), "removing the names of " + instance_id);
  DnsRecordFilter filter;
  filter.instance_id = instance_id;
  std::vector<NameChange> changes;
  PageRequest page;
  while (true) {
    auto records = (*tx)->dns_records().list(filter, page);
    if (!records.is_ok())
      return with_context(records.status(), "removing the names of " + instance_id);
    for (const auto& r : records->items) changes.push_back(NameChange{r.fqdn, instance_id, true});
    if (records->last()) break;
    page.page_token = records->next_page_token;
  }
  if (changes.empty()) return changes;
  auto removed = (*tx)->dns_records().remove_for_instance(instance_id);
  if (!removed.is_ok())
    return with_context(removed.status(), "removing the names of " + instance_id);
  if (auto st = (*tx)->commit(); !st.is_ok()) {
    return with_context(st, "removing the names of " + instance_id);
  }
  return changes;
}

Result<std::vector<NameChange>> AutomaticNames::reconcile(const std::vector<Instance>& instances,
                                                          const std::vector<DnsRecord>& records) {
  const std::lock_guard lock(mutex_);
  std::set<std::string> exists;
  for (const auto& i : instances) exists.insert(i.id);
  std::set<std::string> followed;
  std::set<std::string> orphans;
  for (const auto& r : records) {
    if (!r.instance_id) continue;
    followed.insert(*r.instance_id);
    if (!exists.contains(*r.instance_id)) orphans.insert(*r.instance_id);
  }
  std::vector<NameChange> changes;
  Status first_error;
  auto keep = [&](Result<std::vector<NameChange>> result) {
    if (result.is_ok()) {
      for (auto& c : *result) changes.push_back(std::move(c));
    } else if (result.status().code() != StatusCode::not_found && first_error.is_ok()) {
      first_error = result.status();  // not_found: deleted meanwhile, nothing to do
    }
  };
  for (const auto& id : orphans) keep(forget_locked(id));
  const auto settled = std::chrono::system_clock::now() - grace_;
  for (const auto& i : instances) {
    if (i.dns_name.empty() && !followed.contains(i.id) && i.created_at <= settled) {
      keep(name_locked(i.id));
    }
  }
  if (!first_error.is_ok() && changes.empty()) return first_error;
  if (!first_error.is_ok()) log_->warn("reconciling automatic names: {}", first_error.to_string());
  return changes;
}

}  // namespace formation::dns_powerdns

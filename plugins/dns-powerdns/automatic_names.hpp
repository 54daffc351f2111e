// Every instance's automatic name, `<label>.<zone>` (label from the instance's name, with
// "-2", "-3", ... when taken), kept in the state store: written when an instance is
// created, removed with it, and reconciled at every refresh so that events missed while
// formationd was down (or handled by another host) still end up right.
//
// All calls block on the store: blocking pool only.
#pragma once

#include <spdlog/logger.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "formation/kinds/state_store.hpp"

namespace formation::dns_powerdns {

// What a call wrote, for the `dns.record_changed` events the plugin publishes.
struct NameChange {
  std::string fqdn;
  std::string instance_id;
  bool removed = false;
};

class AutomaticNames {
 public:
  // `grace`: reconcile() leaves instances younger than this to the host that created them
  // (its instance.created handler is naming them), so that two hosts do not both name one.
  AutomaticNames(StateStore& store, std::string zone, std::int64_t ttl,
                 std::shared_ptr<spdlog::logger> log,
                 std::chrono::seconds grace = std::chrono::seconds(10));

  // Gives the instance its name unless a record already follows it; records the chosen
  // fqdn in Instance::dns_name. not_found when the instance is gone.
  Result<std::vector<NameChange>> name_instance(const std::string& instance_id);

  // Removes every record that follows the instance.
  Result<std::vector<NameChange>> forget_instance(const std::string& instance_id);

  // Names instances that have no dns_name and no following record; removes records that
  // follow instances which no longer exist. `instances` and `records` are what the
  // caller just read (the snapshot's input), so this costs no extra full read.
  Result<std::vector<NameChange>> reconcile(const std::vector<Instance>& instances,
                                            const std::vector<DnsRecord>& records);

 private:
  Result<std::vector<NameChange>> name_locked(const std::string& instance_id);
  Result<std::vector<NameChange>> forget_locked(const std::string& instance_id);
  Result<std::string> create_record(const Instance& instance);
  Status set_dns_name(const std::string& instance_id, const std::string& fqdn);

  StateStore& store_;
  // One naming at a time in this process: an event and a refresh naming the same new
  // instance would otherwise give it two names.
  std::mutex mutex_;
  std::string zone_;
  std::int64_t ttl_;
  std::shared_ptr<spdlog::logger> log_;
  std::chrono::seconds grace_;
};

// The candidate fqdn for attempt `n` (1: "<label>.<zone>", 2: "<label>-2.<zone>", ...),
// the label trimmed so that it stays within 63 bytes and the name within 253.
std::string candidate_name(std::string_view instance_name, std::string_view zone, int n);

}  // namespace formation::dns_powerdns

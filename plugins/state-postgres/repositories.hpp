// The thirteen repositories of one PostgreSQL transaction. Each holds the transaction's
// context and runs its statements on that transaction's connection.
#pragma once

#include <formation/kinds/state_store.hpp>

#include "sql.hpp"

namespace formation::postgres {

class PgAccounts final : public AccountRepository {
 public:
  explicit PgAccounts(TxnContext& ctx) : ctx_(ctx) {}
  Result<Account> get(const std::string& address) override;
  Result<Page<Account>> list(const PageRequest& page) override;
  Result<Account> create(const Account& account) override;
  Result<Account> update(const Account& account) override;
  Status remove(const std::string& address) override;

 private:
  TxnContext& ctx_;
};

class PgGrants final : public GrantRepository {
 public:
  explicit PgGrants(TxnContext& ctx) : ctx_(ctx) {}
  Result<Grant> get(const std::string& instance_id, const std::string& address) override;
  Result<std::vector<Grant>> list_for_instance(const std::string& instance_id) override;
  Result<Grant> put(const Grant& grant) override;
  Status remove(const std::string& instance_id, const std::string& address) override;

 private:
  TxnContext& ctx_;
};

class PgInstances final : public InstanceRepository {
 public:
  explicit PgInstances(TxnContext& ctx) : ctx_(ctx) {}
  Result<Instance> get(const std::string& id) override;
  Result<Page<Instance>> list(const InstanceFilter& filter, const PageRequest& page) override;
  Result<InstanceTotals> totals(const InstanceFilter& filter) override;
  Result<Instance> create(const Instance& instance) override;
  Result<Instance> update(const Instance& instance) override;
  Result<Instance> transition(const std::string& id, InstanceState expected, InstanceState next,
                              const std::string& error) override;
  Status remove(const std::string& id) override;

 private:
  TxnContext& ctx_;
};

class PgBuilds final : public BuildRepository {
 public:
  explicit PgBuilds(TxnContext& ctx) : ctx_(ctx) {}
  Result<Build> get(const std::string& build_id) override;
  Result<Page<Build>> list(const std::optional<std::string>& owner,
                           const PageRequest& page) override;
  Result<Build> create(const Build& build) override;
  Result<Build> update(const Build& build) override;
  Status remove(const std::string& build_id) override;

 private:
  TxnContext& ctx_;
};

class PgNodes final : public NodeRepository {
 public:
  explicit PgNodes(TxnContext& ctx) : ctx_(ctx) {}
  Result<Node> get(const std::string& id) override;
  Result<Page<Node>> list(const PageRequest& page) override;
  Result<Node> upsert(const Node& node) override;
  Status heartbeat(const std::string& id, TimePoint at) override;
  Result<Node> reserve(const std::string& id, const Resources& amount) override;
  Result<Node> release(const std::string& id, const Resources& amount) override;
  Status remove(const std::string& id) override;

 private:
  TxnContext& ctx_;
};

class PgOperations final : public OperationRepository {
 public:
  explicit PgOperations(TxnContext& ctx) : ctx_(ctx) {}
  Result<Operation> get(const std::string& id) override;
  Result<Page<Operation>> list(const OperationFilter& filter, const PageRequest& page) override;
  Result<Operation> create(const Operation& operation) override;
  Result<Operation> update(const Operation& operation) override;
  Result<std::int64_t> purge_finished(TimePoint before) override;

 private:
  TxnContext& ctx_;
};

class PgDnsRecords final : public DnsRecordRepository {
 public:
  explicit PgDnsRecords(TxnContext& ctx) : ctx_(ctx) {}
  Result<DnsRecord> get(const std::string& fqdn, DnsRecordType type) override;
  Result<std::vector<DnsRecord>> at(const std::string& fqdn) override;
  Result<Page<DnsRecord>> list(const DnsRecordFilter& filter, const PageRequest& page) override;
  Result<DnsRecord> create(const DnsRecord& record) override;
  Result<DnsRecord> update(const DnsRecord& record) override;
  Status remove(const std::string& fqdn, DnsRecordType type) override;
  Result<std::int64_t> remove_for_instance(const std::string& instance_id) override;
  Result<std::int64_t> change_serial() override;

 private:
  TxnContext& ctx_;
};

class PgMeshPeers final : public MeshPeerRepository {
 public:
  explicit PgMeshPeers(TxnContext& ctx) : ctx_(ctx) {}
  Result<MeshPeer> get(const std::string& id) override;
  Result<MeshPeer> get_by_address(const std::string& address) override;
  Result<MeshPeer> get_by_public_key(const std::string& public_key) override;
  Result<Page<MeshPeer>> list(const MeshPeerFilter& filter, const PageRequest& page) override;
  Result<std::vector<std::string>> addresses() override;
  Result<MeshPeer> create(const MeshPeer& peer) override;
  Result<MeshPeer> update(const MeshPeer& peer) override;
  Status remove(const std::string& id) override;
  Result<std::int64_t> change_serial() override;

 private:
  Result<MeshPeer> get_where(const std::string& column, const std::string& value);
  TxnContext& ctx_;
};

class PgUsage final : public UsageRepository {
 public:
  explicit PgUsage(TxnContext& ctx) : ctx_(ctx) {}
  Result<bool> add(const UsageRecord& record) override;
  Result<Page<UsageRecord>> list(const UsageFilter& filter, const PageRequest& page) override;
  Result<std::optional<UsageRecord>> latest(const std::string& instance_id) override;
  Result<std::optional<UsageRecord>> total(const UsageFilter& filter) override;

 private:
  TxnContext& ctx_;
};

class PgThresholds final : public ThresholdRepository {
 public:
  explicit PgThresholds(TxnContext& ctx) : ctx_(ctx) {}
  Result<UsageThreshold> get(const std::string& id) override;
  Result<Page<UsageThreshold>> list(const std::optional<std::string>& owner,
                                    const PageRequest& page) override;
  Result<UsageThreshold> create(const UsageThreshold& threshold) override;
  Status remove(const std::string& id) override;

 private:
  TxnContext& ctx_;
};

class PgWebhooks final : public WebhookRepository {
 public:
  explicit PgWebhooks(TxnContext& ctx) : ctx_(ctx) {}
  Result<Webhook> get(const std::string& id) override;
  Result<Page<Webhook>> list(const std::optional<std::string>& owner,
                             const PageRequest& page) override;
  Result<std::vector<Webhook>> subscribed(const std::string& owner,
                                          const std::string& event_type) override;
  Result<Webhook> create(const Webhook& webhook) override;
  Status remove(const std::string& id) override;

 private:
  TxnContext& ctx_;
};

class PgOutbox final : public OutboxRepository {
 public:
  explicit PgOutbox(TxnContext& ctx) : ctx_(ctx) {}
  Result<bool> enqueue(const OutboxEntry& entry) override;
  Result<std::vector<OutboxEntry>> claim_due(TimePoint now, std::int64_t limit,
                                             TimePoint lease_until) override;
  Status mark_delivered(const std::string& id) override;
  Status mark_failed(const std::string& id, const std::string& error,
                     TimePoint next_attempt_at) override;
  Status mark_dead(const std::string& id, const std::string& error) override;
  Result<Page<OutboxEntry>> list(const std::string& webhook_id, const PageRequest& page) override;
  Result<std::int64_t> purge(TimePoint before) override;

 private:
  Status set_state(const std::string& id, OutboxState state,
                   const std::optional<std::string>& error,
                   std::optional<TimePoint> next_attempt_at);
  TxnContext& ctx_;
};

class PgLedger final : public LedgerRepository {
 public:
  explicit PgLedger(TxnContext& ctx) : ctx_(ctx) {}
  Result<std::int64_t> balance(const std::string& address) override;
  Result<Page<LedgerEntry>> list(const std::string& address, const PageRequest& page) override;
  Result<LedgerEntry> append(const LedgerEntry& entry) override;

 private:
  TxnContext& ctx_;
};

class PgNonces final : public NonceRepository {
 public:
  explicit PgNonces(TxnContext& ctx) : ctx_(ctx) {}
  Result<bool> remember(const std::string& address, const std::string& nonce,
                        TimePoint expires_at) override;
  Result<std::int64_t> purge_expired(TimePoint now) override;

 private:
  TxnContext& ctx_;
};

}  // namespace formation::postgres

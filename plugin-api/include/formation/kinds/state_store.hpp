// StateStore: where everything the network knows is kept (DESIGN.md §4: `state-sqlite`,
// `state-postgres`). Several formationd processes may share one store, so every write that
// can race between hosts is a compare-and-set: a unique key, a row version, or an expected
// state, answered with `conflict` when the race is lost. Nothing is ever silently
// overwritten.
//
// Shape: StateStore::begin() opens a Transaction; the typed repositories hang off it; all
// reads and writes made through one transaction commit or roll back together.
//
// Every method of every interface in this header is REQUIRED (a store that cannot keep a
// kind of record is not a store). Error codes, unless a method says otherwise:
//   not_found    a get/update/remove of a key that does not exist
//   conflict     a create of a key (or unique value) that exists; an update whose `version`
//                is stale; a transition from a state the row is not in
//   invalid      a malformed argument (negative limit, a page token not issued by the store)
//   unavailable  the database cannot be reached or timed out (the caller may retry)
//   internal     anything else; the message is for logs, not tenants
// "No data" is not an error: lists and queries return empty vectors / pages / nullopt.
//
// Threading: StateStore::begin() may be called from any thread, concurrently. A Transaction
// and the repositories reached from it belong to one thread at a time and are valid until
// the transaction is committed, rolled back or destroyed. Calls block (database I/O): make
// them on the blocking pool, never on an HTTP I/O thread.
//
// Events: a store publishes none. The host publishes `instance.*`, `build.*`, `dns.*`,
// `mesh.*` events after the transaction that made the change has committed, so that no
// event announces a change that was rolled back.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "formation/plugin.hpp"
#include "formation/records.hpp"
#include "formation/status.hpp"
#include "formation/visibility.hpp"

namespace formation {

// ---- accounts --------------------------------------------------------------------------

class FORMATION_API AccountRepository {
 public:
  virtual ~AccountRepository() = default;
  virtual Result<Account> get(const std::string& address) = 0;
  // Ordered by address.
  virtual Result<Page<Account>> list(const PageRequest& page) = 0;
  // conflict when the address has an account.
  virtual Result<Account> create(const Account& account) = 0;
  // Compare-and-set on `account.version`; name and plan change, address does not.
  virtual Result<Account> update(const Account& account) = 0;
  // Removes the account only; its instances, builds and ledger are the host's business
  // (it refuses to delete an account that still owns instances).
  virtual Status remove(const std::string& address) = 0;
};

// ---- grants ----------------------------------------------------------------------------

class FORMATION_API GrantRepository {
 public:
  virtual ~GrantRepository() = default;
  virtual Result<Grant> get(const std::string& instance_id, const std::string& address) = 0;
  // Every grant on one instance, ordered by address (a handful; not paginated).
  virtual Result<std::vector<Grant>> list_for_instance(const std::string& instance_id) = 0;
  // Creates or replaces the grant of (instance_id, address). invalid when level is owner
  // (ownership is Instance::owner); not_found when the instance does not exist.
  virtual Result<Grant> put(const Grant& grant) = 0;
  virtual Status remove(const std::string& instance_id, const std::string& address) = 0;
  // Grants of a removed instance are removed with it (InstanceRepository::remove).
};

// ---- instances -------------------------------------------------------------------------

// Every set field narrows the result (AND).
struct FORMATION_API InstanceFilter {
  std::optional<std::string> owner;
  // Instances this address owns or holds any grant on (what GET /v1/instances shows).
  std::optional<std::string> accessible_by;
  std::optional<std::string> node_id;
  std::optional<std::string> build_id;
  std::optional<InstanceState> state;
};

struct FORMATION_API InstanceTotals {
  std::int64_t count = 0;
  Resources resources;
};

class FORMATION_API InstanceRepository {
 public:
  virtual ~InstanceRepository() = default;
  virtual Result<Instance> get(const std::string& id) = 0;
  // Ordered by id.
  virtual Result<Page<Instance>> list(const InstanceFilter& filter, const PageRequest& page) = 0;
  // How many instances match and the sum of their vcpus, memory_mb and disk_gb (root and
  // extra disks); used for plan limits and placement.
  virtual Result<InstanceTotals> totals(const InstanceFilter& filter) = 0;
  // conflict when the id exists.
  virtual Result<Instance> create(const Instance& instance) = 0;
  // Compare-and-set on `instance.version`; every field but id and created_at is written.
  virtual Result<Instance> update(const Instance& instance) = 0;
  // Compare-and-set on the state alone, for lifecycle moves racing between hosts and with
  // the Vmm's events: moves to `next` (and sets `error`) only when the row is in `expected`.
  // conflict names the current state: "instance 1f.. is Stopped, not Started".
  virtual Result<Instance> transition(const std::string& id, InstanceState expected,
                                      InstanceState next, const std::string& error) = 0;
  // Removes the instance and its grants.
  virtual Status remove(const std::string& id) = 0;
};

// ---- builds ----------------------------------------------------------------------------

class FORMATION_API BuildRepository {
 public:
  virtual ~BuildRepository() = default;
  virtual Result<Build> get(const std::string& build_id) = 0;
  // The builds of one owner (every build when `owner` is nullopt), ordered by build_id.
  virtual Result<Page<Build>> list(const std::optional<std::string>& owner,
                                   const PageRequest& page) = 0;
  // conflict when the build_id exists (a rebuild updates the existing row instead).
  virtual Result<Build> create(const Build& build) = 0;
  // Compare-and-set on `build.version`.
  virtual Result<Build> update(const Build& build) = 0;
  virtual Status remove(const std::string& build_id) = 0;
};

// ---- nodes -----------------------------------------------------------------------------

class FORMATION_API NodeRepository {
 public:
  virtual ~NodeRepository() = default;
  virtual Result<Node> get(const std::string& id) = 0;
  // Ordered by id.
  virtual Result<Page<Node>> list(const PageRequest& page) = 0;
  // A node registering itself at start: creates the row, or replaces region, public_ip,
  // endpoint and capacity of an existing one (keeping `allocated`). Not a compare-and-set:
  // only the node itself writes these fields.
  virtual Result<Node> upsert(const Node& node) = 0;
  virtual Status heartbeat(const std::string& id, TimePoint at) = 0;
  // Atomically adds `amount` to `allocated` when it still fits within `capacity`;
  // conflict naming what is short ("needs 2 more vCPUs") otherwise. Placement on
  // concurrent hosts stays correct because the check and the add are one statement.
  virtual Result<Node> reserve(const std::string& id, const Resources& amount) = 0;
  // Subtracts `amount` from `allocated` (never below zero).
  virtual Result<Node> release(const std::string& id, const Resources& amount) = 0;
  virtual Status remove(const std::string& id) = 0;
};

// ---- operations ------------------------------------------------------------------------

struct FORMATION_API OperationFilter {
  std::optional<std::string> owner;
  std::optional<std::string> target_id;
  std::optional<OperationState> state;
};

class FORMATION_API OperationRepository {
 public:
  virtual ~OperationRepository() = default;
  virtual Result<Operation> get(const std::string& id) = 0;
  // Ordered by id. Used at start to find operations a killed process left `running`.
  virtual Result<Page<Operation>> list(const OperationFilter& filter, const PageRequest& page) = 0;
  virtual Result<Operation> create(const Operation& operation) = 0;
  // Compare-and-set on `operation.version`.
  virtual Result<Operation> update(const Operation& operation) = 0;
  // Removes finished operations last updated before `before`; returns how many.
  virtual Result<std::int64_t> purge_finished(TimePoint before) = 0;
};

// ---- DNS records -----------------------------------------------------------------------

struct FORMATION_API DnsRecordFilter {
  std::optional<std::string> owner;
  std::optional<std::string> instance_id;
  // Names equal to or under this name ("formation.cloud" matches "a.formation.cloud").
  std::optional<std::string> zone;
  std::optional<bool> verified;
};

class FORMATION_API DnsRecordRepository {
 public:
  virtual ~DnsRecordRepository() = default;
  // not_found when there is no record of that type at that name.
  virtual Result<DnsRecord> get(const std::string& fqdn, DnsRecordType type) = 0;
  // Every type at one name (empty when none): what a DNS lookup of qtype ANY needs.
  virtual Result<std::vector<DnsRecord>> at(const std::string& fqdn) = 0;
  // Ordered by (fqdn, type).
  virtual Result<Page<DnsRecord>> list(const DnsRecordFilter& filter, const PageRequest& page) = 0;
  // conflict when (fqdn, type) exists: that is how names stay unique per zone across hosts.
  virtual Result<DnsRecord> create(const DnsRecord& record) = 0;
  // Compare-and-set on `record.version`.
  virtual Result<DnsRecord> update(const DnsRecord& record) = 0;
  virtual Status remove(const std::string& fqdn, DnsRecordType type) = 0;
  // Removes every record that follows the instance; returns how many.
  virtual Result<std::int64_t> remove_for_instance(const std::string& instance_id) = 0;
  // A counter, 1 or more, that grows with every committed create/update/remove of a DNS
  // record (on any host): the Dns plugin derives the zones' SOA serial from it.
  virtual Result<std::int64_t> change_serial() = 0;
};

// ---- mesh peers ------------------------------------------------------------------------

struct FORMATION_API MeshPeerFilter {
  std::optional<MeshPeerKind> kind;
  std::optional<std::string> owner;
  std::optional<std::string> node_id;
  std::optional<std::string> instance_id;
};

class FORMATION_API MeshPeerRepository {
 public:
  virtual ~MeshPeerRepository() = default;
  virtual Result<MeshPeer> get(const std::string& id) = 0;
  virtual Result<MeshPeer> get_by_address(const std::string& address) = 0;
  virtual Result<MeshPeer> get_by_public_key(const std::string& public_key) = 0;
  // Ordered by id.
  virtual Result<Page<MeshPeer>> list(const MeshPeerFilter& filter, const PageRequest& page) = 0;
  // Every address in use (reservations included), for the allocator. Unordered.
  virtual Result<std::vector<std::string>> addresses() = 0;
  // conflict when the id, the address or a non-empty public key is taken. Address
  // allocation relies on this: pick a free address, create, on conflict pick again.
  virtual Result<MeshPeer> create(const MeshPeer& peer) = 0;
  // Compare-and-set on `peer.version`; the address never changes (conflict when it does).
  virtual Result<MeshPeer> update(const MeshPeer& peer) = 0;
  virtual Status remove(const std::string& id) = 0;
  // A counter that grows with every committed change to mesh peers (on any host): a node
  // compares it with the one it last applied to know whether to recompute its peer set.
  virtual Result<std::int64_t> change_serial() = 0;
};

// ---- usage -----------------------------------------------------------------------------

struct FORMATION_API UsageFilter {
  std::optional<std::string> instance_id;
  std::optional<std::string> owner;
  std::optional<TimePoint> from;  // period.start >= from
  std::optional<TimePoint> to;    // period.start < to
};

class FORMATION_API UsageRepository {
 public:
  virtual ~UsageRepository() = default;
  // Idempotent on (instance_id, period.start): true when stored, false when a record with
  // that key exists (left as it is). A metering restart may therefore repeat a period.
  virtual Result<bool> add(const UsageRecord& record) = 0;
  // Ordered by (period.start, instance_id).
  virtual Result<Page<UsageRecord>> list(const UsageFilter& filter, const PageRequest& page) = 0;
  // The newest record of an instance; nullopt when it has none.
  virtual Result<std::optional<UsageRecord>> latest(const std::string& instance_id) = 0;
  // The matching records summed into one: period from the earliest start to the latest
  // end, vcpus/memory_mb/storage_gb of the latest record, every other field summed.
  // nullopt when nothing matches.
  virtual Result<std::optional<UsageRecord>> total(const UsageFilter& filter) = 0;
};

// ---- usage thresholds ------------------------------------------------------------------

class FORMATION_API ThresholdRepository {
 public:
  virtual ~ThresholdRepository() = default;
  // not_found when there is none.
  virtual Result<UsageThreshold> get(const std::string& id) = 0;
  // Ordered by id; every threshold when `owner` is nullopt (what the meter reads each tick).
  virtual Result<Page<UsageThreshold>> list(const std::optional<std::string>& owner,
                                            const PageRequest& page) = 0;
  // conflict when the id, or the owner's name, is taken.
  virtual Result<UsageThreshold> create(const UsageThreshold& threshold) = 0;
  // not_found when there is none.
  virtual Status remove(const std::string& id) = 0;
};

// ---- webhooks and their outbox ---------------------------------------------------------

class FORMATION_API WebhookRepository {
 public:
  virtual ~WebhookRepository() = default;
  virtual Result<Webhook> get(const std::string& id) = 0;
  // Ordered by id; every webhook when `owner` is nullopt.
  virtual Result<Page<Webhook>> list(const std::optional<std::string>& owner,
                                     const PageRequest& page) = 0;
  // The owner's webhooks subscribed to `event_type` (webhook_event_matches).
  virtual Result<std::vector<Webhook>> subscribed(const std::string& owner,
                                                  const std::string& event_type) = 0;
  virtual Result<Webhook> create(const Webhook& webhook) = 0;
  // Also removes the webhook's outbox entries.
  virtual Status remove(const std::string& id) = 0;
};

// Deliveries are written here before they are attempted, so that neither a receiver that
// is down nor a formationd killed with SIGKILL loses one.
class FORMATION_API OutboxRepository {
 public:
  virtual ~OutboxRepository() = default;
  // Idempotent on `idempotency_key`: true when stored, false when it was already there.
  virtual Result<bool> enqueue(const OutboxEntry& entry) = 0;
  // Up to `limit` entries that are due at `now` (pending, or in_flight with an expired
  // lease), oldest next_attempt_at first, marked in_flight with next_attempt_at =
  // `lease_until` and attempts + 1. Two hosts claiming at once never get the same entry
  // (SELECT ... FOR UPDATE SKIP LOCKED or equivalent).
  virtual Result<std::vector<OutboxEntry>> claim_due(TimePoint now, std::int64_t limit,
                                                     TimePoint lease_until) = 0;
  virtual Status mark_delivered(const std::string& id) = 0;
  // Back to pending, to be retried at `next_attempt_at`.
  virtual Status mark_failed(const std::string& id, const std::string& error,
                             TimePoint next_attempt_at) = 0;
  // Gives up on it (kept for inspection until purged).
  virtual Status mark_dead(const std::string& id, const std::string& error) = 0;
  // Ordered by id; one webhook's entries, for inspection and tests.
  virtual Result<Page<OutboxEntry>> list(const std::string& webhook_id,
                                         const PageRequest& page) = 0;
  // Removes delivered and dead entries last updated before `before`; returns how many.
  virtual Result<std::int64_t> purge(TimePoint before) = 0;
};

// ---- ledger ----------------------------------------------------------------------------

class FORMATION_API LedgerRepository {
 public:
  virtual ~LedgerRepository() = default;
  // The sum of the address's entries; 0 when it has none.
  virtual Result<std::int64_t> balance(const std::string& address) = 0;
  // Newest first.
  virtual Result<Page<LedgerEntry>> list(const std::string& address, const PageRequest& page) = 0;
  // Appends an entry. When it carries instance_id and period (a usage debit) and an entry
  // with the same (instance_id, period.start) exists, nothing is written and the existing
  // entry is returned if it has the same amount (so a repeated debit is harmless), or
  // conflict if the amount differs.
  virtual Result<LedgerEntry> append(const LedgerEntry& entry) = 0;
};

// ---- request nonces --------------------------------------------------------------------

// Replay protection of signed requests (DESIGN.md §5), shared by every host of one store.
class FORMATION_API NonceRepository {
 public:
  virtual ~NonceRepository() = default;
  // Records (address, nonce) until `expires_at`. true when it was new; false when that
  // address already used that nonce and it has not expired (a replay). Atomic across hosts
  // (a unique key, not read-then-write).
  virtual Result<bool> remember(const std::string& address, const std::string& nonce,
                                TimePoint expires_at) = 0;
  // Forgets nonces whose expires_at <= now; returns how many.
  virtual Result<std::int64_t> purge_expired(TimePoint now) = 0;
};

// ---- transactions and the store --------------------------------------------------------

// A unit of work. Implementations roll back in their destructor when neither commit() nor
// rollback() was called (a failed request leaves nothing half-written). The repository
// accessors cannot fail; their references are valid until the transaction ends.
class FORMATION_API Transaction {
 public:
  virtual ~Transaction() = default;

  // Makes every write visible to other transactions. conflict when a concurrent transaction
  // made this one impossible (a serialization failure: the caller may run the whole unit
  // again); unavailable when the database went away (nothing was committed); invalid when
  // the transaction already ended.
  virtual Status commit() = 0;
  // Discards every write; ok when the transaction already ended.
  virtual Status rollback() = 0;

  virtual AccountRepository& accounts() = 0;
  virtual GrantRepository& grants() = 0;
  virtual InstanceRepository& instances() = 0;
  virtual BuildRepository& builds() = 0;
  virtual NodeRepository& nodes() = 0;
  virtual OperationRepository& operations() = 0;
  virtual DnsRecordRepository& dns_records() = 0;
  virtual MeshPeerRepository& mesh_peers() = 0;
  virtual UsageRepository& usage() = 0;
  virtual WebhookRepository& webhooks() = 0;
  virtual OutboxRepository& outbox() = 0;
  virtual LedgerRepository& ledger() = 0;
  virtual NonceRepository& nonces() = 0;
  virtual ThresholdRepository& thresholds() = 0;
};

class FORMATION_API StateStore : public Plugin {
 public:
  static constexpr PluginKind kKind = PluginKind::state_store;

  // REQUIRED. Applies every schema migration the store does not have yet, in order, each
  // in its own transaction, and returns the resulting schema version. Idempotent: a store
  // that is up to date changes nothing. Safe when several hosts start at once (a lock
  // serialises them). The host calls it before anything else uses the store.
  // unavailable: database unreachable. internal: a migration failed (it was rolled back).
  // conflict: the database's schema is newer than this plugin knows.
  virtual Result<int> migrate() = 0;

  // REQUIRED. The schema version the database is at (0 when it was never migrated).
  virtual Result<int> schema_version() = 0;

  // REQUIRED. Opens a transaction. unavailable when no connection can be had in time.
  virtual Result<std::unique_ptr<Transaction>> begin() = 0;
};

}  // namespace formation

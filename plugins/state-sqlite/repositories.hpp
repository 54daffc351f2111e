// Factories of the repositories of one transaction (one file per record group) and the
// helpers they share. Every repository works on the Connection of its transaction.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <formation/kinds/state_store.hpp>

#include "db.hpp"

namespace formation::sqlite {

std::unique_ptr<AccountRepository> make_account_repository(Connection& db);
std::unique_ptr<GrantRepository> make_grant_repository(Connection& db);
std::unique_ptr<NonceRepository> make_nonce_repository(Connection& db);
std::unique_ptr<InstanceRepository> make_instance_repository(Connection& db);
std::unique_ptr<BuildRepository> make_build_repository(Connection& db);
std::unique_ptr<NodeRepository> make_node_repository(Connection& db);
std::unique_ptr<OperationRepository> make_operation_repository(Connection& db);
std::unique_ptr<DnsRecordRepository> make_dns_record_repository(Connection& db);
std::unique_ptr<MeshPeerRepository> make_mesh_peer_repository(Connection& db);
std::unique_ptr<UsageRepository> make_usage_repository(Connection& db);
std::unique_ptr<WebhookRepository> make_webhook_repository(Connection& db);
std::unique_ptr<OutboxRepository> make_outbox_repository(Connection& db);
std::unique_ptr<LedgerRepository> make_ledger_repository(Connection& db);
std::unique_ptr<ThresholdRepository> make_threshold_repository(Connection& db);

// JSON arrays kept in TEXT columns.
std::string to_json(const std::vector<std::string>& list);
std::string to_json(const std::vector<std::int64_t>& list);
std::vector<std::string> strings_from_json(const std::string& text);
std::vector<std::int64_t> integers_from_json(const std::string& text);

// Why a compare-and-set UPDATE of `table` changed no row: not_found when the key does not
// exist, else conflict naming the stored version. `where` selects the row by its key.
Status cas_failure(Connection& db, std::string_view what, std::string_view table,
                   std::string_view where, const Values& key, std::int64_t expected_version);

// not_found naming `what` for a DELETE/UPDATE that changed nothing; ok otherwise.
Status require_changed(const Result<std::int64_t>& changed, std::string_view what);

// Prefixes a failed status's message with `what` (conflict stays conflict).
Status with_context(const Status& status, std::string_view what);

}  // namespace formation::sqlite

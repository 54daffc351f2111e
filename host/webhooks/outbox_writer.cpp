#include "webhooks/outbox_writer.hpp"

#include <rapidjson/document.h>

#include <string>
#include <utility>

#include "webhooks/delivery_keys.hpp"

namespace formation::host::webhooks {
namespace {

// The payload's `user_id`, lower case (addresses are stored that way); "" when absent.
std::string owner_of(const Event& event) {
  rapidjson::Document doc;
  doc.Parse(event.payload_json.data(), event.payload_json.size());
  if (doc.HasParseError() || !doc.IsObject()) return {};
  const auto it = doc.FindMember("user_id");
  if (it == doc.MemberEnd() || !it->value.IsString()) return {};
  std::string owner(it->value.GetString(), it->value.GetStringLength());
  for (auto& c : owner) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return owner;
}

}  // namespace

OutboxWriter::OutboxWriter(std::function<StateStore*()> store, std::function<void()> wake)
    : store_(std::move(store)), wake_(std::move(wake)) {}

Result<int> OutboxWriter::write(const Event& event) {
  const std::string owner = owner_of(event);
  if (owner.empty()) return 0;
  StateStore* store = store_ ? store_() : nullptr;
  if (store == nullptr) return Status::unavailable("no state store is running");
  auto tx = store->begin();
  if (!tx.is_ok()) return tx.status();
  auto hooks = (*tx)->webhooks().subscribed(owner, event.type);
  if (!hooks.is_ok()) return hooks.status();
  int stored = 0;
  const auto now = std::chrono::system_clock::now();
  for (const auto& hook : *hooks) {
    OutboxEntry entry;
    entry.id = random_hex(16);
    entry.webhook_id = hook.id;
    entry.event_type = event.type;
    entry.payload_json = event.payload_json;
    entry.idempotency_key = idempotency_key(hook.id, event);
    entry.next_attempt_at = now;
    entry.state = OutboxState::pending;
    entry.created_at = now;
    entry.updated_at = now;
    auto added = (*tx)->outbox().enqueue(entry);
    if (!added.is_ok()) return added.status();
    if (*added) ++stored;
  }
  if (auto st = (*tx)->commit(); !st.is_ok()) return st;
  if (stored > 0 && wake_) wake_();
  return stored;
}

}  // namespace formation::host::webhooks

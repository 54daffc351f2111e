// Nothing in the outbox is lost when formationd dies by SIGKILL (docs/webhooks.md, "What the
// SIGKILL test proves"): a real formationd with state-sqlite, vmm-libvirt on test:///default
// and metering-usage sampling every second makes usage.sample events for an instance created
// through the signed API; they pile up in the outbox while the receiver is down (or is up and
// slow), formationd is killed, started again on the same data dir, and every entry that was
// in the outbox at the kill reaches the receiver, signed with the webhook's secret, once
// (twice at most for one that was being sent when the kill came).
#include <gtest/gtest.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <rapidjson/document.h>
#include <signal.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "formation/kinds/state_store.hpp"
#include "signed_daemon.hpp"
#include "webhooks/receiver.hpp"

namespace formation::testing {
namespace {

using namespace std::chrono_literals;

// How many undelivered entries the outbox holds before the kill.
constexpr std::size_t kPendingBeforeKill = 4;

std::string hmac_hex(const std::string& secret, const std::string& body) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac.data(), &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(std::size_t{length} * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[mac[i] >> 4U];
    out += kHex[mac[i] & 0xfU];
  }
  return out;
}

// Polls `done` until it holds or `timeout` passes; true when it held.
bool eventually(std::chrono::milliseconds timeout, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return done();
}

class WebhookSigkill : public SignedDaemonTest {
 protected:
  static void SetUpTestSuite() {
    make_config("\"node\": {\"capacity\": {\"vcpus\": 8, \"memory_mb\": 8192, \"disk_gb\": 100}}");
    add_instance_plugins();
    config_->add_plugin_file(
        "metering-usage.json",
        "{\"plugin\": \"metering-usage\", \"parameters\": {\"period_seconds\": 1}}\n");
    start_daemon();
  }

  // The webhook's deliveries as the API shows them (first page; the tests stay below it).
  static std::vector<std::pair<std::string, std::string>> deliveries(const Key& k,
                                                                     const std::string& hook) {
    std::vector<std::pair<std::string, std::string>> out;  // (delivery key, state)
    auto r = call(k, "GET", "/v1/webhooks/" + hook + "/deliveries?limit=100");
    if (r.status != 200 || !r.json->IsObject() || !r.json->HasMember("deliveries")) return out;
    for (const auto& d : (*r.json)["deliveries"].GetArray()) {
      out.emplace_back(d["delivery"].GetString(), d["state"].GetString());
    }
    return out;
  }

  // Every outbox entry of `hook`, read from the SQLite file directly (the daemon may be dead).
  static std::vector<OutboxEntry> outbox_of(const std::string& hook) {
    std::vector<OutboxEntry> out;
    auto tx = store_->store->begin();
    EXPECT_TRUE(tx.is_ok()) << tx.status().to_string();
    if (!tx.is_ok()) return out;
    PageRequest page{100, ""};
    while (true) {
      auto listed = (*tx)->outbox().list(hook, page);
      EXPECT_TRUE(listed.is_ok()) << listed.status().to_string();
      if (!listed.is_ok()) return out;
      out.insert(out.end(), listed->items.begin(), listed->items.end());
      if (listed->last()) return out;
      page.page_token = listed->next_page_token;
    }
  }

  static void kill_daemon() {
    daemon_->signal(SIGKILL);
    EXPECT_NE(daemon_->wait_exit(10), -1) << "formationd did not die";
  }

  static void restart_daemon() {
    delete daemon_;
    daemon_ = new DaemonProcess(config_->dir());
    ASSERT_TRUE(daemon_->started()) << daemon_->startup_output();
  }

  struct Registered {
    Key tenant;
    std::string instance;
    std::string hook;
    std::string secret;
  };

  // A tenant with an instance whose usage goes to a webhook at `receiver`.
  static Registered register_tenant(const Receiver& receiver) {
    Registered r;
    r.tenant = random_key();
    auto hook = call(r.tenant, "POST", "/v1/webhooks",
                     R"({"url": ")" + receiver.url() + R"(", "events": ["usage"]})");
    EXPECT_EQ(hook.status, 201) << hook.body;
    r.hook = hook.str("id");
    r.secret = hook.str("secret");
    r.instance = create_instance(r.tenant);
    return r;
  }

  // Waits until the API shows at least `count` deliveries of `hook` not yet delivered.
  static bool wait_undelivered(const Registered& r, std::size_t count) {
    return eventually(60s, [&] {
      std::size_t undelivered = 0;
      for (const auto& [key, state] : deliveries(r.tenant, r.hook)) {
        if (state == "pending" || state == "in_flight") ++undelivered;
      }
      return undelivered >= count;
    });
  }

  // What metering did, for a failure message when no usage.sample came.
  static std::string usage_diagnosis(const Registered& r) {
    return "no usage.sample deliveries for instance " + r.instance + ": instance " +
           call(r.tenant, "GET", "/v1/instances/" + r.instance).body + "; usage " +
           call(r.tenant, "GET", "/v1/instances/" + r.instance + "/usage").body;
  }

  // After the restart: every entry that was in the outbox at the kill arrives, signed, and
  // ends delivered; what arrived is exactly the outbox (no stray ids), and an id arrived twice
  // only if it was being sent when the kill came.
  static void expect_nothing_lost(const Registered& r, Receiver& receiver,
                                  const std::vector<OutboxEntry>& at_kill) {
    std::set<std::string> wanted;
    std::set<std::string> in_flight_at_kill;
    for (const auto& e : at_kill) {
      wanted.insert(e.idempotency_key);
      if (e.state == OutboxState::in_flight) in_flight_at_kill.insert(e.idempotency_key);
    }
    const bool all_arrived = eventually(90s, [&] {
      std::set<std::string> got;
      for (const auto& a : receiver.arrived()) got.insert(a.headers.at("x-formation-delivery"));
      for (const auto& e : outbox_of(r.hook)) {
        if (wanted.count(e.idempotency_key) != 0 && e.state != OutboxState::delivered) {
          return false;
        }
      }
      return std::includes(got.begin(), got.end(), wanted.begin(), wanted.end());
    });
    EXPECT_TRUE(all_arrived) << "not every entry of the kill was delivered after the restart";

    std::map<std::string, int> times;
    for (const auto& a : receiver.arrived()) {
      const std::string& id = a.headers.at("x-formation-delivery");
      ++times[id];
      EXPECT_EQ(a.headers.at("x-formation-signature"), hmac_hex(r.secret, a.body)) << id;
      EXPECT_EQ(a.headers.at("x-formation-event"), "usage.sample") << id;
      rapidjson::Document body;
      body.Parse(a.body.c_str());
      ASSERT_TRUE(body.IsObject()) << a.body;
      EXPECT_EQ(std::string(body["instance_id"].GetString()), r.instance) << a.body;
    }
    // What the store calls delivered arrived (the receiver records before it answers), and
    // nothing arrived that is not in the outbox.
    std::set<std::string> outbox_keys;
    for (const auto& e : outbox_of(r.hook)) {
      outbox_keys.insert(e.idempotency_key);
      if (e.state == OutboxState::delivered) {
        EXPECT_EQ(times.count(e.idempotency_key), 1U) << e.id << " delivered but never arrived";
      }
    }
    for (const auto& [id, n] : times) {
      EXPECT_EQ(outbox_keys.count(id), 1U) << id << " arrived but is no outbox entry";
      if (n > 1) {
        EXPECT_EQ(n, 2) << id << " arrived " << n << " times";
        EXPECT_EQ(in_flight_at_kill.count(id), 1U)
            << id << " arrived twice but was not being sent at the kill";
      }
    }
    for (const auto& id : wanted) EXPECT_EQ(times.count(id), 1U) << id << " never arrived";
    std::size_t repeated = 0;
    for (const auto& [id, n] : times) repeated += n > 1 ? 1 : 0;
    std::cout << "[ figures  ] " << at_kill.size() << " outbox entries at the kill ("
              << in_flight_at_kill.size() << " in flight), " << times.size()
              << " distinct deliveries arrived, " << repeated << " of them twice\n";
  }
};

TEST_F(WebhookSigkill, EntriesWaitingForADownReceiverSurviveSigkill) {
  Receiver receiver;  // down: nothing listens on its port
  const Registered r = register_tenant(receiver);
  ASSERT_FALSE(r.instance.empty());
  ASSERT_FALSE(r.secret.empty());
  ASSERT_TRUE(wait_undelivered(r, kPendingBeforeKill)) << usage_diagnosis(r);

  kill_daemon();
  const std::vector<OutboxEntry> at_kill = outbox_of(r.hook);
  ASSERT_GE(at_kill.size(), kPendingBeforeKill);
  for (const auto& e : at_kill) EXPECT_NE(e.state, OutboxState::delivered) << e.id;
  EXPECT_EQ(receiver.seen(), 0);

  receiver.up();
  restart_daemon();
  expect_nothing_lost(r, receiver, at_kill);
}

TEST_F(WebhookSigkill, DeliveriesToASlowReceiverSurviveSigkillMidRequest) {
  Receiver receiver;
  receiver.set_mode(Receiver::Mode::slow_ok);
  receiver.set_slow_for(1s);
  receiver.up();
  const Registered r = register_tenant(receiver);
  ASSERT_FALSE(r.instance.empty());
  // Killed while a request is held by the receiver: it arrived but was not answered.
  ASSERT_TRUE(eventually(60s, [&] {
    return receiver.arrived().size() > receiver.delivered().size() &&
           receiver.arrived().size() >= kPendingBeforeKill;
  })) << usage_diagnosis(r);

  kill_daemon();
  const std::vector<OutboxEntry> at_kill = outbox_of(r.hook);
  ASSERT_FALSE(at_kill.empty());
  const bool some_in_flight = std::any_of(at_kill.begin(), at_kill.end(), [](const auto& e) {
    return e.state == OutboxState::in_flight;
  });
  EXPECT_TRUE(some_in_flight) << "the kill came between two requests";

  restart_daemon();
  expect_nothing_lost(r, receiver, at_kill);
}

}  // namespace
}  // namespace formation::testing

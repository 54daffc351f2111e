// The deliverer against the real state-sqlite.so and real HTTP receivers on loopback:
// events written to the outbox by the writer from the real event bus; a receiver that is
// down then up gets every event, none twice, each signed; a delivery claimed by a
// deliverer that died (as formationd under SIGKILL) is delivered after its lease; the
// breaker stops requests to a dead endpoint and closes when it answers again; a slow or
// garbage-answering receiver does not hold up another.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "support/fake_host_services.hpp"
#include "support/plugin_runtime.hpp"
#include "webhooks/deliverer.hpp"
#include "webhooks/delivery_keys.hpp"
#include "webhooks/outbox_writer.hpp"
#include "webhooks/receiver.hpp"

namespace formation::testing {
namespace {

using namespace std::chrono_literals;
namespace wh = formation::host::webhooks;

constexpr const char* kOwner = "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23";

std::string usage_payload(int period, const std::string& owner = kOwner) {
  return R"({"event_type":"usage.sample","version":1,"timestamp":1767225600,"instance_id":"i-1",)"
         R"("user_id":")" +
         owner + R"(","metrics":{"cpu_seconds":)" + std::to_string(period) +
         R"(},"period":{"start":")" + std::to_string(1767225600 + 30 * period) + R"(","end":")" +
         std::to_string(1767225630 + 30 * period) + R"("}})";
}

// Short periods so that the tests take seconds, not the production minutes.
wh::DelivererOptions fast_options() {
  wh::DelivererOptions o;
  o.workers = 4;
  o.poll = 50ms;
  o.timeouts = {500ms, 1000ms};
  o.lease = 1500ms;
  o.retry.base = 100ms;
  o.retry.cap = 400ms;
  o.breaker_threshold = 3;
  o.breaker_cool_down = 600ms;
  return o;
}

class Deliveries : public ::testing::Test {
 protected:
  Webhook add_webhook(const std::string& url, std::vector<std::string> events = {"usage"},
                      const std::string& owner = kOwner) {
    Webhook hook;
    hook.id = wh::random_hex(16);
    hook.owner = owner;
    hook.url = url;
    hook.events = std::move(events);
    hook.secret = wh::random_hex(32);
    hook.created_at = std::chrono::system_clock::now();
    auto tx = store->begin();
    EXPECT_TRUE(tx.is_ok());
    auto created = (*tx)->webhooks().create(hook);
    EXPECT_TRUE(created.is_ok()) << created.status().to_string();
    EXPECT_TRUE((*tx)->commit().is_ok());
    return hook;
  }

  std::vector<OutboxEntry> entries(const std::string& webhook_id) {
    auto tx = store->begin();
    auto list = (*tx)->outbox().list(webhook_id, PageRequest{1000, ""});
    EXPECT_TRUE(list.is_ok());
    return list.is_ok() ? list->items : std::vector<OutboxEntry>{};
  }

  bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      if (done()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return done();
  }

  TempDir dir{"formation-webhooks"};
  PluginRuntime runtime{dir.path()};
  StateStore* store = &runtime.start_store(PLUGIN_BUILD_DIR, "state-sqlite", "{}");
  std::function<StateStore*()> store_fn = [this] { return store; };
};

TEST_F(Deliveries, ReceiverDownThenUpGetsEveryEventOnceAndSigned) {
  Receiver receiver;
  const Webhook hook = add_webhook(receiver.url());
  wh::Deliverer deliverer(store_fn, fast_options());
  wh::OutboxWriter writer(store_fn, [&] { deliverer.wake(); });
  // From the real bus, as formationd wires it; and a second webhook of someone else, which
  // must receive nothing.
  Receiver other;
  other.up();
  add_webhook(other.url(), {"usage"}, "0x0000000000000000000000000000000000000001");
  runtime.events().subscribe("usage.", [&](const Event& e) {
    auto stored = writer.write(e);
    EXPECT_TRUE(stored.is_ok()) << stored.status().to_string();
  });
  deliverer.start();
  constexpr int kEvents = 20;
  for (int i = 0; i < kEvents; ++i) {
    runtime.events().publish(Event{"usage.sample", usage_payload(i), "metering"});
  }
  // The same period again (a metering restart): the same idempotency key, not enqueued.
  runtime.events().publish(Event{"usage.sample", usage_payload(3), "metering"});
  runtime.events().publish(Event{"instance.created", usage_payload(99), "host"});
  ASSERT_TRUE(wait_until([&] { return entries(hook.id).size() == kEvents; }, 5s))
      << entries(hook.id).size();
  std::this_thread::sleep_for(1500ms);  // retries against a closed port, the breaker opens
  EXPECT_TRUE(receiver.delivered().empty());
  receiver.up();
  ASSERT_TRUE(receiver.wait_delivered(kEvents, 15s)) << receiver.delivered().size();
  std::this_thread::sleep_for(300ms);
  const auto got = receiver.delivered();
  EXPECT_EQ(got.size(), static_cast<std::size_t>(kEvents));
  std::set<std::string> keys;
  std::set<std::string> bodies;
  for (const auto& r : got) {
    EXPECT_EQ(r.headers.at("x-formation-event"), "usage.sample");
    EXPECT_EQ(r.headers.at("x-formation-signature"), wh::sign_body(hook.secret, r.body));
    EXPECT_EQ(r.headers.at("content-type"), "application/json");
    keys.insert(r.headers.at("x-formation-delivery"));
    bodies.insert(r.body);
  }
  EXPECT_EQ(keys.size(), static_cast<std::size_t>(kEvents)) << "a delivery key repeated";
  EXPECT_EQ(bodies.size(), static_cast<std::size_t>(kEvents));
  for (int i = 0; i < kEvents; ++i) EXPECT_EQ(bodies.count(usage_payload(i)), 1U) << i;
  for (const auto& e : entries(hook.id)) EXPECT_EQ(e.state, OutboxState::delivered);
  EXPECT_TRUE(other.delivered().empty());
}

TEST_F(Deliveries, AnEntryClaimedByADeadDelivererIsDeliveredAfterItsLease) {
  Receiver receiver;
  receiver.up();
  const Webhook hook = add_webhook(receiver.url());
  wh::OutboxWriter writer(store_fn, {});
  ASSERT_TRUE(writer.write(Event{"usage.sample", usage_payload(1), "m"}).is_ok());
  ASSERT_TRUE(writer.write(Event{"usage.sample", usage_payload(2), "m"}).is_ok());
  // A formationd that claimed the first and was killed before it could record anything.
  const auto now = std::chrono::system_clock::now();
  {
    auto tx = store->begin();
    auto claimed = (*tx)->outbox().claim_due(now, 1, now + 1s);
    ASSERT_TRUE(claimed.is_ok());
    ASSERT_EQ(claimed->size(), 1U);
    ASSERT_TRUE((*tx)->commit().is_ok());
  }
  wh::Deliverer deliverer(store_fn, fast_options());
  deliverer.start();
  ASSERT_TRUE(receiver.wait_delivered(1, 900ms));
  EXPECT_EQ(receiver.delivered().size(), 1U) << "the claimed one went out before its lease ended";
  ASSERT_TRUE(receiver.wait_delivered(2, 5s));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(receiver.delivered().size(), 2U);
  for (const auto& e : entries(hook.id)) EXPECT_EQ(e.state, OutboxState::delivered);
}

TEST_F(Deliveries, BreakerOpensOnADeadEndpointAndClosesWhenItAnswers) {
  Receiver receiver;
  receiver.up();
  receiver.set_mode(Receiver::Mode::fail);
  const Webhook hook = add_webhook(receiver.url());
  wh::OutboxWriter writer(store_fn, {});
  constexpr int kEvents = 10;
  for (int i = 0; i < kEvents; ++i) {
    ASSERT_TRUE(writer.write(Event{"usage.sample", usage_payload(i), "m"}).is_ok());
  }
  auto options = fast_options();
  options.breaker_cool_down = 1500ms;
  wh::Deliverer deliverer(store_fn, options);
  deliverer.start();
  const std::string endpoint = "127.0.0.1:" + std::to_string(receiver.port());
  ASSERT_TRUE(wait_until(
      [&] { return deliverer.breakers().state(endpoint) == wh::CircuitBreakers::State::open; },
      3s));
  const int at_open = receiver.seen();
  // While open: rescheduled without a request (workers racing the opening add at most a few).
  std::this_thread::sleep_for(1000ms);
  EXPECT_LE(receiver.seen() - at_open, static_cast<int>(options.workers));
  EXPECT_LT(receiver.seen(), kEvents) << "one request per delivery: the breaker did not open";
  bool skipped = false;
  for (const auto& e : entries(hook.id)) skipped |= e.last_error.starts_with("circuit open for");
  EXPECT_TRUE(skipped);
  receiver.set_mode(Receiver::Mode::ok);
  ASSERT_TRUE(receiver.wait_delivered(kEvents, 15s)) << receiver.delivered().size();
  EXPECT_EQ(deliverer.breakers().state(endpoint), wh::CircuitBreakers::State::closed);
}

TEST_F(Deliveries, SlowAndGarbageReceiversDoNotHoldUpAnother) {
  Receiver slow;
  slow.set_mode(Receiver::Mode::slow);
  slow.set_slow_for(3000ms);
  slow.up();
  Receiver garbage;
  garbage.set_mode(Receiver::Mode::garbage);
  garbage.up();
  Receiver good;
  good.up();
  const Webhook slow_hook = add_webhook(slow.url());
  const Webhook garbage_hook = add_webhook(garbage.url());
  add_webhook(good.url());
  wh::OutboxWriter writer(store_fn, {});
  constexpr int kEvents = 10;
  for (int i = 0; i < kEvents; ++i) {
    ASSERT_TRUE(writer.write(Event{"usage.sample", usage_payload(i), "m"}).is_ok());
  }
  wh::Deliverer deliverer(store_fn, fast_options());
  const auto start = std::chrono::steady_clock::now();
  deliverer.start();
  ASSERT_TRUE(good.wait_delivered(kEvents, 6s)) << good.delivered().size();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  // Both bad ones are retried, with why they failed.
  ASSERT_TRUE(wait_until(
      [&] {
        bool slow_failed = false;
        bool garbage_failed = false;
        for (const auto& e : entries(slow_hook.id))
          slow_failed |= e.last_error.find("timeout") == 0 || e.last_error.starts_with("circuit");
        for (const auto& e : entries(garbage_hook.id)) garbage_failed |= !e.last_error.empty();
        return slow_failed && garbage_failed;
      },
      5s));
  for (const auto& e : entries(garbage_hook.id)) EXPECT_NE(e.state, OutboxState::delivered);
}

TEST_F(Deliveries, GivesUpAfterMaxAttempts) {
  Receiver receiver;
  receiver.set_mode(Receiver::Mode::fail);
  receiver.up();
  const Webhook hook = add_webhook(receiver.url());
  wh::OutboxWriter writer(store_fn, {});
  ASSERT_TRUE(writer.write(Event{"usage.sample", usage_payload(1), "m"}).is_ok());
  auto options = fast_options();
  options.retry.max_attempts = 3;
  options.breaker_threshold = 100;
  wh::Deliverer deliverer(store_fn, options);
  deliverer.start();
  ASSERT_TRUE(wait_until(
      [&] {
        auto e = entries(hook.id);
        return e.size() == 1 && e[0].state == OutboxState::dead;
      },
      5s));
  const auto e = entries(hook.id);
  EXPECT_EQ(e[0].attempts, 3);
  EXPECT_EQ(e[0].last_error, "503 from receiver");
}

// A delivery the open breaker held back was never sent: it does not count towards giving up
// (nor towards the backoff), or a receiver down for a while would see events given up after
// far fewer requests than max_attempts.
TEST_F(Deliveries, BreakerSkipsAreNotAttempts) {
  Receiver receiver;
  receiver.set_mode(Receiver::Mode::fail);
  receiver.up();
  const Webhook hook = add_webhook(receiver.url());
  wh::OutboxWriter writer(store_fn, {});
  constexpr int kEvents = 6;
  for (int i = 0; i < kEvents; ++i) {
    ASSERT_TRUE(writer.write(Event{"usage.sample", usage_payload(i), "m"}).is_ok());
  }
  auto options = fast_options();
  options.retry.max_attempts = 3;
  options.retry.base = 10ms;
  options.retry.cap = 20ms;
  options.breaker_threshold = 1;
  options.breaker_cool_down = 100ms;
  wh::Deliverer deliverer(store_fn, options);
  deliverer.start();
  ASSERT_TRUE(wait_until(
      [&] {
        for (const auto& e : entries(hook.id)) {
          if (e.state != OutboxState::dead) return false;
        }
        return true;
      },
      20s));
  deliverer.stop();
  std::map<std::string, int> requests;
  for (const auto& r : receiver.arrived()) ++requests[r.headers.at("x-formation-delivery")];
  for (const auto& e : entries(hook.id)) {
    EXPECT_GE(requests[e.idempotency_key], 3) << "given up after " << requests[e.idempotency_key]
                                              << " requests (" << e.attempts << " claims)";
  }
}

}  // namespace
}  // namespace formation::testing

// Webhook deliveries per second: the real Deliverer (host/webhooks) draining an outbox of
// state-sqlite to a loopback receiver, against plain libcurl POSTs of the same body and
// headers to the same receiver, sequential and from as many threads as it has workers.
#include <curl/curl.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bench_metering.hpp"
#include "figures.hpp"
#include "loopback_receiver.hpp"
#include "support/plugin_runtime.hpp"
#include "usage_event.hpp"
#include "webhooks/deliverer.hpp"
#include "webhooks/delivery_keys.hpp"

namespace formation::bench {
namespace {

namespace fs = std::filesystem;
namespace wh = formation::host::webhooks;
using namespace std::chrono_literals;

using Headers = std::vector<std::pair<std::string, std::string>>;

// A usage.sample body as metering-usage writes it.
std::string sample_body(int i) {
  UsageSample s;
  s.instance_id = "be" + std::to_string(1000000 + i);
  s.user_id = "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23";
  s.timestamp = std::chrono::system_clock::now();
  s.period = {s.timestamp - 30s, s.timestamp};
  s.metrics.cpu_seconds = 12.5;
  s.metrics.cpu_percent_avg = 41.6;
  s.metrics.memory_gb = 0.5;
  s.metrics.memory_percent = 50;
  s.metrics.storage_gb = 10;
  s.metrics.network_egress_mb = 1.25;
  s.metrics.network_ingress_mb = 3.5;
  return metering_usage::usage_sample_json(s);
}

Webhook add_webhook(StateStore& store, const std::string& url) {
  Webhook hook;
  hook.id = wh::random_hex(16);
  hook.owner = "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23";
  hook.url = url;
  hook.events = {"usage"};
  hook.secret = wh::random_hex(32);
  hook.created_at = std::chrono::system_clock::now();
  auto tx = must(store.begin(), "begin");
  auto created = must(tx->webhooks().create(hook), "webhook");
  must(tx->commit(), "commit");
  return created;
}

void enqueue(StateStore& store, const Webhook& hook, int count) {
  auto tx = must(store.begin(), "begin");
  const auto now = std::chrono::system_clock::now();
  for (int i = 0; i < count; ++i) {
    OutboxEntry e;
    e.id = wh::random_hex(16);
    e.webhook_id = hook.id;
    e.event_type = "usage.sample";
    e.payload_json = sample_body(i);
    e.idempotency_key = wh::random_hex(16);
    e.next_attempt_at = now;
    e.created_at = now;
    e.updated_at = now;
    must(tx->outbox().enqueue(e), "enqueue");
  }
  must(tx->commit(), "commit");
}

std::size_t delivered(StateStore& store, const std::string& webhook_id) {
  auto tx = must(store.begin(), "begin");
  std::size_t n = 0;
  PageRequest page{1000, ""};
  for (;;) {
    auto entries = must(tx->outbox().list(webhook_id, page), "list");
    for (const auto& e : entries.items) n += e.state == OutboxState::delivered ? 1 : 0;
    if (entries.last()) break;
    page.page_token = entries.next_page_token;
  }
  return n;
}

// The store's share of a delivery, without HTTP: claim one due entry and mark it delivered,
// two transactions, as a worker does; from `threads` threads.
double store_rounds_per_second(StateStore& store, int count, int threads) {
  std::atomic<int> done{0};
  const double start = wall_ms();
  std::vector<std::thread> pool;
  pool.reserve(static_cast<std::size_t>(threads));
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (;;) {
        const auto now = std::chrono::system_clock::now();
        std::string id;
        {
          auto tx = must(store.begin(), "begin");
          auto claimed = must(tx->outbox().claim_due(now, 1, now + 30s), "claim");
          if (claimed.empty()) return;
          id = claimed.front().id;
          must(tx->commit(), "commit");
        }
        auto tx = must(store.begin(), "begin");
        must(tx->outbox().mark_delivered(id), "mark delivered");
        must(tx->commit(), "commit");
        ++done;
      }
    });
  }
  for (auto& t : pool) t.join();
  if (done != count) throw std::runtime_error("store rounds: " + std::to_string(done));
  return count / ((wall_ms() - start) / 1000);
}

size_t discard(char* /*data*/, size_t size, size_t count, void* /*user*/) { return size * count; }

// One POST as a plain libcurl client makes it; `curl` is reused (keep-alive) when given.
bool plain_post(CURL* reused, const std::string& url, curl_slist* headers,
                const std::string& body) {
  CURL* c = reused != nullptr ? reused : curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &discard);
  long status = 0;
  const bool ok = curl_easy_perform(c) == CURLE_OK &&
                  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK &&
                  status == 200;
  if (reused == nullptr) curl_easy_cleanup(c);
  return ok;
}

// `count` POSTs from `threads` threads; a fresh handle (and connection) per POST, as the
// deliverer does, unless `keep_alive`.
double posts_per_second(const std::string& url, const Headers& extra, const std::string& body,
                        int count, int threads, bool keep_alive) {
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Expect:");
  for (const auto& [name, value] : extra) {
    headers = curl_slist_append(headers, (name + ": " + value).c_str());
  }
  std::atomic<int> next{0};
  std::atomic<int> failed{0};
  const double start = wall_ms();
  std::vector<std::thread> pool;
  pool.reserve(static_cast<std::size_t>(threads));
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      CURL* reused = keep_alive ? curl_easy_init() : nullptr;
      while (next++ < count) {
        if (!plain_post(reused, url, headers, body)) ++failed;
      }
      if (reused != nullptr) curl_easy_cleanup(reused);
    });
  }
  for (auto& t : pool) t.join();
  const double seconds = (wall_ms() - start) / 1000;
  curl_slist_free_all(headers);
  if (failed > 0) throw std::runtime_error(std::to_string(failed) + " plain POSTs failed");
  return count / seconds;
}

}  // namespace

int bench_deliveries(const DeliveryOptions& o) {
  const fs::path work =
      fs::temp_directory_path() / ("bench-metering-hooks-" + std::to_string(getpid()));
  int rc = 0;
  {
    LoopbackReceiver receiver;
    formation::testing::PluginRuntime runtime(work / "data");
    auto& store = runtime.start_store(o.plugins, "state-sqlite", "{}");
    const Webhook hook = add_webhook(store, receiver.url());
    enqueue(store, hook, o.deliveries);

    wh::DelivererOptions options;  // formationd's defaults: 4 workers
    wh::Deliverer deliverer([&store] { return &store; }, options);
    const double start = wall_ms();
    deliverer.start();
    const bool all_arrived =
        receiver.wait_answered(static_cast<std::size_t>(o.deliveries), std::chrono::minutes(5));
    deliverer.stop();  // the workers settle what they sent
    const double seconds = (wall_ms() - start) / 1000;
    const std::size_t marked = delivered(store, hook.id);
    const double deliverer_rate = o.deliveries / seconds;

    // The same number of entries again, for a webhook nobody delivers: only the store works.
    const Webhook idle = add_webhook(store, receiver.url());
    enqueue(store, idle, o.deliveries);
    const double store_only = store_rounds_per_second(store, o.deliveries, 4);

    const std::string body = sample_body(0);
    const Headers headers = {{"X-Formation-Event", "usage.sample"},
                             {"X-Formation-Delivery", wh::random_hex(16)},
                             {"X-Formation-Signature", wh::sign_body(hook.secret, body)}};
    // Medians of three: one run is at the mercy of whatever else the machine does.
    auto reference = [&](int threads, bool keep_alive) {
      std::vector<double> runs;
      runs.reserve(3);
      for (int r = 0; r < 3; ++r) {
        runs.push_back(
            posts_per_second(receiver.url(), headers, body, o.deliveries, threads, keep_alive));
      }
      return median(runs);
    };
    const double sequential = reference(1, false);
    const double threaded = reference(o.threads, false);
    const double kept_alive = reference(o.threads, true);

    std::printf("== webhook deliveries, %d outbox entries to a loopback receiver ==\n",
                o.deliveries);
    std::printf("  %-58s %8.0f /s  (%zu marked delivered)\n",
                "Deliverer, 4 workers, state-sqlite outbox", deliverer_rate, marked);
    std::printf("  %-58s %8.0f /s\n", "  its store work alone (claim + mark), 4 threads",
                store_only);
    std::printf("  %-58s %8.0f /s\n", "plain libcurl POSTs, sequential, median of 3", sequential);
    std::printf(
        "  %-58s %8.0f /s\n",
        ("plain libcurl POSTs, " + std::to_string(o.threads) + " threads, median of 3").c_str(),
        threaded);
    std::printf(
        "  %-58s %8.0f /s\n",
        ("plain libcurl POSTs, " + std::to_string(o.threads) + " threads, keep-alive, median of 3")
            .c_str(),
        kept_alive);
    std::printf("  ratio deliverer / plain sequential: %.2fx; / plain %d threads: %.2fx\n",
                deliverer_rate / sequential, o.threads, deliverer_rate / threaded);
    if (!all_arrived || marked != static_cast<std::size_t>(o.deliveries)) rc = 1;
  }
  fs::remove_all(work);
  return rc;
}

}  // namespace formation::bench

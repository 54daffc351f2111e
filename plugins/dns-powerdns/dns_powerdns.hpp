// The Dns plugin (README.md): keeps a snapshot of the store's names current and serves it
// to PowerDNS through the remote-backend connectors. Tests make one directly with their
// own HostServices.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "answers.hpp"
#include "automatic_names.hpp"
#include "formation/kinds/dns.hpp"
#include "formation/kinds/state_store.hpp"
#include "http_connector.hpp"
#include "settings.hpp"
#include "unix_connector.hpp"

namespace formation::dns_powerdns {

class PowerDnsPlugin final : public Dns {
 public:
  PowerDnsPlugin(HostServices& host, Settings settings);
  ~PowerDnsPlugin() override;
  PowerDnsPlugin(const PowerDnsPlugin&) = delete;
  PowerDnsPlugin& operator=(const PowerDnsPlugin&) = delete;

  Status start() override;
  void stop() override;
  [[nodiscard]] PluginHealth health() const override;

  std::string network_zone() override { return settings_.answers.zone; }
  Result<std::vector<std::string>> zones() override;
  Status reload() override;
  Result<std::vector<DnsAnswer>> lookup(const std::string& qname, const std::string& qtype,
                                        const std::string& client_address) override;
  Result<bool> check_verification(const std::string& fqdn, const std::string& token) override;

  [[nodiscard]] const Settings& settings() const { return settings_; }
  [[nodiscard]] const ZoneView& view() const { return view_; }
  // The HTTP connector's port once started (it may have been 0: any free port).
  [[nodiscard]] std::optional<std::uint16_t> http_port() const { return http_port_; }

 private:
  // Reads the store and swaps in a new snapshot.
  Status rebuild();
  // The periodic pass: automatic names reconciled, then a rebuild.
  Status refresh();
  // Records the outcome for health() and logs a failure.
  void note(const Status& status, const char* doing);
  void on_event(const Event& event);
  void schedule_reload();
  // Runs `work` on the blocking pool unless stopping; stop() waits for it.
  void run_in_pool(std::function<void()> work);
  bool enter();
  void leave();
  void announce(const std::vector<NameChange>& changes);

  HostServices& host_;
  std::shared_ptr<spdlog::logger> log_;
  Settings settings_;
  std::string source_;  // "dns-powerdns/<instance>", on the events it publishes
  StateStore* store_ = nullptr;
  std::unique_ptr<AutomaticNames> names_;
  SnapshotView view_;
  std::mutex rebuild_mutex_;  // one rebuild at a time, so snapshots are published in order

  mutable std::mutex state_mutex_;
  std::condition_variable idle_;
  int in_flight_ = 0;
  bool stopping_ = false;
  std::string last_error_;  // of the last refresh or reload; empty when it worked

  std::atomic<bool> reload_queued_{false};
  std::vector<SubscriptionId> subscriptions_;
  std::optional<TimerId> timer_;
  std::unique_ptr<UnixConnector> unix_connector_;
  std::unique_ptr<HttpConnector> http_connector_;
  std::optional<std::uint16_t> http_port_;
};

// The plugin's descriptor (plugin_entry.cpp, in the module only).
const PluginDescriptor* describe();

}  // namespace formation::dns_powerdns

#include "dns_powerdns.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "dns_names.hpp"
#include "verification.hpp"

namespace formation::dns_powerdns {

namespace {

// The "id" of an instance event's payload; empty when the payload has none.
std::string instance_id_of(const Event& event) {
  rapidjson::Document doc;
  doc.Parse(event.payload_json.c_str());
  if (doc.HasParseError() || !doc.IsObject()) return {};
  auto it = doc.FindMember("id");
  if (it == doc.MemberEnd() || !it->value.IsString()) return {};
  return it->value.GetString();
}

std::string change_payload(const NameChange& change) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("fqdn");
  w.String(change.fqdn.c_str());
  w.Key("type");
  w.String("A");
  w.Key("instance_id");
  w.String(change.instance_id.c_str());
  w.Key("change");
  w.String(change.removed ? "removed" : "created");
  w.EndObject();
  return buffer.GetString();
}

bool is_type_mnemonic(const std::string& qtype) {
  return !qtype.empty() && qtype.size() <= 10 &&
         std::all_of(qtype.begin(), qtype.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace

PowerDnsPlugin::PowerDnsPlugin(HostServices& host, Settings settings)
    : host_(host),
      log_(host.logger()),
      settings_(std::move(settings)),
      source_(std::string(host.plugin_name()) + "/" + std::string(host.instance_name())) {}

PowerDnsPlugin::~PowerDnsPlugin() { stop(); }

Status PowerDnsPlugin::start() {
  store_ = host_.find<StateStore>();
  if (store_ == nullptr) {
    return Status::unavailable(
        "dns-powerdns keeps its names in the state store, and none is configured: add a "
        "state-sqlite or state-postgres file to plugins.d");
  }
  names_ = std::make_unique<AutomaticNames>(*store_, settings_.answers.zone, settings_.answers.ttl,
                                            log_);
  if (auto st = refresh(); !st.is_ok()) {
    return {st.code(), "reading the names to serve from the state store: " + st.message()};
  }

  if (settings_.unix_connector.enabled) {
    unix_connector_ = std::make_unique<UnixConnector>(view_, log_);
    if (auto st =
            unix_connector_->start(settings_.unix_connector.path, settings_.unix_connector.mode);
        !st.is_ok()) {
      unix_connector_.reset();
      return {st.code(), "parameters.connectors.unix: " + st.message()};
    }
  }
  if (settings_.http_connector.enabled) {
    http_connector_ = std::make_unique<HttpConnector>(view_, log_);
    auto port =
        http_connector_->start(settings_.http_connector.address, settings_.http_connector.port);
    if (!port.is_ok()) {
      http_connector_.reset();
      if (unix_connector_) unix_connector_->stop();
      return {port.status().code(), "parameters.connectors.http: " + port.status().message()};
    }
    http_port_ = *port;
  }

  {
    const std::lock_guard lock(state_mutex_);
    stopping_ = false;
  }
  // "instance." covers created, deleted and state_changed (addresses and nodes move).
  for (const char* prefix : {"instance.", "dns.record_changed", "mesh."}) {
    subscriptions_.push_back(
        host_.events().subscribe(prefix, [this](const Event& event) { on_event(event); }));
  }
  timer_ = host_.timers().every(std::chrono::seconds(settings_.refresh_seconds), [this] {
    if (!enter()) return;
    note(refresh(), "refreshing");
    leave();
  });
  log_->info("serving zone {} ({} zones) to PowerDNS{}{}", settings_.answers.zone,
             view_.current()->zones.size(),
             unix_connector_ ? " on unix:" + settings_.unix_connector.path.string() : "",
             http_port_ ? " on http://" + settings_.http_connector.address + ":" +
                              std::to_string(*http_port_)
                        : "");
  return Status::ok();
}

void PowerDnsPlugin::stop() {
  {
    std::unique_lock lock(state_mutex_);
    stopping_ = true;
  }
  for (auto id : subscriptions_) host_.events().unsubscribe(id);
  subscriptions_.clear();
  if (timer_) host_.timers().cancel(*timer_);
  timer_.reset();
  {
    std::unique_lock lock(state_mutex_);
    idle_.wait(lock, [this] { return in_flight_ == 0; });
  }
  if (http_connector_) http_connector_->stop();
  if (unix_connector_) unix_connector_->stop();
}

PluginHealth PowerDnsPlugin::health() const {
  const std::lock_guard lock(state_mutex_);
  if (!last_error_.empty()) return {HealthState::degraded, "last refresh failed: " + last_error_};
  return {};
}

Result<std::vector<std::string>> PowerDnsPlugin::zones() {
  std::vector<std::string> out;
  for (const auto& zone : view_.current()->zones) out.push_back(zone.info.name);
  return out;
}

Status PowerDnsPlugin::reload() {
  if (store_ == nullptr) return Status::unavailable("dns-powerdns has not started");
  Status st = rebuild();
  note(st, "reloading");
  return st;
}

Result<std::vector<DnsAnswer>> PowerDnsPlugin::lookup(const std::string& qname,
                                                      const std::string& qtype,
                                                      const std::string& client_address) {
  auto name = dns::normalise_name(qname);
  if (!name.is_ok()) return name.status();
  std::string type = qtype;
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (!is_type_mnemonic(type)) {
    return Status::invalid("'" + qtype + "' is not a DNS type (A, AAAA, CNAME, TXT, SOA, NS, ANY)");
  }
  ClientInfo client;
  if (!client_address.empty()) {
    if (!parse_client_subnet(client_address)) {
      return Status::invalid("'" + client_address + "' is not an IP address or address/prefix");
    }
    if (client_address.find('/') != std::string::npos) {
      client.real_remote = client_address;
    } else {
      client.remote = client_address;
    }
  }
  std::vector<Answer> answers;
  view_.lookup(*name, type, client, answers);
  std::vector<DnsAnswer> out;
  out.reserve(answers.size());
  for (auto& a : answers) {
    out.push_back(DnsAnswer{std::move(a.name), std::move(a.type), std::move(a.content), a.ttl});
  }
  return out;
}

Result<bool> PowerDnsPlugin::check_verification(const std::string& fqdn, const std::string& token) {
  auto name = dns::normalise_name(fqdn);
  if (!name.is_ok()) return name.status();
  return check_challenge(settings_.verification, *name, token);
}

Status PowerDnsPlugin::rebuild() {
  const std::lock_guard lock(rebuild_mutex_);
  auto input = read_snapshot_input(*store_);
  if (!input.is_ok()) return input.status();
  auto snapshot = build_snapshot(settings_.answers, *input);
  log_->debug("reloaded: {} zones, {} names, serial {}", snapshot->zones.size(),
              snapshot->names.size(), snapshot->change_serial);
  view_.publish(std::move(snapshot));
  return Status::ok();
}

Status PowerDnsPlugin::refresh() {
  auto input = read_snapshot_input(*store_);
  if (!input.is_ok()) return input.status();
  auto changes = names_->reconcile(input->instances, input->records);
  if (!changes.is_ok()) {
    log_->warn("reconciling automatic names: {}", changes.status().to_string());
  } else {
    announce(*changes);
  }
  return rebuild();
}

void PowerDnsPlugin::note(const Status& status, const char* doing) {
  const std::lock_guard lock(state_mutex_);
  if (status.is_ok()) {
    last_error_.clear();
    return;
  }
  last_error_ = status.to_string();
  log_->warn("{} the names served: {}", doing, last_error_);
}

void PowerDnsPlugin::on_event(const Event& event) {
  if (event.source == source_) return;  // our own dns.record_changed: already reloaded
  if (event.type == "instance.created" || event.type == "instance.deleted") {
    const std::string id = instance_id_of(event);
    if (id.empty()) {
      log_->warn("{} event without an instance id ignored", event.type);
      return;
    }
    const bool created = event.type == "instance.created";
    run_in_pool([this, id, created] {
      auto changes = created ? names_->name_instance(id) : names_->forget_instance(id);
      if (!changes.is_ok()) {
        log_->warn("{} the name of instance {}: {}", created ? "writing" : "removing", id,
                   changes.status().to_string());
        return;
      }
      announce(*changes);
      note(rebuild(), "reloading");
    });
    return;
  }
  if (event.type == "instance.resized") return;  // nothing DNS shows
  schedule_reload();
}

// A burst of events (a node restarting its instances) costs one or two rebuilds, not one
// per event: a queued reload absorbs every event that arrives before it runs.
void PowerDnsPlugin::schedule_reload() {
  if (reload_queued_.exchange(true)) return;
  run_in_pool([this] {
    reload_queued_ = false;
    note(rebuild(), "reloading");
  });
}

void PowerDnsPlugin::run_in_pool(std::function<void()> work) {
  if (!enter()) return;
  host_.blocking_pool().post([this, work = std::move(work)] {
    work();
    leave();
  });
}

bool PowerDnsPlugin::enter() {
  const std::lock_guard lock(state_mutex_);
  if (stopping_) return false;
  ++in_flight_;
  return true;
}

void PowerDnsPlugin::leave() {
  const std::lock_guard lock(state_mutex_);
  --in_flight_;
  idle_.notify_all();  // under the lock: stop() may destroy us as soon as it sees 0
}

void PowerDnsPlugin::announce(const std::vector<NameChange>& changes) {
  for (const auto& change : changes) {
    host_.events().publish(Event{"dns.record_changed", change_payload(change), source_});
  }
}

}  // namespace formation::dns_powerdns

#include "mesh_wireguard.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <spdlog/spdlog.h>

#include <algorithm>

#include "endpoint_rules.hpp"
#include "visibility.hpp"

namespace formation::mesh_wireguard {

namespace {

std::string joined_endpoint(const std::string& ip, int port) {
  return ip + ":" + std::to_string(port);
}

}  // namespace

MeshWireGuardPlugin::MeshWireGuardPlugin(HostServices& host, Settings settings)
    : host_(host), settings_(std::move(settings)) {}

MeshWireGuardPlugin::~MeshWireGuardPlugin() { stop(); }

Result<PeerStore*> MeshWireGuardPlugin::peers() {
  if (!store_) return Status::unavailable("mesh-wireguard is not started");
  return store_.get();
}

Status MeshWireGuardPlugin::start() {
  auto* store = host_.find<StateStore>();
  if (store == nullptr) return Status::unavailable("mesh-wireguard needs a state_store plugin");
  auto private_key = load_or_create_private_key(settings_.private_key_file);
  if (!private_key.is_ok()) return private_key.status();
  auto public_key = public_key_of(*private_key);
  if (!public_key.is_ok()) return public_key.status();
  public_key_ = *public_key;
  public_key_text_ = base64_encode(*public_key);
  store_ = std::make_unique<PeerStore>(*store);
  stopping_ = false;
  activated_ = false;

  if (settings_.manage_interface) {
    for (const char* prefix : {"mesh.", "instance.deleted"}) {
      subscriptions_.push_back(
          host_.events().subscribe(prefix, [this](const Event&) { schedule_apply(); }));
    }
    timer_ = host_.timers().every(std::chrono::seconds(settings_.apply_interval_seconds),
                                  [this] { on_timer(); });
  }
  return Status::ok();
}

void MeshWireGuardPlugin::stop() {
  if (stopping_.exchange(true)) return;
  if (timer_) host_.timers().cancel(*timer_);
  timer_.reset();
  for (auto id : subscriptions_) host_.events().unsubscribe(id);
  subscriptions_.clear();
  {
    std::unique_lock lock(work_mutex_);
    work_done_.wait(lock, [this] { return in_flight_ == 0; });
  }
  std::lock_guard lock(apply_mutex_);
  filter_.reset();
  if (interface_) {
    interface_->tear_down();
    interface_.reset();
  }
}

PluginHealth MeshWireGuardPlugin::health() const {
  std::lock_guard lock(health_mutex_);
  if (last_error_.empty()) return {};
  return {HealthState::degraded, "last apply failed: " + last_error_};
}

pid_t MeshWireGuardPlugin::userspace_pid() const {
  return interface_ ? interface_->userspace_pid() : -1;
}

void MeshWireGuardPlugin::schedule_apply() {
  if (!activated_ || stopping_ || apply_queued_.exchange(true)) return;
  {
    std::lock_guard lock(work_mutex_);
    ++in_flight_;
  }
  host_.blocking_pool().post([this] {
    apply_queued_ = false;
    if (!stopping_) (void)apply();
    std::lock_guard lock(work_mutex_);
    if (--in_flight_ == 0) work_done_.notify_all();
  });
}

void MeshWireGuardPlugin::on_timer() {
  if (!activated_ || stopping_ || !store_) return;
  auto serial = store_->change_serial();
  if (!serial.is_ok()) {
    std::lock_guard lock(health_mutex_);
    last_error_ = serial.status().message();
    return;
  }
  bool changed = false;
  {
    std::lock_guard lock(apply_mutex_);
    changed = *serial != applied_serial_;
  }
  if (changed) (void)apply();
}

Status MeshWireGuardPlugin::apply() {
  if (!settings_.manage_interface) return Status::ok();
  activated_ = true;
  std::lock_guard lock(apply_mutex_);
  auto st = apply_locked();
  std::lock_guard health(health_mutex_);
  last_error_ = st.is_ok() ? "" : st.message();
  if (!st.is_ok()) host_.logger()->warn("apply: {}", st.message());
  return st;
}

Status MeshWireGuardPlugin::bring_up_locked() {
  auto interface = std::make_unique<WireGuardInterface>(settings_, host_.data_dir());
  if (auto st = interface->bring_up(); !st.is_ok()) {
    return Status::unavailable("bringing up " + settings_.interface + ": " + st.message());
  }
  interface_ = std::move(interface);
  filter_ = std::make_unique<ForwardingFilter>(settings_, host_.data_dir());
  host_.logger()->info("interface {} up ({}), public key {}, port {}", settings_.interface,
                       interface_->backend(), public_key_text_, settings_.listen_port);
  return Status::ok();
}

Status MeshWireGuardPlugin::apply_locked() {
  if (!store_) return Status::unavailable("mesh-wireguard is not started");
  if (!interface_) {
    if (auto st = bring_up_locked(); !st.is_ok()) return st;
  }
  // The serial is read before the peers: a change committed in between makes the next timer
  // apply again.
  auto snapshot = store_->all();
  if (!snapshot.is_ok()) return snapshot.status();
  const auto& all = (*snapshot)->peers;
  const std::int64_t serial = (*snapshot)->serial;
  const MeshPeer* self = nullptr;
  for (const auto& p : all) {
    if (p.public_key == public_key_text_) self = &p;
  }
  if (self == nullptr) {
    applied_serial_ = serial;
    return Status::ok();  // the host has not written the node's row yet
  }
  if (auto st = interface_->ensure_address(self->address, settings_.cidr.prefix); !st.is_ok()) {
    return st;
  }
  std::vector<WireGuardPeer> wanted;
  for (const auto& p : visible_to_peer(all, *self)) wanted.push_back(wireguard_peer_of(p, 0));
  auto running = interface_->running_peers();
  if (!running.is_ok()) return running.status();
  const auto diff = diff_peers(wanted, *running);
  if (!diff.empty()) {
    if (auto st = interface_->apply(diff); !st.is_ok()) return st;
    host_.logger()->debug("applied: {} peers added or changed, {} removed", diff.upsert.size(),
                          diff.remove.size());
  }
  if (auto st = filter_->apply(forward_groups(all, *self)); !st.is_ok()) return st;
  applied_serial_ = serial;
  return Status::ok();
}

Result<MeshPeer> MeshWireGuardPlugin::allocate_address(MeshPeerKind kind,
                                                       const std::string& owner) {
  auto store = peers();
  if (!store.is_ok()) return store.status();
  MeshPeer reservation;
  reservation.id = random_peer_id();
  reservation.kind = kind;
  reservation.owner = owner;
  return (*store)->create_in(settings_.range_of(kind), reservation);
}

Status MeshWireGuardPlugin::release_address(const std::string& address) {
  auto store = peers();
  if (!store.is_ok()) return store.status();
  auto holder = (*store)->by_address(address);
  if (!holder.is_ok()) return holder.status();
  if (!holder->has_value()) return Status::ok();
  auto st = (*store)->remove((*holder)->id);
  return st.code() == StatusCode::not_found ? Status::ok() : st;
}

Result<MeshPeer> MeshWireGuardPlugin::add_peer(const MeshPeerRequest& request) {
  auto store = peers();
  if (!store.is_ok()) return store.status();
  if (auto st = validate_public_key(request.public_key); !st.is_ok()) return st;
  auto endpoints = normalise_endpoints(request.endpoints);
  if (!endpoints.is_ok()) return endpoints.status();
  if (request.kind == MeshPeerKind::node && request.node_id.empty()) {
    return Status::invalid("a node peer needs its node_id (its peer id)");
  }
  auto holder = (*store)->by_public_key(request.public_key);
  if (!holder.is_ok()) return holder.status();
  if (holder->has_value()) return Status::conflict("public key is already in the mesh");
  if (!request.address.empty()) return fill_reservation(request, std::move(endpoints).value());

  MeshPeer peer;
  peer.id = request.kind == MeshPeerKind::node ? request.node_id : random_peer_id();
  peer.kind = request.kind;
  peer.owner = request.owner;
  peer.public_key = request.public_key;
  peer.endpoints = std::move(endpoints).value();
  peer.node_id = request.node_id;
  if (request.kind == MeshPeerKind::instance) peer.instance_id = request.instance_id;
  return (*store)->create_in(settings_.range_of(request.kind), peer);
}

Result<MeshPeer> MeshWireGuardPlugin::fill_reservation(const MeshPeerRequest& request,
                                                       std::vector<std::string> endpoints) {
  auto reserved = store_->by_address(request.address);
  if (!reserved.is_ok()) return reserved.status();
  auto refused = Status::invalid("address " + request.address + " is not reserved for this " +
                                 std::string(to_string(request.kind)) + " of this owner");
  if (!reserved->has_value()) return refused;
  const auto id = (*reserved)->id;
  return store_->update(id, [&](MeshPeer& row) -> Status {
    if (row.kind != request.kind || row.owner != request.owner) return refused;
    if (!row.public_key.empty()) {
      return Status::conflict("address " + request.address + " has joined already");
    }
    row.public_key = request.public_key;
    row.endpoints = endpoints;
    row.node_id = request.node_id;
    row.instance_id = request.instance_id;
    return Status::ok();
  });
}

Status MeshWireGuardPlugin::remove_peer(const std::string& peer_id) {
  auto store = peers();
  if (!store.is_ok()) return store.status();
  auto existing = (*store)->get(peer_id);
  if (!existing.is_ok()) return existing.status();
  return (*store)->remove(peer_id);
}

Result<std::vector<MeshPeer>> MeshWireGuardPlugin::list_peers(const std::string& visible_to) {
  auto store = peers();
  if (!store.is_ok()) return store.status();
  auto snapshot = (*store)->all();
  if (!snapshot.is_ok()) return snapshot.status();
  const auto& all = (*snapshot)->peers;
  return visible_to_account(all, visible_to);
}

Result<PeerConfig> MeshWireGuardPlugin::peer_config_for(const std::string& peer_id) {
  auto store = peers();
  if (!store.is_ok()) return store.status();
  auto snapshot = (*store)->all();
  if (!snapshot.is_ok()) return snapshot.status();
  const auto& all = (*snapshot)->peers;
  for (const auto& p : all) {
    if (p.id == peer_id) {
      return config_for(all, p, format_cidr(settings_.cidr), settings_.persistent_keepalive_s);
    }
  }
  return Status::not_found("no mesh peer " + peer_id);
}

std::vector<std::string> MeshWireGuardPlugin::advertised_endpoints() const {
  if (!settings_.advertise.empty()) return settings_.advertise;
  std::vector<std::string> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (auto* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
    const std::uint32_t ip = ntohl(in->sin_addr.s_addr);
    // Loopback is useless to others, and the mesh's own address is reached through the mesh.
    if ((ip >> 24) == 127 || contains(settings_.cidr, ip)) continue;
    auto endpoint = joined_endpoint(format_ipv4(ip), settings_.listen_port);
    if (std::find(out.begin(), out.end(), endpoint) == out.end()) out.push_back(endpoint);
    if (out.size() == kMaxEndpoints) break;
  }
  ::freeifaddrs(list);
  return out;
}

Result<LocalInterface> MeshWireGuardPlugin::local_interface() {
  if (!store_ || !public_key_) return Status::unavailable("mesh-wireguard is not started");
  LocalInterface out;
  out.name = settings_.interface;
  out.public_key = public_key_text_;
  out.listen_port = settings_.listen_port;
  out.endpoints = advertised_endpoints();
  auto self = store_->by_public_key(public_key_text_);
  if (self.is_ok() && self->has_value()) out.address = (*self)->address;
  return out;
}

Result<MeshPeer> MeshWireGuardPlugin::report_endpoints(const std::string& peer_id,
                                                       const std::vector<std::string>& candidates,
                                                       const std::string& observed_source) {
  auto store = peers();
  if (!store.is_ok()) return store.status();
  auto endpoints = reachable_endpoints(candidates, observed_source);
  if (!endpoints.is_ok()) return endpoints.status();
  return (*store)->update(peer_id, [&](MeshPeer& row) {
    row.endpoints = *endpoints;
    return Status::ok();
  });
}

}  // namespace formation::mesh_wireguard

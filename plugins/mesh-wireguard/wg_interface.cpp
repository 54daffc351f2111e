#include "wg_interface.hpp"

#include <thread>

namespace formation::mesh_wireguard {

namespace {
using namespace std::chrono_literals;
}  // namespace

WireGuardInterface::WireGuardInterface(const Settings& settings, std::filesystem::path log_dir)
    : settings_(settings), runner_(settings.netns), log_dir_(std::move(log_dir)) {}

WireGuardInterface::~WireGuardInterface() { tear_down(); }

bool WireGuardInterface::exists() {
  auto result = runner_.run({"ip", "link", "show", "dev", settings_.interface});
  return result.is_ok() && result->exit_code == 0;
}

Status WireGuardInterface::wait_until_ready() {
  // wireguard-go creates the device, then its UAPI socket; `wg show` needs both.
  for (int i = 0; i < 250; ++i) {
    auto shown = runner_.run({"wg", "show", settings_.interface, "public-key"});
    if (shown.is_ok() && shown->exit_code == 0) return Status::ok();
    if (userspace_pid_ > 0 && !process_running(userspace_pid_)) {
      userspace_pid_ = -1;
      return Status::unavailable("wireguard-go exited at start; see " +
                                 (log_dir_ / "wireguard-go.log").string());
    }
    std::this_thread::sleep_for(20ms);
  }
  return Status::unavailable("interface " + settings_.interface + " did not come up within 5 s");
}

Status WireGuardInterface::create_userspace() {
  auto pid = runner_.spawn({"wireguard-go", "-f", settings_.interface},
                           {"WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1"},
                           log_dir_ / "wireguard-go.log");
  if (!pid.is_ok()) return pid.status();
  userspace_pid_ = *pid;
  created_ = true;
  backend_ = "userspace";
  return wait_until_ready();
}

Status WireGuardInterface::bring_up() {
  if (exists()) {
    backend_ = "existing";
  } else if (settings_.backend == Backend::userspace) {
    if (auto st = create_userspace(); !st.is_ok()) return st;
  } else {
    auto kernel = runner_.run({"ip", "link", "add", settings_.interface, "type", "wireguard"});
    if (kernel.is_ok() && kernel->exit_code == 0) {
      created_ = true;
      backend_ = "kernel";
    } else if (settings_.backend == Backend::kernel) {
      return Status::unavailable("kernel WireGuard is not available (`ip link add " +
                                 settings_.interface + " type wireguard` failed: " +
                                 (kernel.is_ok() ? kernel->err : kernel.status().message()) + ")");
    } else if (auto st = create_userspace(); !st.is_ok()) {
      return st;
    }
  }
  auto set = runner_.check({"wg", "set", settings_.interface, "private-key",
                            settings_.private_key_file.string(), "listen-port",
                            std::to_string(settings_.listen_port)});
  if (!set.is_ok()) return set.status();
  auto up = runner_.check({"ip", "link", "set", "dev", settings_.interface, "up"});
  return up.is_ok() ? Status::ok() : up.status();
}

void WireGuardInterface::tear_down() {
  if (!created_) return;
  created_ = false;
  if (userspace_pid_ > 0) {
    // wireguard-go removes its device and socket when it ends.
    terminate_process(userspace_pid_, 3s);
    userspace_pid_ = -1;
  }
  if (exists()) (void)runner_.run({"ip", "link", "del", "dev", settings_.interface});
}

Status WireGuardInterface::ensure_address(const std::string& address, int prefix) {
  const auto wanted = address + "/" + std::to_string(prefix);
  if (wanted == address_done_) return Status::ok();
  auto done = runner_.check({"ip", "addr", "replace", wanted, "dev", settings_.interface});
  if (!done.is_ok()) return done.status();
  address_done_ = wanted;
  return Status::ok();
}

Result<std::vector<RunningPeer>> WireGuardInterface::running_peers() {
  auto dump = runner_.check({"wg", "show", settings_.interface, "dump"});
  if (!dump.is_ok()) return dump.status();
  return parse_dump(*dump);
}

Status WireGuardInterface::apply(const PeerDiff& diff) {
  for (auto& args : wg_set_arguments(diff)) {
    args.insert(args.begin(), {"wg", "set", settings_.interface});
    auto done = runner_.check(args);
    if (!done.is_ok()) return done.status();
  }
  return Status::ok();
}

}  // namespace formation::mesh_wireguard

#include "domain_state.hpp"

#include <libvirt/libvirt.h>

namespace formation::libvirt {

DomainRunState run_state(int s) {
  switch (s) {
    case VIR_DOMAIN_RUNNING: return DomainRunState::running;
    case VIR_DOMAIN_BLOCKED: return DomainRunState::running;  // idle, not stuck
    case VIR_DOMAIN_PAUSED: return DomainRunState::paused;
    case VIR_DOMAIN_SHUTDOWN: return DomainRunState::shutting_down;
    case VIR_DOMAIN_SHUTOFF: return DomainRunState::shut_off;
    case VIR_DOMAIN_CRASHED: return DomainRunState::crashed;
    case VIR_DOMAIN_PMSUSPENDED: return DomainRunState::suspended;
    default: return DomainRunState::unknown;
  }
}

std::string state_reason(int s, int r) {
  switch (s) {
    case VIR_DOMAIN_RUNNING:
      switch (r) {
        case VIR_DOMAIN_RUNNING_BOOTED: return "booted";
        case VIR_DOMAIN_RUNNING_MIGRATED: return "migrated";
        case VIR_DOMAIN_RUNNING_RESTORED: return "restored";
        case VIR_DOMAIN_RUNNING_UNPAUSED: return "unpaused";
        case VIR_DOMAIN_RUNNING_WAKEUP: return "wakeup";
        default: return "running";
      }
    case VIR_DOMAIN_PAUSED:
      switch (r) {
        case VIR_DOMAIN_PAUSED_USER: return "user";
        case VIR_DOMAIN_PAUSED_IOERROR: return "io_error";
        case VIR_DOMAIN_PAUSED_SHUTTING_DOWN: return "shutting_down";
        case VIR_DOMAIN_PAUSED_CRASHED: return "crashed";
        default: return "paused";
      }
    case VIR_DOMAIN_SHUTDOWN: return "shutdown";
    case VIR_DOMAIN_SHUTOFF:
      switch (r) {
        case VIR_DOMAIN_SHUTOFF_SHUTDOWN: return "shutdown";
        case VIR_DOMAIN_SHUTOFF_DESTROYED: return "destroyed";
        case VIR_DOMAIN_SHUTOFF_CRASHED: return "crashed";
        case VIR_DOMAIN_SHUTOFF_MIGRATED: return "migrated";
        case VIR_DOMAIN_SHUTOFF_SAVED: return "saved";
        case VIR_DOMAIN_SHUTOFF_FAILED: return "failed";
        case VIR_DOMAIN_SHUTOFF_DAEMON: return "daemon";
        default: return "never_started";
      }
    case VIR_DOMAIN_CRASHED: return "crashed";
    case VIR_DOMAIN_PMSUSPENDED: return "pm_suspended";
    default: return "unknown";
  }
}

MappedEvent map_lifecycle_event(int event, int detail) {
  switch (event) {
    case VIR_DOMAIN_EVENT_STARTED:
      return {true, DomainRunState::running,
              detail == VIR_DOMAIN_EVENT_STARTED_RESTORED ? "restored" : "booted"};
    case VIR_DOMAIN_EVENT_SUSPENDED: return {true, DomainRunState::paused, "paused"};
    case VIR_DOMAIN_EVENT_RESUMED: return {true, DomainRunState::running, "unpaused"};
    case VIR_DOMAIN_EVENT_SHUTDOWN: return {true, DomainRunState::shutting_down, "shutdown"};
    case VIR_DOMAIN_EVENT_STOPPED:
      switch (detail) {
        case VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN: return {true, DomainRunState::shut_off, "shutdown"};
        case VIR_DOMAIN_EVENT_STOPPED_DESTROYED:
          return {true, DomainRunState::shut_off, "destroyed"};
        case VIR_DOMAIN_EVENT_STOPPED_CRASHED: return {true, DomainRunState::shut_off, "crashed"};
        case VIR_DOMAIN_EVENT_STOPPED_FAILED: return {true, DomainRunState::shut_off, "failed"};
        default: return {true, DomainRunState::shut_off, "stopped"};
      }
    case VIR_DOMAIN_EVENT_CRASHED: return {true, DomainRunState::crashed, "crashed"};
    case VIR_DOMAIN_EVENT_PMSUSPENDED: return {true, DomainRunState::suspended, "pm_suspended"};
    default: return {};
  }
}

}  // namespace formation::libvirt

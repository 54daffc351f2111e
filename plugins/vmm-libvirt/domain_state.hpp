// libvirt's domain states, state reasons and lifecycle events in the Vmm's words.
#pragma once

#include <string>

#include "formation/kinds/vmm.hpp"

namespace formation::libvirt {

DomainRunState run_state(int libvirt_state);
std::string state_reason(int libvirt_state, int reason);

struct MappedEvent {
  bool relevant = false;  // defined/undefined are not state changes
  DomainRunState state = DomainRunState::unknown;
  std::string reason;
};
MappedEvent map_lifecycle_event(int event, int detail);

}  // namespace formation::libvirt

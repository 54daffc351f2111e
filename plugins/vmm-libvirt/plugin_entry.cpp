// The library's one exported symbol; kept apart so that the tests can link the Vmm
// without it.
#include "vmm_libvirt.hpp"

FORMATION_PLUGIN(formation::libvirt::describe)

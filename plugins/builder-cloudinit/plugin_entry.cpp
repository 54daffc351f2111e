// The library's one exported symbol; kept apart so that the tests can link the builder
// without it.
#include "builder_cloudinit.hpp"

FORMATION_PLUGIN(formation::cloudinit::describe)

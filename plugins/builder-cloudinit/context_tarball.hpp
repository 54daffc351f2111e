// The context as the guest receives it: the normalised tar of the upload without the
// root Formfile, because the Formfile holds the users' plaintext passwords and only
// their hashes may leave the builder.
#pragma once

#include <filesystem>

#include "formation/status.hpp"

namespace formation::cloudinit {

// Copies the tar `in` to `out` (POSIX pax), leaving out the root `Formfile`. invalid when
// another entry is a hard link to it (it would carry the same text); internal on I/O
// errors. On error `out` does not exist afterwards.
Status write_guest_context(const std::filesystem::path& in, const std::filesystem::path& out);

}  // namespace formation::cloudinit

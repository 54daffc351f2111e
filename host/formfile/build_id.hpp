// build_id = lowercase hex(SHA3-256(owner address as 20 raw bytes || NAME)) (FORMFILE.md
// "What a build produces"; the seed network's definition): the same owner building the
// same NAME always gets the same id, so a rebuild replaces the last build.
#pragma once

#include <string>
#include <string_view>

#include "formation/status.hpp"

namespace formation::formfile {

// invalid when `owner` is not "0x" + 40 hex digits (either case).
Result<std::string> build_id(std::string_view owner, std::string_view name);

}  // namespace formation::formfile

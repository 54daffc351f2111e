// Passwords become SHA-512 crypt hashes before anything is written (FORMFILE.md: a
// password is stored only as `$6$rounds=4096$<16-char salt>$...`).
#pragma once

#include <string>
#include <string_view>

#include "formation/status.hpp"

namespace formation::cloudinit {

inline constexpr std::string_view kHashPrefix = "$6$rounds=4096$";
inline constexpr std::size_t kSaltLength = 16;

// A fresh random salt each call, so two users with one password get different hashes.
// internal when the system's RNG or crypt_r fails.
Result<std::string> hash_password(std::string_view password);

}  // namespace formation::cloudinit

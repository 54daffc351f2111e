// DNS names as Formation stores and compares them: lower case, no trailing dot, labels of
// letters, digits, '-' and '_' (for service labels such as "_dmarc"), 1 to 63 bytes each,
// 253 bytes in all (RFC 1035 §2.3.4 in presentation form).
#pragma once

#include <string>
#include <string_view>

#include "formation/status.hpp"

namespace formation::dns {

inline constexpr std::size_t kMaxLabelBytes = 63;
inline constexpr std::size_t kMaxNameBytes = 253;

// The canonical form of `name` (lower case, one trailing dot removed), or `invalid` with a
// message that names the offending label ("label 'a..b' ..."). The root (".") and the empty
// name are invalid: nothing Formation serves lives there.
Result<std::string> normalise_name(std::string_view name);

// normalise_name without its message or allocation, for a path that runs on every DNS
// query: writes the canonical form to `out` (a buffer the caller reuses) and returns true,
// or returns false exactly where normalise_name answers `invalid`.
bool canonicalise(std::string_view name, std::string& out);

// Whether `name` equals `zone` or lies under it; both canonical. "a.b.c" is under "b.c",
// "ab.c" is not.
bool is_at_or_under(std::string_view name, std::string_view zone);

// The parent of a canonical name ("b.c" for "a.b.c"); empty for a single label.
std::string_view parent_of(std::string_view name);

// Number of labels of a canonical name.
std::size_t label_count(std::string_view name);

// A DNS label made from free text (an instance name): lower case, runs of other characters
// become '-', trimmed to 63 bytes, never empty ("instance" when nothing is left).
std::string label_from(std::string_view text);

// Where a tenant publishes the proof that they control a custom domain.
std::string challenge_name(std::string_view fqdn);  // "_formation-challenge.<fqdn>"

// The TXT value that proves `owner` (0x address) controls `fqdn`: 32 lower-case hex
// characters of SHA-256("formation-challenge\n" + owner + "\n" + fqdn). Derived, not
// random, so the same account always gets the same challenge for the same name and the
// API can show it before any record exists; another account gets a different one.
std::string challenge_token(std::string_view owner, std::string_view fqdn);

}  // namespace formation::dns

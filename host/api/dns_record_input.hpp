// What a tenant sends to the DNS routes (docs/api.md "DNS"), checked before anything is
// read from the store: the {fqdn} path parameter, the PUT body and its values. Every
// refusal is `invalid` with a message that names the field and says what is allowed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formation/records/network.hpp"
#include "formation/status.hpp"

namespace formation::host::api {

// Caps of a record (documented in docs/api.md; the DNS wire allows more, but a tenant's
// RRset this large is a mistake or abuse).
inline constexpr std::size_t kMaxDnsValues = 16;
inline constexpr std::size_t kMaxTxtBytes = 255;  // one character-string (RFC 1035 §3.3)
inline constexpr std::int64_t kMinDnsTtl = 1;
inline constexpr std::int64_t kMaxDnsTtl = 604800;  // one week
inline constexpr std::int64_t kDefaultDnsTtl = 300;

// The canonical name for the {fqdn} path parameter: a name without a dot is relative to
// the network zone ("web" -> "web.<zone>"); anything else goes through normalise_name
// (a trailing dot is allowed). invalid with normalise_name's message otherwise.
Result<std::string> resolve_record_name(std::string_view name, std::string_view zone);

// "a", "Aaaa", ... -> the type; invalid naming the accepted types otherwise.
Result<DnsRecordType> parse_record_type(std::string_view text);

// A PUT /v1/dns/records/{fqdn} body, validated: either `values` (canonical: addresses in
// their standard form, the CNAME target normalised, duplicates dropped) or `instance_id`
// (A or AAAA only), never both.
struct RecordInput {
  DnsRecordType type = DnsRecordType::a;
  std::vector<std::string> values;
  std::optional<std::string> instance_id;
  std::int64_t ttl = kDefaultDnsTtl;
};

// {"type": ..., "values": [...] | "instance_id": "...", "ttl": N}. Unknown fields are
// refused by name, like every other body of the API.
Result<RecordInput> parse_record_input(std::string_view body);

// The values of one RRset, checked for its type and made canonical.
Result<std::vector<std::string>> validate_values(DnsRecordType type,
                                                 const std::vector<std::string>& values);

}  // namespace formation::host::api

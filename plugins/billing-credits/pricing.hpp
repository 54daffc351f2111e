// The price of one usage record, and credits written for people.
#pragma once

#include <cstdint>
#include <string>

#include "formation/records/money.hpp"
#include "formation/status.hpp"
#include "settings.hpp"

namespace formation::billing_credits {

// Micro-credits for one record: allocated vCPUs and memory (GB = 1024 MB) and the disk
// allocated at the period's end, each times the period's length in seconds, plus egress
// (GB = 10^9 bytes). The exact sum is rounded half up once, so the same record always
// costs the same. invalid for an empty or inverted period or negative quantities.
Result<std::int64_t> price_of(const UsageRecord& usage, const Prices& prices);

// 1500000 -> "1.5 credits", -20 -> "-0.00002 credits", 0 -> "0 credits".
std::string format_credits(std::int64_t micro);

}  // namespace formation::billing_credits

// Ledger entry ids. A usage debit's id is derived from its key, so that two hosts debiting
// the same period at once collide on the primary key instead of writing twice.
#pragma once

#include <string>

#include "formation/records/common.hpp"

namespace formation::billing_credits {

// 32 lower-case hex digits of SHA-256("usage-debit\n" instance_id "\n" start in ms).
std::string debit_id(const std::string& instance_id, TimePoint period_start);

// 32 random lower-case hex digits (credits have no natural key).
std::string random_id();

}  // namespace formation::billing_credits

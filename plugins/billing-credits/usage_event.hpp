// The `usage.sample` event's payload (schemas/events/usage.schema.json), reduced to what a
// debit needs: which record to look up in the state store.
#pragma once

#include <string>
#include <string_view>

#include "formation/records/common.hpp"
#include "formation/rfc3339.hpp"
#include "formation/status.hpp"

namespace formation::billing_credits {

struct UsageSample {
  std::string instance_id;
  std::string user_id;  // the owner address, as the metering plugin saw it
  Period period;
};

// invalid, naming the field, for anything that is not a usage.sample object with
// instance_id and period{start, end} as RFC 3339 UTC times.
Result<UsageSample> parse_usage_sample(std::string_view json);

}  // namespace formation::billing_credits

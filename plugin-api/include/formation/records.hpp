// Every record the state store keeps and the kind interfaces exchange. Plain structs of
// std types; conventions (ids, addresses, time, money, row versions) in records/common.hpp.
#pragma once

#include "formation/records/common.hpp"    // IWYU pragma: export
#include "formation/records/compute.hpp"   // IWYU pragma: export
#include "formation/records/identity.hpp"  // IWYU pragma: export
#include "formation/records/money.hpp"     // IWYU pragma: export
#include "formation/records/network.hpp"   // IWYU pragma: export

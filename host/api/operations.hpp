// Operations (DESIGN.md §5): the progress of slow work answered with 202.
// GET /v1/operations/{id} shows one to the caller that started it (and to admins); to
// anyone else it does not exist (404).
#pragma once

#include <string>

#include "api/api_support.hpp"
#include "api/routes.hpp"
#include "formation/records.hpp"

namespace formation::host::api {

void write_operation(JsonWriter& w, const Operation& operation);

// A fresh id: 32 lower-case hex digits from the system's CSPRNG.
std::string new_operation_id();

Status add_operation_routes(Router& router, ApiContext context);

}  // namespace formation::host::api

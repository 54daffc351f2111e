// JSON Schema (draft-04) checks with errors an operator can act on:
//   "plugins.d/echo.json: /parameters/greeting: expected type string, got integer"
// The validator is RapidJSON's SchemaValidator; the words are derived from the keyword it
// reports, the schema at the schema pointer it reports and the value at the document
// pointer it reports.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "formation/status.hpp"

namespace formation::host {

// Ok, or Status::invalid("<source>: <JSON pointer of the offending value>: <what was
// expected>"). The pointer of the root is "/". Stops at the first violation.
Status validate(const rapidjson::Value& instance, const rapidjson::Value& schema,
                const std::string& source);

// Parses schema text (comments and trailing commas allowed) and checks it is a schema
// RapidJSON can enforce: an object at every schema position, known type names, numeric
// bounds that are numbers, patterns its regex engine accepts (it silently ignores the
// others), $ref only to a pointer inside the same document. Errors name `source` and the
// pointer inside the schema.
Result<std::shared_ptr<const rapidjson::Document>> compile_schema_text(std::string_view json,
                                                                       const std::string& source);

// Adds every property that is absent from `instance` and has a "default" in the schema's
// "properties", then descends into the object-valued properties (present or just added)
// and into array items when "items" is a single schema. Call after validate(): defaults
// are copied as they are, not validated.
void apply_defaults(rapidjson::Value& instance, const rapidjson::Value& schema,
                    rapidjson::Document::AllocatorType& allocator);

}  // namespace formation::host

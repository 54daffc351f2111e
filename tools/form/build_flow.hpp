// What `form pack build`, `form instance` and `form deploy` share: checking a build context,
// packing and uploading it, and following a long-running operation (GET /v1/operations/{id})
// with progress lines on stderr.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "api_client.hpp"
#include "build_context.hpp"
#include "cli.hpp"
#include "formfile.hpp"

namespace form {

// The build context named by the command line (DIR, default "."): usage error when it is not
// a folder, CliError(kInvalid) when it has no Formfile.
std::filesystem::path context_dir(const std::vector<std::string>& positional);

struct CheckedContext {
  formation::formfile::ParseResult parsed;
  formation::build_context::ContextIndex index;
  std::vector<formation::formfile::Diagnostic> problems;  // parse errors, limits, COPY sources
  std::string context_error;                              // a context rule the folder breaks
};

// The checks the server makes before it accepts an upload, run offline.
CheckedContext check_context(const std::filesystem::path& dir);
bool valid(const CheckedContext& checked);
// Every problem as DIR/Formfile:LINE:COLUMN on stderr, or {"valid": false, ...} on stdout.
void print_problems(Context& context, const std::filesystem::path& dir,
                    const CheckedContext& checked);

struct StartedBuild {
  std::string build_id;
  std::string operation_id;
  Response accepted;  // the 202 of POST /v1/builds, as sent
};

// Checks DIR, packs it and uploads it to POST /v1/builds. nullopt when the context is
// invalid: its problems are printed and nothing was sent (the caller exits 5).
std::optional<StartedBuild> start_build(Context& context, const std::filesystem::path& dir,
                                        bool quiet);

// Polls GET /v1/operations/{id} until it ends, printing a line on stderr whenever the
// message or progress changes (unless quiet). Returns the succeeded operation; a failed one
// throws CliError(kApiError, "<failed>: <its error message>", hint).
Response follow_operation(Context& context, const std::string& operation_id, bool quiet,
                          const std::string& failed, const std::string& hint);

// `form pack build DIR` without --no-wait: start_build, then follow the build to its end.
// Returns the build id, or "" when the context is invalid (problems printed, exit 5).
std::string build_context_dir(Context& context, const std::filesystem::path& dir, bool quiet);

}  // namespace form

// The Formfile (../shared/FORMFILE.md, docs/formfile.md): parsing to a typed form, the JSON
// form used by manifests and the API, and the checks that need more than the text
// (network limits). Used by formationd, builder-cloudinit and `form`; no Boost, no host.
//
// parse() never stops at the first error: it reports every one it finds, each with the
// 1-based line and column where it starts and what was expected there, so `form pack
// validate` can print them all at once. It never throws on any input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formation/records/build_limits.hpp"

namespace formation::formfile {

// The largest Formfile parse() accepts; longer text is one error at 1:1.
inline constexpr std::size_t kMaxFormfileBytes = std::size_t{1024} * 1024;

struct Position {
  int line = 0;  // 1-based; 0 means "not in the text" (a default value)
  int column = 0;
  friend bool operator==(const Position&, const Position&) = default;
};

struct Diagnostic {
  Position at;
  std::string message;  // "VCPU expects an integer from 1 to 128, e.g. `VCPU 2`; got `two`"
};

// "Formfile:12:5: message" (file name as given).
std::string format(const Diagnostic& diagnostic, std::string_view file = "Formfile");

struct Gpu {
  std::string model;  // upper case: RTX5090, H100, H200, B200
  int count = 1;      // 1..8
};

struct ModelRequirement {
  bool required = false;  // required:<id> (true) or preferred:<id> (false)
  std::string id;
};

struct User {
  std::string username;
  std::string password;  // as written; never in the JSON form or a manifest
  std::vector<std::string> ssh_authorized_keys;
  bool lock_passwd = false;
  bool sudo = false;
  std::string shell = "/bin/bash";
  std::vector<std::string> groups;
  Position at;  // of the USER keyword
};

enum class EnvScope { system, user, service };

struct EnvVar {
  EnvScope scope = EnvScope::system;
  std::string scope_name;  // the username (user:) or the service name (service:); else empty
  std::string key;
  std::string value;
  Position at;  // of the KEY
};

// `system`, `user:alice`, `service:app`
std::string scope_text(const EnvVar& var);

// COPY, WORKDIR and RUN, in the order written: provisioning replays them in that order.
struct Step {
  enum class Kind { copy, workdir, run };
  Kind kind = Kind::run;
  std::string command;  // run: the shell command as written (continuations joined)
  std::string src;      // copy: relative to the context, normalised ("app", "." = everything)
  std::string dst;      // copy: as written; empty = the WORKDIR in force at this step
  std::string path;     // workdir: absolute, normalised ("/app")
  Position at;          // of the keyword
};

struct Entrypoint {
  bool exec_form = false;         // JSON array form
  std::vector<std::string> argv;  // exec form: non-empty
  std::string command;            // shell form: run with /bin/sh -c
  Position at;
};

// Where the one-time instructions were written (line 0 when absent), for later checks
// that point back into the text (network limits, missing COPY sources).
struct Positions {
  Position name, description, vcpus, memory, disk, gpu, model, workdir, entrypoint;
};

struct Formfile {
  std::optional<std::string> name;  // absent: see default_name()
  std::optional<std::string> description;
  int vcpus = 1;
  int memory_mb = 512;
  int disk_gb = 5;
  std::optional<Gpu> gpu;
  std::optional<ModelRequirement> model;
  std::vector<User> users;            // at least one when parsing succeeded
  std::vector<std::string> packages;  // INSTALL, in order of first mention, no duplicates
  std::vector<EnvVar> env;            // in order written
  std::vector<Step> steps;
  std::string workdir = "/";  // the WORKDIR (once), or "/"
  std::optional<Entrypoint> entrypoint;
  std::vector<int> expose;  // in order of first mention, no duplicates
  // Machine-wide options that FORMFILE.md lets each USER state. Users that state one must
  // agree (else a parse error); users that do not take the stated value or the default.
  bool ssh_pwauth = true;
  bool disable_root = true;
  bool chpasswd_expire = true;
  Positions positions;
};

struct ParseResult {
  Formfile formfile;               // meaningful only when errors is empty
  std::vector<Diagnostic> errors;  // in text order
  [[nodiscard]] bool ok() const { return errors.empty(); }
};

ParseResult parse(std::string_view text);

// The NAME used when the Formfile has none: "form-" + the first 12 hex digits of the
// SHA-256 of the Formfile text. Submitting the same text again replaces the same build.
std::string default_name(std::string_view formfile_text);

// The effective NAME: the Formfile's or default_name(text).
std::string effective_name(const Formfile& formfile, std::string_view formfile_text);

// The JSON form (an object; docs/formfile.md lists the fields). Passwords are left out.
std::string to_json(const Formfile& formfile);

// VCPU, MEM, DISK and GPU count against an operator's narrower ranges; each violation
// names the limit ("VCPU 4 is above this network's maximum of 2").
std::vector<Diagnostic> check_network_limits(const Formfile& formfile, const NetworkLimits& limits);

}  // namespace formation::formfile

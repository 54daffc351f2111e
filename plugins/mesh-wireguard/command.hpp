// Running `ip`, `wg` and `wireguard-go`: argv only (no shell), optionally inside a network
// namespace (`ip netns exec <ns> ...`), output captured. Processes started in the
// background are tracked by PID so that stop() ends exactly the ones it started.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "formation/status.hpp"

namespace formation::mesh_wireguard {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class CommandRunner {
 public:
  explicit CommandRunner(std::string netns = {}) : netns_(std::move(netns)) {}

  // Runs to completion. unavailable when it could not be started; a non-zero exit is a
  // result, not an error (callers decide).
  [[nodiscard]] Result<CommandResult> run(const std::vector<std::string>& argv) const;
  // Runs and returns stdout; unavailable naming the command and its stderr when it fails.
  [[nodiscard]] Result<std::string> check(const std::vector<std::string>& argv) const;

  // Starts `argv` with extra environment entries ("K=V"), stdout and stderr to `log`.
  [[nodiscard]] Result<pid_t> spawn(const std::vector<std::string>& argv,
                                    const std::vector<std::string>& extra_env,
                                    const std::filesystem::path& log) const;

  [[nodiscard]] const std::string& netns() const { return netns_; }

 private:
  [[nodiscard]] std::vector<std::string> full(const std::vector<std::string>& argv) const;
  std::string netns_;
};

// SIGTERM, then SIGKILL after `grace`; reaps it. True when it is gone.
bool terminate_process(pid_t pid, std::chrono::milliseconds grace);
// Not exited yet (reaps it when it has).
bool process_running(pid_t pid);

}  // namespace formation::mesh_wireguard

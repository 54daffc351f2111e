// Runs the real formationd binary for a test: a private config dir, a free port, and the
// process stopped by PID at the end.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace formation::testing {

// A throw-away config dir: formation.json listening on 127.0.0.1 port 0 (the kernel picks),
// data under the dir, plugins from `plugin_dirs`.
class TempConfig {
 public:
  explicit TempConfig(std::vector<std::filesystem::path> plugin_dirs,
                      const std::string& extra_json = "");
  ~TempConfig();
  TempConfig(const TempConfig&) = delete;
  TempConfig& operator=(const TempConfig&) = delete;

  void add_plugin_file(const std::string& name, const std::string& json) const;
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `formationd args...` to completion.
CommandResult run_formationd(const std::vector<std::string>& args);

class DaemonProcess {
 public:
  // Starts formationd and waits (up to 20 s) for its "listening on URL" line.
  explicit DaemonProcess(const std::filesystem::path& config_dir);
  ~DaemonProcess();  // SIGKILL if still running
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  [[nodiscard]] bool started() const { return !url_.empty(); }
  [[nodiscard]] const std::string& url() const { return url_; }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] const std::string& startup_output() const { return startup_output_; }
  void signal(int sig) const;
  // Waits for exit (up to `seconds`); the exit status, or -1 on timeout.
  int wait_exit(int seconds);

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string url_;
  std::uint16_t port_ = 0;
  std::string startup_output_;
};

}  // namespace formation::testing

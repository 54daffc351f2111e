// A real pdns_server for this plugin's tests, started and stopped by the project's own
// test/support/pdns/start-pdns and stop-pdns (free port with retries, readiness check,
// stop by PID), so every test starts PowerDNS the same way. Not a fake: only the place
// it is launched from is test code.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>

namespace formation::dns_powerdns {

class PdnsServerForTests {
 public:
  // Starts pdns_server with its config in `dir` (created; must not exist yet) and the
  // SETTING=VALUE `settings` on top of start-pdns's base config.
  PdnsServerForTests(std::filesystem::path dir, std::initializer_list<std::string> settings)
      : dir_(std::move(dir)) {
    std::string command =
        quoted(std::string(PDNS_SUPPORT_DIR) + "/start-pdns") + " " + quoted(dir_.string());
    for (const auto& setting : settings) command += " " + quoted(setting);
    command += " 2>&1";
    std::string output;
    if (FILE* pipe = ::popen(command.c_str(), "r")) {
      char chunk[512];
      while (std::fgets(chunk, sizeof chunk, pipe) != nullptr) output += chunk;
      started_ = ::pclose(pipe) == 0;
    }
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);) {
      if (line.starts_with("PORT=")) port_ = static_cast<std::uint16_t>(std::stoi(line.substr(5)));
      if (line.starts_with("PID=")) pid_ = static_cast<pid_t>(std::stoi(line.substr(4)));
    }
    started_ = started_ && port_ != 0 && pid_ > 0;
    if (!started_) start_output_ = output;
  }
  ~PdnsServerForTests() {
    const std::string command = quoted(std::string(PDNS_SUPPORT_DIR) + "/stop-pdns") + " " +
                                quoted(dir_.string()) + " >/dev/null 2>&1";
    (void)std::system(command.c_str());
  }
  PdnsServerForTests(const PdnsServerForTests&) = delete;
  PdnsServerForTests& operator=(const PdnsServerForTests&) = delete;

  [[nodiscard]] bool started() const { return started_; }
  [[nodiscard]] bool running() const { return pid_ > 0 && ::kill(pid_, 0) == 0; }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  // start-pdns's own report when it failed, then the server's log.
  [[nodiscard]] std::string log() const {
    std::ifstream in(dir_ / "pdns.log");
    std::stringstream text;
    text << start_output_ << in.rdbuf();
    return text.str();
  }

 private:
  static std::string quoted(const std::string& text) {
    std::string out = "'";
    for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
  }

  std::filesystem::path dir_;
  bool started_ = false;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::string start_output_;
};

}  // namespace formation::dns_powerdns

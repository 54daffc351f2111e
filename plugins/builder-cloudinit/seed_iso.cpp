#include "seed_iso.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX gives no header

namespace formation::cloudinit {
namespace {

std::string read_text(const std::filesystem::path& path, std::size_t limit) {
  std::ifstream in(path, std::ios::binary);
  std::string text(limit, '\0');
  in.read(text.data(), static_cast<std::streamsize>(limit));
  text.resize(static_cast<std::size_t>(in.gcount()));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// Runs argv[0] found on PATH, no shell, stderr into `stderr_file`; returns the exit
// status, or -errno when it could not be started.
int run(const std::vector<std::string>& args, const std::filesystem::path& stderr_file) {
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_file.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -rc;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -errno;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

}  // namespace

Status write_seed_iso(const std::vector<std::filesystem::path>& files,
                      const std::filesystem::path& output) {
  std::vector<std::string> args = {"genisoimage", "-quiet",  "-output", output.string(),  "-volid",
                                   "cidata",      "-joliet", "-rock",   "-input-charset", "utf-8"};
  for (const auto& file : files) args.push_back(file.string());
  auto stderr_file = output.parent_path() / (output.filename().string() + ".stderr");
  int rc = run(args, stderr_file);
  std::error_code ec;
  if (rc == 0) {
    std::filesystem::remove(stderr_file, ec);
    return Status::ok();
  }
  std::string detail = rc > 0 ? read_text(stderr_file, 4096) : std::string();
  std::filesystem::remove(stderr_file, ec);
  std::filesystem::remove(output, ec);
  if (rc == -ENOENT) {
    return Status::unavailable("genisoimage not found; install the genisoimage package");
  }
  if (rc < 0) {
    return Status::internal("cannot run genisoimage: " + std::string(std::strerror(-rc)));
  }
  return Status::internal("genisoimage exited with status " + std::to_string(rc) +
                          (detail.empty() ? "" : ": " + detail));
}

}  // namespace formation::cloudinit

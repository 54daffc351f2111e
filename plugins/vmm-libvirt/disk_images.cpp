#include "disk_images.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

extern char** environ;  // NOLINT(readability-redundant-declaration)

namespace formation::libvirt {

namespace fs = std::filesystem;

ProcessOutput run_program(const std::vector<std::string>& args) {
  ProcessOutput result;
  std::array<int, 2> pipe_fds{};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
    result.output = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
  pid_t pid = 0;
  int spawned = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (spawned != 0) {
    ::close(pipe_fds[0]);
    result.output = args[0] + ": " + std::strerror(spawned);
    return result;
  }
  std::array<char, 4096> buffer{};
  for (;;) {
    auto n = ::read(pipe_fds[0], buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.output.append(buffer.data(), static_cast<std::size_t>(n));
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

namespace {

std::string first_line(const std::string& text) {
  auto line = text.substr(0, text.find('\n'));
  return line.size() > 300 ? line.substr(0, 300) : line;
}

}  // namespace

Status DiskImages::run(const std::vector<std::string>& args, const char* doing) const {
  auto out = run_program(args);
  if (out.exit_code == 0) return Status::ok();
  return Status::internal(std::string(doing) + ": " + first_line(out.output));
}

Status DiskImages::create_overlay(const fs::path& base, const fs::path& overlay,
                                  std::int64_t size_gb) const {
  // The backing path is stored in the overlay, so it must not depend on our cwd.
  auto st = run({qemu_img_, "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b",
                 fs::absolute(base).string(), overlay.string()},
                "creating the root disk");
  if (!st.is_ok()) return st;
  st = run({qemu_img_, "resize", "-q", overlay.string(), std::to_string(size_gb) + "G"},
           "growing the root disk");
  if (!st.is_ok() && st.message().find("shrink") != std::string::npos) {
    return Status::invalid("disk_gb " + std::to_string(size_gb) +
                           " is smaller than the base image");
  }
  return st;
}

Status DiskImages::create_disk(const fs::path& file, std::int64_t size_gb) const {
  return run(
      {qemu_img_, "create", "-q", "-f", "qcow2", file.string(), std::to_string(size_gb) + "G"},
      "creating the disk");
}

Status DiskImages::remove_instance(const std::string& instance_id) const {
  std::error_code ec;
  fs::remove_all(instance_dir(instance_id), ec);
  if (ec) return Status::internal("removing the instance's disks: " + ec.message());
  return Status::ok();
}

}  // namespace formation::libvirt

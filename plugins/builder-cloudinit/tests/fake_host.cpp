#include "fake_host.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "build_context.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration)

namespace formation::cloudinit::test {

namespace fs = std::filesystem;

ProcessResult run_process(const std::vector<std::string>& args,
                          const std::vector<std::string>& env) {
  char output_path[] = "/tmp/builder-cloudinit-out-XXXXXX";
  int fd = ::mkstemp(output_path);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  for (const auto& e : env) env_strings.push_back(e);
  std::vector<char*> envp;
  envp.reserve(env_strings.size() + 1);
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fd, 1);
  posix_spawn_file_actions_adddup2(&actions, fd, 2);
  pid_t pid = 0;
  ProcessResult result;
  if (posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), envp.data()) == 0) {
    int status = 0;
    waitpid(pid, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  }
  posix_spawn_file_actions_destroy(&actions);
  ::close(fd);
  result.output = read_file(output_path);
  ::unlink(output_path);
  return result;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string random_build_id() {
  static std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(64, '0');
  for (auto& c : id) c = kHex[rng() % 16];
  return id;
}

BuilderFixture::BuilderFixture(const fs::path& root, const std::string& extra_parameters) {
  artifact_dir = root / "artifacts";
  std::string params = R"({"artifact_dir": ")" + artifact_dir.string() + "\"" +
                       (extra_parameters.empty() ? "" : ", " + extra_parameters) + "}";
  host = std::make_unique<FakeHostServicesForTests>("builder-cloudinit", root / "data", params);
  builder = std::make_unique<CloudInitBuilder>(*host);
  auto started = builder->start();
  if (!started.is_ok()) throw std::runtime_error(started.to_string());
}

Result<BuildArtifacts> build_dir(CloudInitBuilder& builder, const fs::path& context_dir,
                                 const fs::path& scratch, const std::string& build_id,
                                 std::vector<int>* progress, fs::path* work_dir) {
  static int counter = 0;
  auto base = scratch / ("build-" + std::to_string(++counter));
  fs::create_directories(base / "work");
  auto archive = base / "context.tar.gz";
  auto packed = build_context::pack_directory(context_dir, archive, builder.limits().context);
  if (!packed.is_ok()) return packed.status();
  BuildRequest request;
  request.build_id = build_id;
  request.owner = "0x" + std::string(40, 'a');
  request.formfile_text = packed->formfile_text;
  request.context_archive = archive;
  request.work_dir = base / "work";
  if (work_dir != nullptr) *work_dir = request.work_dir;
  ProgressCallback callback;
  if (progress != nullptr) {
    callback = [progress](int percent, std::string_view) { progress->push_back(percent); };
  }
  return builder.build(request, callback);
}

std::vector<std::string> artifact_entries(const fs::path& artifact_dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(artifact_dir, ec)) {
    names.push_back(entry.path().filename().string());
  }
  return names;
}

}  // namespace formation::cloudinit::test

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

namespace formation::cloudinit::test {

std::string written_file(const std::string& user_data, const std::string& path) {
  auto doc = YAML::Load(user_data);
  for (const auto& file : doc["write_files"]) {
    if (file["path"].as<std::string>() != path) continue;
    auto content = file["content"].as<std::string>();
    if (!file["encoding"]) return content;
    std::string out(content.size(), '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(content.data()),
                            static_cast<int>(content.size()));
    out.resize(static_cast<std::size_t>(n));
    while (content.ends_with("=")) {  // EVP_DecodeBlock keeps the padding's zero bytes
      content.pop_back();
      out.pop_back();
    }
    return out;
  }
  return {};
}

}  // namespace formation::cloudinit::test

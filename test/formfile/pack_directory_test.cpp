// index_directory and pack_directory on real folders, checked against read_context: what
// `form` packs is exactly what the server accepts.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "build_context.hpp"

namespace formation::build_context {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kFormfile = "USER username:alice passwd:secret\nCOPY app /app\n";

std::vector<std::string> paths_of(const ContextIndex& index) {
  std::vector<std::string> paths;
  for (const auto& entry : index.entries) paths.push_back(entry.path);
  return paths;
}

class PackDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("pack-directory-test-" + std::to_string(::getpid()) + "-" +
                                         std::to_string(std::random_device{}()));
    context_ = base_ / "context";
    out_ = base_ / "out";
    fs::create_directories(context_);
    fs::create_directories(out_);
    write("Formfile", kFormfile);
  }
  void TearDown() override { fs::remove_all(base_); }

  void write(const std::string& relative, std::string_view data) {
    const auto path = context_ / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << data;
  }
  std::string refusal() {
    auto result = index_directory(context_, {});
    EXPECT_FALSE(result.is_ok());
    return result.is_ok() ? "" : result.status().message();
  }
  std::vector<std::string> out_files() const {
    std::vector<std::string> names;
    for (const auto& item : fs::directory_iterator(out_)) names.push_back(item.path().filename());
    return names;
  }

  fs::path base_, context_, out_;
};

TEST_F(PackDirectoryTest, ListsSortedAndAppliesFormIgnore) {
  const std::string ignore = "# local junk\n**/*.log\nbuild\n";
  write(".formignore", ignore);
  write("app/main.py", "print(1)\n");
  write("app/debug.log", "noise");
  write("build/out.bin", "xx");
  write("a.txt", "a");
  auto index = index_directory(context_, {});
  ASSERT_TRUE(index.is_ok()) << index.status().to_string();
  EXPECT_EQ(paths_of(*index),
            (std::vector<std::string>{".formignore", "Formfile", "a.txt", "app", "app/main.py"}));
  EXPECT_EQ(index->formfile_text, kFormfile);
  EXPECT_EQ(index->file_count, 5);
  EXPECT_EQ(index->total_bytes,
            static_cast<std::int64_t>(ignore.size() + kFormfile.size() + 1 + 9));
}

TEST_F(PackDirectoryTest, NegationReachesIntoAnExcludedDirectory) {
  write(".formignore", "vendor\n!vendor/keep.txt\n");
  write("vendor/keep.txt", "k");
  write("vendor/drop.txt", "d");
  auto index = index_directory(context_, {});
  ASSERT_TRUE(index.is_ok()) << index.status().to_string();
  EXPECT_EQ(paths_of(*index),
            (std::vector<std::string>{".formignore", "Formfile", "vendor/keep.txt"}));
}

TEST_F(PackDirectoryTest, KeepsSymlinksThatStayInside) {
  write("app/main.py", "x");
  fs::create_symlink("app/main.py", context_ / "main");
  fs::create_directory_symlink("..", context_ / "app" / "root");
  auto index = index_directory(context_, {});
  ASSERT_TRUE(index.is_ok()) << index.status().to_string();
  EXPECT_EQ(paths_of(*index),
            (std::vector<std::string>{"Formfile", "app", "app/main.py", "app/root", "main"}));
  EXPECT_EQ(index->entries[3].type, Entry::Type::symlink);
  EXPECT_EQ(index->entries[3].link_target, "..");
}

TEST_F(PackDirectoryTest, RefusesSymlinksThatLeave) {
  fs::create_symlink("../../etc/passwd", context_ / "passwd");
  EXPECT_EQ(refusal(), "context: passwd: symlink target ../../etc/passwd leaves the build context");
  fs::remove(context_ / "passwd");
  fs::create_directories(context_ / "sub");
  fs::create_directory_symlink("..", context_ / "sub/up");
  fs::create_symlink("sub/up/../etc", context_ / "etc");
  EXPECT_EQ(refusal(),
            "context: etc: symlink target sub/up/../etc leaves the build context through another "
            "symlink");
  fs::remove(context_ / "etc");
  fs::remove(context_ / "passwd");
  fs::create_symlink("/etc/passwd", context_ / "passwd");
  EXPECT_EQ(refusal(),
            "context: passwd: symlink to an absolute path (/etc/passwd) is not allowed; point "
            "inside the build context");
}

TEST_F(PackDirectoryTest, RefusesFifosAndSockets) {
  fs::create_directories(context_ / "run");
  ASSERT_EQ(::mkfifo((context_ / "run/pipe").c_str(), 0600), 0);
  EXPECT_EQ(refusal(), "context: run/pipe: FIFOs are not allowed in a build context");
  fs::remove(context_ / "run/pipe");

  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const auto socket_path = (context_ / "run/sock").string();
  ASSERT_LT(socket_path.size(), sizeof address.sun_path);
  socket_path.copy(address.sun_path, socket_path.size());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  EXPECT_EQ(refusal(), "context: run/sock: sockets are not allowed in a build context");
  ::close(fd);
}

TEST_F(PackDirectoryTest, IgnoredSpecialFilesDoNotMatter) {
  write(".formignore", "run\n");
  fs::create_directories(context_ / "run");
  ASSERT_EQ(::mkfifo((context_ / "run/pipe").c_str(), 0600), 0);
  EXPECT_TRUE(index_directory(context_, {}).is_ok());
}

TEST_F(PackDirectoryTest, RequiresAFormfile) {
  fs::remove(context_ / "Formfile");
  write("app/Formfile", kFormfile);
  EXPECT_EQ(refusal(), "context: no Formfile at the root of the build context");
}

TEST_F(PackDirectoryTest, AppliesTheLimits) {
  write("a", std::string(600, 'a'));
  write("b", std::string(600, 'b'));
  ContextLimits limits;
  limits.max_bytes = 1000;
  auto result = index_directory(context_, limits);
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().message(),
            "context: b: the unpacked context exceeds 1000 bytes (ContextLimits max_bytes); leave "
            "large files out with .formignore");
  limits = {};
  limits.max_files = 2;
  result = index_directory(context_, limits);
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.status().message().find("more than 2 entries (ContextLimits max_files)"),
            std::string::npos);
}

TEST_F(PackDirectoryTest, MissingDirectoryIsNotFound) {
  auto result = index_directory(base_ / "nope", {});
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().code(), StatusCode::not_found);
}

TEST_F(PackDirectoryTest, PackedArchiveReadsBackTheSame) {
  write(".formignore", "*.tmp\n");
  write("app/main.py", "print('hello')\n");
  write("app/scratch.tmp", "nope");
  std::string big(3 * 1024 * 1024 + 17, '\0');
  std::mt19937 random(7);
  for (auto& c : big) c = static_cast<char>(random());
  write("data/big.bin", big);
  fs::permissions(context_ / "app/main.py", fs::perms(0755));
  fs::create_symlink("main.py", context_ / "app/run");

  std::vector<std::pair<std::int64_t, std::int64_t>> calls;
  const auto archive = out_ / "context.tar.gz";
  auto packed = pack_directory(context_, archive, {}, [&](std::int64_t done, std::int64_t total) {
    calls.emplace_back(done, total);
  });
  ASSERT_TRUE(packed.is_ok()) << packed.status().to_string();
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.back().first, packed->total_bytes);
  EXPECT_EQ(calls.back().second, packed->total_bytes);
  for (std::size_t i = 1; i < calls.size(); ++i) EXPECT_GE(calls[i].first, calls[i - 1].first);
  EXPECT_GE(calls.size(), 4u);  // the 3 MiB file goes in 1 MiB chunks

  auto read = read_context(archive, {});
  ASSERT_TRUE(read.is_ok()) << read.status().to_string();
  EXPECT_EQ(paths_of(*read), paths_of(*packed));
  EXPECT_EQ(read->formfile_text, kFormfile);
  EXPECT_EQ(read->total_bytes, packed->total_bytes);
  ASSERT_EQ(read->entries.size(), packed->entries.size());
  for (std::size_t i = 0; i < read->entries.size(); ++i) {
    EXPECT_EQ(read->entries[i].type, packed->entries[i].type) << read->entries[i].path;
    EXPECT_EQ(read->entries[i].size, packed->entries[i].size) << read->entries[i].path;
    EXPECT_EQ(read->entries[i].mode, packed->entries[i].mode) << read->entries[i].path;
    EXPECT_EQ(read->entries[i].link_target, packed->entries[i].link_target);
  }
  EXPECT_EQ(out_files(), std::vector<std::string>{"context.tar.gz"});
}

TEST_F(PackDirectoryTest, PackingTwiceGivesTheSameBytes) {
  write("app/main.py", "x");
  ASSERT_TRUE(pack_directory(context_, out_ / "one.tgz", {}).is_ok());
  ASSERT_TRUE(pack_directory(context_, out_ / "two.tgz", {}).is_ok());
  std::ifstream one(out_ / "one.tgz", std::ios::binary), two(out_ / "two.tgz", std::ios::binary);
  EXPECT_TRUE(
      std::equal(std::istreambuf_iterator<char>(one), {}, std::istreambuf_iterator<char>(two), {}));
}

TEST_F(PackDirectoryTest, LeavesNoArchiveOnError) {
  write("app/main.py", "x");
  ASSERT_EQ(::mkfifo((context_ / "pipe").c_str(), 0600), 0);
  const auto archive = out_ / "context.tar.gz";
  auto result = pack_directory(context_, archive, {});
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().message(), "context: pipe: FIFOs are not allowed in a build context");
  EXPECT_TRUE(out_files().empty());
}

}  // namespace
}  // namespace formation::build_context

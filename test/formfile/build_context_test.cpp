// read_context against archives written here with libarchive itself, so that hostile
// entries (devices, absolute paths, escaping links) need no root and no real files.
#include "build_context.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <random>

namespace formation::build_context {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kFormfile = "NAME demo\nUSER username:alice passwd:secret\n";

struct TestEntry {
  std::string path;
  unsigned type = AE_IFREG;
  std::string data;
  std::int64_t zeros = 0;  // appended after `data`, streamed (for large entries)
  std::string symlink;
  std::string hardlink;
  unsigned mode = 0644;
  std::int64_t mtime = 1700000000;
};

TestEntry file(std::string path, std::string data, unsigned mode = 0644) {
  return {.path = std::move(path), .data = std::move(data), .mode = mode};
}
TestEntry dir(std::string path) {
  return {.path = std::move(path), .type = AE_IFDIR, .mode = 0755};
}
TestEntry symlink(std::string path, std::string target) {
  return {.path = std::move(path), .type = AE_IFLNK, .symlink = std::move(target), .mode = 0777};
}
TestEntry hardlink(std::string path, std::string target) {
  return {.path = std::move(path), .hardlink = std::move(target)};
}
TestEntry special(std::string path, unsigned type) {
  return {.path = std::move(path), .type = type};
}
TestEntry formfile_entry() { return file("Formfile", std::string(kFormfile)); }

enum class Container { pax, gnutar, zip };

void write_entry(archive* a, const TestEntry& spec) {
  archive_entry* e = archive_entry_new();
  archive_entry_copy_pathname(e, spec.path.c_str());
  archive_entry_set_filetype(e, spec.type);
  archive_entry_set_perm(e, spec.mode);
  archive_entry_set_uid(e, 1000);
  archive_entry_set_gid(e, 1000);
  archive_entry_copy_uname(e, "alice");
  archive_entry_set_mtime(e, spec.mtime, 0);
  if (!spec.symlink.empty()) archive_entry_copy_symlink(e, spec.symlink.c_str());
  if (!spec.hardlink.empty()) archive_entry_copy_hardlink(e, spec.hardlink.c_str());
  const bool has_data = spec.type == AE_IFREG && spec.hardlink.empty();
  archive_entry_set_size(e,
                         has_data ? static_cast<std::int64_t>(spec.data.size()) + spec.zeros : 0);
  ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK) << archive_error_string(a);
  archive_entry_free(e);
  if (!has_data) return;
  archive_write_data(a, spec.data.data(), spec.data.size());
  const std::string chunk(1 << 20, '\0');
  for (std::int64_t left = spec.zeros; left > 0;) {
    const auto n = std::min<std::int64_t>(left, static_cast<std::int64_t>(chunk.size()));
    archive_write_data(a, chunk.data(), static_cast<std::size_t>(n));
    left -= n;
  }
}

void write_archive(const fs::path& out, const std::vector<TestEntry>& entries, bool gzip = false,
                   Container container = Container::pax) {
  archive* a = archive_write_new();
  switch (container) {
    case Container::pax: archive_write_set_format_pax_restricted(a); break;
    case Container::gnutar: archive_write_set_format_gnutar(a); break;
    case Container::zip: archive_write_set_format_zip(a); break;
  }
  if (gzip) archive_write_add_filter_gzip(a);
  ASSERT_EQ(archive_write_open_filename(a, out.c_str()), ARCHIVE_OK);
  for (const auto& entry : entries) write_entry(a, entry);
  archive_write_close(a);
  archive_write_free(a);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::string sha256_hex(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr);
  std::string out;
  for (unsigned i = 0; i < size; ++i) {
    static constexpr char kDigits[] = "0123456789abcdef";
    out += kDigits[digest[i] >> 4];
    out += kDigits[digest[i] & 0xf];
  }
  return out;
}

std::vector<std::string> list_dir(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& item : fs::directory_iterator(dir)) names.push_back(item.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

class ReadContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("build-context-test-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes the entries and reads them back.
  Result<ContextIndex> read(const std::vector<TestEntry>& entries, ContextLimits limits = {}) {
    write_archive(archive_path(), entries);
    return read_context(archive_path(), limits);
  }
  // The refusal's message, or a failure when the archive was accepted.
  std::string refusal(const std::vector<TestEntry>& entries, ContextLimits limits = {}) {
    auto result = read(entries, limits);
    EXPECT_FALSE(result.is_ok());
    if (result.is_ok()) return "";
    EXPECT_EQ(result.status().code(), StatusCode::invalid);
    return result.status().message();
  }
  fs::path archive_path() const { return dir_ / "context.tar"; }

  fs::path dir_;
};

TEST_F(ReadContextTest, AcceptsFilesDirectoriesAndInsideSymlinks) {
  auto index = read({formfile_entry(), dir("app"), file("app/main.py", "print(1)\n", 0755),
                     symlink("app/link", "../Formfile"), hardlink("app/copy", "app/main.py")});
  ASSERT_TRUE(index.is_ok()) << index.status().to_string();
  EXPECT_EQ(index->formfile_text, kFormfile);
  EXPECT_EQ(index->file_count, 5);
  EXPECT_EQ(index->total_bytes, static_cast<std::int64_t>(kFormfile.size() + 9));
  ASSERT_EQ(index->entries.size(), 5u);
  EXPECT_EQ(index->entries[1].type, Entry::Type::directory);
  EXPECT_EQ(index->entries[2].mode, 0755u);
  EXPECT_EQ(index->entries[2].size, 9);
  EXPECT_EQ(index->entries[3].link_target, "../Formfile");
  EXPECT_EQ(index->entries[4].type, Entry::Type::hardlink);
  EXPECT_EQ(index->entries[4].link_target, "app/main.py");
  EXPECT_TRUE(index->digest.empty());
}

TEST_F(ReadContextTest, NormalisesEntryPaths) {
  auto index = read({dir("./"), file("./Formfile", std::string(kFormfile)), dir("./app/"),
                     file("app//x.txt", "x"), file("./app/./y.txt", "y")});
  ASSERT_TRUE(index.is_ok()) << index.status().to_string();
  std::vector<std::string> paths;
  for (const auto& entry : index->entries) paths.push_back(entry.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"Formfile", "app", "app/x.txt", "app/y.txt"}));
  EXPECT_EQ(index->file_count, 4);
}

TEST_F(ReadContextTest, ReadsCompressedAndGnuTar) {
  write_archive(archive_path(), {formfile_entry(), file("a", "abc")}, true, Container::gnutar);
  auto index = read_context(archive_path(), {});
  ASSERT_TRUE(index.is_ok()) << index.status().to_string();
  EXPECT_EQ(index->entries.size(), 2u);
  EXPECT_EQ(index->formfile_text, kFormfile);
}

TEST_F(ReadContextTest, RefusesAbsolutePaths) {
  EXPECT_EQ(refusal({formfile_entry(), file("/etc/x", "x")}),
            "context: /etc/x: absolute paths are not allowed in a build context");
}

TEST_F(ReadContextTest, RefusesDotDot) {
  EXPECT_EQ(refusal({formfile_entry(), file("app/../../x", "x")}),
            "context: app/../../x: \"..\" is not allowed in build-context paths");
  EXPECT_EQ(refusal({formfile_entry(), file("a/..", "x")}),
            "context: a/..: \"..\" is not allowed in build-context paths");
}

TEST_F(ReadContextTest, RefusesControlCharactersInNames) {
  EXPECT_EQ(refusal({formfile_entry(), file("bad\nname", "x")}),
            "context: bad?name: control characters are not allowed in build-context paths");
}

TEST_F(ReadContextTest, RefusesSymlinkToAbsolutePath) {
  EXPECT_EQ(refusal({formfile_entry(), symlink("passwd", "/etc/passwd")}),
            "context: passwd: symlink to an absolute path (/etc/passwd) is not allowed; point "
            "inside the build context");
}

TEST_F(ReadContextTest, RefusesSymlinkLeavingTheContext) {
  EXPECT_EQ(refusal({formfile_entry(), symlink("app/up", "../../x")}),
            "context: app/up: symlink target ../../x leaves the build context");
  EXPECT_EQ(refusal({formfile_entry(), symlink("up", "..")}),
            "context: up: symlink target .. leaves the build context");
}

TEST_F(ReadContextTest, RefusesSymlinkLeavingThroughAnotherSymlink) {
  EXPECT_TRUE(read({formfile_entry(), dir("sub"), symlink("sub/up", "..")}).is_ok());
  EXPECT_EQ(
      refusal({formfile_entry(), symlink("x", "sub/up/.."), dir("sub"), symlink("sub/up", "..")}),
      "context: x: symlink target sub/up/.. leaves the build context through another "
      "symlink");
  EXPECT_TRUE(read({formfile_entry(), symlink("a", "b"), symlink("b", "a")}).is_ok());
}

TEST_F(ReadContextTest, RefusesDeviceFiles) {
  EXPECT_EQ(refusal({formfile_entry(), special("dev/null", AE_IFCHR)}),
            "context: dev/null: device files are not allowed in a build context");
  EXPECT_EQ(refusal({formfile_entry(), special("dev/sda", AE_IFBLK)}),
            "context: dev/sda: device files are not allowed in a build context");
}

TEST_F(ReadContextTest, RefusesFifos) {
  EXPECT_EQ(refusal({formfile_entry(), special("pipe", AE_IFIFO)}),
            "context: pipe: FIFOs are not allowed in a build context");
}

TEST_F(ReadContextTest, RefusesHardlinkToNowhere) {
  EXPECT_EQ(refusal({formfile_entry(), hardlink("link", "missing")}),
            "context: link: hard link to missing, which is not an earlier regular file of the "
            "archive");
}

TEST_F(ReadContextTest, RefusesHardlinkToLaterOrDirectoryEntry) {
  EXPECT_NE(refusal({formfile_entry(), hardlink("link", "a"), file("a", "x")})
                .find("not an earlier regular file"),
            std::string::npos);
  EXPECT_NE(refusal({formfile_entry(), dir("d"), hardlink("link", "d")})
                .find("not an earlier regular file"),
            std::string::npos);
}

TEST_F(ReadContextTest, RefusesMoreBytesThanTheLimit) {
  ContextLimits limits;
  limits.max_bytes = 1000;
  EXPECT_EQ(refusal({formfile_entry(), file("a", std::string(600, 'a')),
                     file("b", std::string(600, 'b'))},
                    limits),
            "context: b: the unpacked context exceeds 1000 bytes (ContextLimits max_bytes); leave "
            "large files out with .formignore");
}

TEST_F(ReadContextTest, RefusesMoreEntriesThanTheLimit) {
  ContextLimits limits;
  limits.max_files = 3;
  EXPECT_EQ(refusal({formfile_entry(), dir("d"), file("d/a", "a"), file("d/b", "b")}, limits),
            "context: d/b: the context has more than 3 entries (ContextLimits max_files); leave "
            "files out with .formignore");
  EXPECT_TRUE(read({formfile_entry(), dir("d"), file("d/a", "a")}, limits).is_ok());
}

TEST_F(ReadContextTest, RefusesACompressedBombByItsUnpackedSize) {
  write_archive(archive_path(), {formfile_entry(), TestEntry{.path = "zeros", .zeros = 50 << 20}},
                true);
  ASSERT_LT(fs::file_size(archive_path()), 1u << 20);  // small on the wire
  ContextLimits limits;
  limits.max_bytes = 10 << 20;
  auto result = read_context(archive_path(), limits, dir_ / "out.tar");
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().message(),
            "context: zeros: the unpacked context exceeds 10485760 bytes (ContextLimits "
            "max_bytes); leave large files out with .formignore");
  EXPECT_FALSE(fs::exists(dir_ / "out.tar"));
}

TEST_F(ReadContextTest, RequiresARootFormfile) {
  EXPECT_EQ(refusal({dir("app"), file("app/Formfile", std::string(kFormfile))}),
            "context: no Formfile at the root of the build context");
  EXPECT_EQ(refusal({dir("Formfile")}), "context: Formfile: the Formfile must be a regular file");
  EXPECT_EQ(refusal({file("x", "x"), symlink("Formfile", "x")}),
            "context: Formfile: the Formfile must be a regular file");
}

TEST_F(ReadContextTest, RefusesAFormfileAboveTheLimit) {
  EXPECT_EQ(refusal({file("Formfile", std::string(formfile::kMaxFormfileBytes + 1, '#'))}),
            "context: Formfile: the Formfile is 1048577 bytes; at most 1048576 are allowed");
  EXPECT_TRUE(read({file("Formfile", std::string(formfile::kMaxFormfileBytes, '#'))}).is_ok());
}

TEST_F(ReadContextTest, LaterDuplicateEntryWins) {
  auto index = read(
      {file("Formfile", "old"), file("a", "first"), file("Formfile", "new"), file("a", "second!")});
  ASSERT_TRUE(index.is_ok()) << index.status().to_string();
  EXPECT_EQ(index->formfile_text, "new");
  ASSERT_EQ(index->entries.size(), 2u);
  EXPECT_EQ(index->entries[0].path, "Formfile");
  EXPECT_EQ(index->entries[1].path, "a");
  EXPECT_EQ(index->entries[1].size, 7);
}

TEST_F(ReadContextTest, RefusesZipArchives) {
  write_archive(archive_path(), {formfile_entry()}, false, Container::zip);
  auto result = read_context(archive_path(), {});
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().code(), StatusCode::invalid);
  EXPECT_TRUE(result.status().message().starts_with("context: not a tar archive"))
      << result.status().message();
}

TEST_F(ReadContextTest, RefusesRandomBytes) {
  std::mt19937 random(42);
  std::string bytes(4096, '\0');
  for (auto& c : bytes) c = static_cast<char>(random());
  std::ofstream(archive_path(), std::ios::binary) << bytes;
  auto result = read_context(archive_path(), {});
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().code(), StatusCode::invalid);
  EXPECT_TRUE(result.status().message().starts_with("context: not a tar archive"))
      << result.status().message();
}

TEST_F(ReadContextTest, RefusesATruncatedArchive) {
  write_archive(archive_path(), {formfile_entry(), file("big", std::string(100000, 'x'))});
  fs::resize_file(archive_path(), 50000);
  auto result = read_context(archive_path(), {}, dir_ / "out.tar");
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().code(), StatusCode::invalid);
  EXPECT_TRUE(result.status().message().starts_with("context: big: cannot read the archive: "))
      << result.status().message();
  EXPECT_EQ(list_dir(dir_), std::vector<std::string>{"context.tar"});
}

TEST_F(ReadContextTest, MissingArchiveIsNotFound) {
  auto result = read_context(dir_ / "nope.tar", {});
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().code(), StatusCode::not_found);
}

// Reads back what read_context wrote: each entry's header and data.
struct Written {
  std::string path;
  unsigned type = 0;
  unsigned mode = 0;
  std::int64_t uid = -1, gid = -1;
  std::string uname, gname, data, symlink, hardlink;
  std::int64_t mtime = 0;
};

std::vector<Written> read_back(const fs::path& tar) {
  std::vector<Written> out;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  EXPECT_EQ(archive_read_open_filename(a, tar.c_str(), 10240), ARCHIVE_OK);
  EXPECT_EQ(archive_filter_code(a, 0), ARCHIVE_FILTER_NONE);
  archive_entry* e = nullptr;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    Written w{archive_entry_pathname(e), archive_entry_filetype(e), archive_entry_mode(e) & 07777,
              archive_entry_uid(e), archive_entry_gid(e)};
    w.uname = archive_entry_uname(e) ? archive_entry_uname(e) : "";
    w.gname = archive_entry_gname(e) ? archive_entry_gname(e) : "";
    w.symlink = archive_entry_symlink(e) ? archive_entry_symlink(e) : "";
    w.hardlink = archive_entry_hardlink(e) ? archive_entry_hardlink(e) : "";
    w.mtime = archive_entry_mtime(e);
    char buffer[4096];
    for (la_ssize_t n; (n = archive_read_data(a, buffer, sizeof buffer)) > 0;) {
      w.data.append(buffer, static_cast<std::size_t>(n));
    }
    out.push_back(std::move(w));
  }
  archive_read_free(a);
  return out;
}

TEST_F(ReadContextTest, WritesANormalisedTarOwnedByRoot) {
  std::string binary(300000, '\0');
  for (std::size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>(i * 7);
  write_archive(archive_path(),
                {formfile_entry(), dir("./bin/"), file("bin/tool", binary, 04755),
                 file("bin/shared", "s", 02775), symlink("bin/link", "tool"),
                 hardlink("bin/again", "bin/tool")},
                true);
  const auto out = dir_ / "normalised.tar";
  auto index = read_context(archive_path(), {}, out);
  ASSERT_TRUE(index.is_ok()) << index.status().to_string();
  EXPECT_EQ(index->digest, sha256_hex(read_file(out)));
  EXPECT_EQ(index->entries[2].mode, 0755u);

  const auto written = read_back(out);
  ASSERT_EQ(written.size(), 6u);
  EXPECT_EQ(written[0].data, kFormfile);
  EXPECT_EQ(written[1].path, "bin/");  // tar's own way of writing a directory
  EXPECT_EQ(written[1].type, static_cast<unsigned>(AE_IFDIR));
  EXPECT_EQ(written[2].data, binary);
  EXPECT_EQ(written[2].mode, 0755u);  // setuid cleared
  EXPECT_EQ(written[3].mode, 0775u);  // setgid cleared
  EXPECT_EQ(written[4].symlink, "tool");
  EXPECT_EQ(written[5].hardlink, "bin/tool");
  for (const auto& w : written) {
    EXPECT_EQ(w.uid, 0) << w.path;
    EXPECT_EQ(w.gid, 0) << w.path;
    EXPECT_EQ(w.uname, "root") << w.path;
    EXPECT_EQ(w.gname, "root") << w.path;
    EXPECT_EQ(w.mtime, 1700000000) << w.path;
  }
  EXPECT_EQ(list_dir(dir_), (std::vector<std::string>{"context.tar", "normalised.tar"}));
}

TEST_F(ReadContextTest, NormalisedTarIsTheSameForTheSameContent) {
  write_archive(archive_path(), {formfile_entry(), file("a", "abc")}, true);
  auto first = read_context(archive_path(), {}, dir_ / "one.tar");
  write_archive(archive_path(), {formfile_entry(), file("a", "abc")}, false, Container::gnutar);
  auto second = read_context(archive_path(), {}, dir_ / "two.tar");
  ASSERT_TRUE(first.is_ok() && second.is_ok());
  EXPECT_EQ(first->digest, second->digest);
}

TEST_F(ReadContextTest, LeavesNoOutputOnError) {
  const auto out = dir_ / "normalised.tar";
  std::ofstream(out) << "stale";
  write_archive(archive_path(), {formfile_entry(), file("a", std::string(100000, 'a')),
                                 special("dev/null", AE_IFCHR)});
  auto result = read_context(archive_path(), {}, out);
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(list_dir(dir_), std::vector<std::string>{"context.tar"});
}

TEST(ContextIndexTest, ContainsEntriesAndTheirDirectories) {
  ContextIndex index;
  index.entries = {{.path = "Formfile"}, {.path = "app/src/main.py"}};
  EXPECT_TRUE(index.contains("Formfile"));
  EXPECT_TRUE(index.contains("app"));
  EXPECT_TRUE(index.contains("app/src"));
  EXPECT_TRUE(index.contains("./app/src/"));
  EXPECT_TRUE(index.contains("app/src/main.py"));
  EXPECT_FALSE(index.contains("ap"));
  EXPECT_FALSE(index.contains("app/src/main"));
  EXPECT_FALSE(index.contains("other"));
}

formfile::Step copy_step(std::string src, int line) {
  formfile::Step step;
  step.kind = formfile::Step::Kind::copy;
  step.src = std::move(src);
  step.at = {line, 1};
  return step;
}

TEST(CheckCopySourcesTest, ReportsEachMissingSourceAtItsCopy) {
  ContextIndex index;
  index.entries = {{.path = "Formfile"}, {.path = "app/server.py"}};
  formfile::Formfile formfile;
  formfile.steps = {copy_step(".", 2), copy_step("app", 3), copy_step("app/server.py", 4),
                    copy_step("static", 5)};
  formfile.steps.push_back({.kind = formfile::Step::Kind::run, .command = "make"});
  const auto diagnostics = check_copy_sources(formfile, index);
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0].at, (formfile::Position{5, 1}));
  EXPECT_EQ(diagnostics[0].message,
            "COPY static: no file or directory `static` in the build context");
}

}  // namespace
}  // namespace formation::build_context

// instance_seed(): an instance's ISO is the build's seed plus its own files and commands,
// checked by reading the ISO back with isoinfo and merging its user-data with cloud-init's
// own code (cloud_init_merge.py).
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <fstream>

#include "fake_host.hpp"
#include "instance_seed.hpp"

namespace formation::cloudinit {
namespace {

namespace fs = std::filesystem;
using test::run_process;

constexpr const char* kFormfile = R"(NAME seeded
USER username:dev passwd:Secret-1 sudo:true
COPY app /app
RUN echo built
)";

constexpr const char* kMeshJson = R"({"api": "http://10.0.0.1:8080", "join_token": "fjt1.abc"})";

// A write_files entry's content as cloud-init writes it (plain, or `encoding: b64`).
std::string content_of(const rapidjson::Value& file) {
  std::string content = file["content"].GetString();
  if (!file.HasMember("encoding")) return content;
  EXPECT_STREQ(file["encoding"].GetString(), "b64");
  std::string out(content.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(content.data()),
                          static_cast<int>(content.size()));
  EXPECT_GE(n, 0);
  out.resize(static_cast<std::size_t>(std::max(n, 0)));
  // EVP_DecodeBlock counts the padding as zero bytes.
  for (std::size_t pad = content.size(); pad > 0 && content[pad - 1] == '='; --pad) out.pop_back();
  return out;
}

class InstanceSeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fixture_ = std::make_unique<test::BuilderFixture>(dir_.path());
    context_.write("Formfile", kFormfile);
    context_.write("app/a.txt", "a\n");
    id_ = test::random_build_id();
    auto built = test::build_dir(*fixture_->builder, context_.path(), dir_.path(), id_);
    ASSERT_TRUE(built.is_ok()) << built.status().to_string();
    build_iso_ = built->seed_iso;
  }

  InstanceSeedRequest request() const {
    InstanceSeedRequest r;
    r.build_id = id_;
    r.instance_id = "inst-1";
    r.files = {{.path = "/etc/formation/mesh.json", .content = kMeshJson, .permissions = "0600"}};
    r.commands = {"formation-mesh-join --config /etc/formation/mesh.json"};
    r.output = dir_.path() / "instances/inst-1/seed.iso";
    return r;
  }

  std::string extract(const fs::path& iso, const std::string& name) {
    auto out = run_process({"isoinfo", "-R", "-i", iso.string(), "-x", "/" + name});
    EXPECT_EQ(out.exit_code, 0) << out.output;
    return out.output;
  }

  // cloud-init's reading of a user-data document: {"parts": [...], "merged": {...}}.
  rapidjson::Document cloud_init_view(const std::string& user_data) {
    auto file = dir_.path() / "user-data.view";
    std::ofstream(file, std::ios::binary) << user_data;
    auto script =
        fs::path(FORMATION_SOURCE_DIR) / "plugins/builder-cloudinit/tests/cloud_init_merge.py";
    auto out = run_process({"/usr/bin/python3", script.string(), file.string()});
    EXPECT_EQ(out.exit_code, 0) << out.output;
    rapidjson::Document doc;
    doc.Parse(out.output.c_str());
    EXPECT_FALSE(doc.HasParseError()) << out.output;
    return doc;
  }

  test::TempDir dir_;
  test::TempDir context_;
  std::unique_ptr<test::BuilderFixture> fixture_;
  std::string id_;
  fs::path build_iso_;
};

TEST_F(InstanceSeedTest, AddsTheInstanceFilesAndCommandsToTheBuildSeed) {
  const auto build_iso_bytes = test::read_file(build_iso_);
  const auto build_user_data = test::read_file(fixture_->artifact_dir / id_ / "seed/user-data");
  ASSERT_EQ(build_user_data, extract(build_iso_, "user-data"));

  auto r = request();
  auto st = fixture_->builder->instance_seed(r);
  ASSERT_TRUE(st.is_ok()) << st.to_string();
  ASSERT_TRUE(fs::is_regular_file(r.output));
  EXPECT_EQ(fs::status(r.output).permissions() & fs::perms::others_read, fs::perms::none);
  EXPECT_EQ(test::artifact_entries(r.output.parent_path()), std::vector<std::string>{"seed.iso"});

  auto info = run_process({"isoinfo", "-d", "-i", r.output.string()});
  EXPECT_NE(info.output.find("Volume id: cidata"), std::string::npos) << info.output;
  for (const char* name : {"meta-data", "network-config", "context.tar"}) {
    EXPECT_EQ(extract(r.output, name), extract(build_iso_, name)) << name;
  }

  auto user_data = extract(r.output, "user-data");
  ASSERT_TRUE(user_data.starts_with("Content-Type: multipart/mixed")) << user_data;
  auto view = cloud_init_view(user_data);
  ASSERT_TRUE(view.IsObject());
  ASSERT_EQ(view["parts"].Size(), 2U);
  EXPECT_EQ(std::string(view["parts"][0]["payload"].GetString()), build_user_data);
  EXPECT_STREQ(view["parts"][1]["type"].GetString(), "text/cloud-config");

  // What the guest's cloud-init acts on: the build's config with the instance's appended.
  const auto& merged = view["merged"];
  ASSERT_TRUE(merged.IsObject());
  EXPECT_STREQ(merged["users"][0]["name"].GetString(), "dev");
  const auto& files = merged["write_files"];
  ASSERT_GE(files.Size(), 2U);
  EXPECT_STREQ(files[0]["path"].GetString(), "/var/lib/formation/provision.sh");
  const auto& mesh = files[files.Size() - 1];
  EXPECT_STREQ(mesh["path"].GetString(), "/etc/formation/mesh.json");
  EXPECT_EQ(content_of(mesh), kMeshJson);
  EXPECT_STREQ(mesh["permissions"].GetString(), "0600");
  const auto& runcmd = merged["runcmd"];
  ASSERT_EQ(runcmd.Size(), 2U);
  EXPECT_NE(std::string(runcmd[0][2].GetString()).find("provision.sh"), std::string::npos);
  EXPECT_STREQ(runcmd[1][0].GetString(), "sh");
  EXPECT_STREQ(runcmd[1][2].GetString(), "formation-mesh-join --config /etc/formation/mesh.json");

  // The shared build is untouched.
  EXPECT_EQ(test::read_file(build_iso_), build_iso_bytes);
  EXPECT_EQ(test::read_file(fixture_->artifact_dir / id_ / "seed/user-data"), build_user_data);
  EXPECT_EQ(build_user_data.find("fjt1.abc"), std::string::npos);
}

TEST_F(InstanceSeedTest, MergedUserDataPassesTheSchema) {
  auto r = request();
  // A file that needs base64 and a command with characters YAML would otherwise read.
  r.files.push_back({.path = "/etc/formation/bin",
                     .content = std::string("\x01\x02no\n", 5),
                     .permissions = "755"});
  r.commands.emplace_back("echo 'yes: no' # \"quoted\"");
  ASSERT_TRUE(fixture_->builder->instance_seed(r).is_ok());
  auto view = cloud_init_view(extract(r.output, "user-data"));
  ASSERT_TRUE(view.IsObject());
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  view["merged"].Accept(writer);
  auto merged_file = dir_.path() / "merged.cfg";
  std::ofstream(merged_file) << "#cloud-config\n" << buffer.GetString() << "\n";
  auto schema = run_process({"cloud-init", "schema", "--config-file", merged_file.string()});
  EXPECT_EQ(schema.exit_code, 0) << schema.output << buffer.GetString();
  const auto& runcmd = view["merged"]["runcmd"];
  ASSERT_EQ(runcmd.Size(), 3U);
  EXPECT_STREQ(runcmd[2][2].GetString(), "echo 'yes: no' # \"quoted\"");
  const auto& files = view["merged"]["write_files"];
  const auto& bin = files[files.Size() - 1];
  EXPECT_EQ(content_of(bin), std::string("\x01\x02no\n", 5));
  EXPECT_STREQ(bin["permissions"].GetString(), "755");
}

TEST_F(InstanceSeedTest, ErrorsLeaveNoOutput) {
  auto expect_error = [&](InstanceSeedRequest r, StatusCode code, const std::string& needle) {
    // A stale output from an earlier call must not survive a failed one either.
    if (r.output.is_absolute()) {
      fs::create_directories(r.output.parent_path());
      std::ofstream(r.output) << "stale";
    }
    auto st = fixture_->builder->instance_seed(r);
    EXPECT_EQ(st.code(), code) << st.to_string();
    EXPECT_NE(st.message().find(needle), std::string::npos) << st.message();
    if (r.output.is_absolute()) {
      EXPECT_FALSE(fs::exists(r.output));
      EXPECT_EQ(test::artifact_entries(r.output.parent_path()), std::vector<std::string>{});
    }
  };
  auto r = request();
  r.build_id = test::random_build_id();
  expect_error(r, StatusCode::not_found, "has no artifacts");
  r = request();
  r.build_id = "../x";
  expect_error(r, StatusCode::invalid, "build id");
  r = request();
  r.files[0].path = "etc/formation/mesh.json";
  expect_error(r, StatusCode::invalid, "files[0].path must be absolute");
  r = request();
  r.files[0].path = "/etc/../root/x";
  expect_error(r, StatusCode::invalid, "\"..\"");
  for (const char* bad : {"rw-r--r--", "0999", "", "06440", "64"}) {
    r = request();
    r.files[0].permissions = bad;
    expect_error(r, StatusCode::invalid, "permissions must be 3 or 4 octal digits");
  }
  r = request();
  r.commands.emplace_back("");
  expect_error(r, StatusCode::invalid, "commands[1] is empty");
  r = request();
  r.output = "relative/seed.iso";
  expect_error(r, StatusCode::invalid, "output must be an absolute path");

  // A build published before instance seeds existed has no seed/ beside its ISO.
  fs::remove_all(fixture_->artifact_dir / id_ / "seed");
  expect_error(request(), StatusCode::not_found, "build it again");

  // genisoimage missing: unavailable, and nothing written.
  ASSERT_TRUE(test::build_dir(*fixture_->builder, context_.path(), dir_.path(), id_).is_ok());
  std::string path = std::getenv("PATH");
  ::setenv("PATH", dir_.path().c_str(), 1);
  r = request();
  auto st = fixture_->builder->instance_seed(r);
  ::setenv("PATH", path.c_str(), 1);
  EXPECT_EQ(st.code(), StatusCode::unavailable) << st.to_string();
  EXPECT_FALSE(fs::exists(r.output));
  EXPECT_EQ(test::artifact_entries(r.output.parent_path()), std::vector<std::string>{});
}

}  // namespace
}  // namespace formation::cloudinit

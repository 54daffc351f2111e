// End to end: a context folder in, artifacts out, read back with the real tools
// (isoinfo, cloud-init, libarchive).
#include <archive.h>
#include <archive_entry.h>
#include <crypt.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <rapidjson/document.h>
#include <rapidjson/schema.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <random>

#include "build.hpp"
#include "fake_host.hpp"

namespace formation::cloudinit {
namespace {

namespace fs = std::filesystem;
using test::run_process;

constexpr const char* kFormfile = R"(NAME tiny-web
DESCRIPTION tiny web server
USER username:webdev passwd:Plaintext-Secret-1 sudo:true groups:users,adm ssh_authorized_keys:"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG dev@laptop"
USER username:ops passwd:Other-Secret-2 lock_passwd:true
VCPU 2
MEM 1024
DISK 10
INSTALL python3 curl
COPY app /app
WORKDIR /app
ENV --scope=system MODE=prod
ENV --scope=user:webdev EDITOR=vim
ENV --scope=service:app PORT=8000
RUN python3 -m compileall .
EXPOSE 8000 8443
ENTRYPOINT ["python3", "server.py"]
)";

class BuildTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fixture_ = std::make_unique<test::BuilderFixture>(dir_.path());
    context_.write("Formfile", kFormfile);
    context_.write("app/server.py", "print('serving')\n");
  }

  Result<BuildArtifacts> build(const std::string& id, fs::path* work_dir = nullptr,
                               std::vector<int>* progress = nullptr) {
    return test::build_dir(*fixture_->builder, context_.path(), dir_.path(), id, progress,
                           work_dir);
  }

  // The artifact directory holds exactly `names` (no staging or aside directories).
  void expect_artifacts(const std::vector<std::string>& names) {
    auto entries = test::artifact_entries(fixture_->artifact_dir);
    std::sort(entries.begin(), entries.end());
    auto expected = names;
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(entries, expected);
  }

  test::TempDir dir_;
  test::TempDir context_;
  std::unique_ptr<test::BuilderFixture> fixture_;
};

TEST_F(BuildTest, ArtifactsAndResources) {
  auto id = test::random_build_id();
  std::vector<int> progress;
  auto built = build(id, nullptr, &progress);
  ASSERT_TRUE(built.is_ok()) << built.status().to_string();
  EXPECT_EQ(built->seed_iso, fixture_->artifact_dir / id / "seed.iso");
  EXPECT_EQ(built->context_tarball, fixture_->artifact_dir / id / "context.tar");
  EXPECT_TRUE(fs::is_regular_file(built->seed_iso));
  EXPECT_TRUE(fs::is_regular_file(built->context_tarball));
  EXPECT_EQ(test::read_file(fixture_->artifact_dir / id / "manifest.json"), built->manifest_json);
  EXPECT_EQ(built->vcpus, 2);
  EXPECT_EQ(built->memory_mb, 1024);
  EXPECT_EQ(built->disk_gb, 10);
  EXPECT_EQ(built->base_image, kDefaultBaseImage);
  ASSERT_FALSE(progress.empty());
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
  EXPECT_EQ(progress.front(), 0);
  EXPECT_EQ(progress.back(), 100);
  expect_artifacts({id});
}

TEST_F(BuildTest, SeedIsoHoldsTheSeedUnderVolumeCidata) {
  auto id = test::random_build_id();
  fs::path work;
  auto built = build(id, &work);
  ASSERT_TRUE(built.is_ok()) << built.status().to_string();
  auto iso = built->seed_iso.string();
  auto info = run_process({"isoinfo", "-d", "-i", iso});
  ASSERT_EQ(info.exit_code, 0) << info.output;
  EXPECT_NE(info.output.find("Volume id: cidata"), std::string::npos) << info.output;
  auto list = run_process({"isoinfo", "-R", "-f", "-i", iso});
  for (const char* name : {"/user-data", "/meta-data", "/network-config", "/context.tar"}) {
    EXPECT_NE(list.output.find(std::string(name) + "\n"), std::string::npos) << list.output;
  }
  for (const char* name : {"user-data", "meta-data", "network-config"}) {
    auto extracted = run_process({"isoinfo", "-R", "-i", iso, "-x", std::string("/") + name});
    EXPECT_EQ(extracted.output, test::read_file(work / "seed" / name)) << name;
  }
  auto meta = YAML::Load(test::read_file(work / "seed/meta-data"));
  EXPECT_EQ(meta["instance-id"].as<std::string>(), "formation-" + id.substr(0, 16));
  EXPECT_EQ(meta["local-hostname"].as<std::string>(), "tiny-web");
  auto net = YAML::Load(test::read_file(work / "seed/network-config"));
  EXPECT_EQ(net["version"].as<int>(), 2);
  EXPECT_EQ(net["ethernets"]["primary"]["match"]["name"].as<std::string>(), "e*");
  EXPECT_TRUE(net["ethernets"]["primary"]["dhcp4"].as<bool>());
}

TEST_F(BuildTest, UserDataMapsTheFormfile) {
  fs::path work;
  auto built = build(test::random_build_id(), &work);
  ASSERT_TRUE(built.is_ok()) << built.status().to_string();
  auto text = test::read_file(work / "seed/user-data");
  ASSERT_TRUE(text.starts_with("#cloud-config\n"));
  auto schema =
      run_process({"cloud-init", "schema", "--config-file", (work / "seed/user-data").string()});
  EXPECT_EQ(schema.exit_code, 0) << schema.output << text;

  auto doc = YAML::Load(text);
  auto users = doc["users"];
  ASSERT_EQ(users.size(), 2U);
  EXPECT_EQ(users[0]["name"].as<std::string>(), "webdev");
  EXPECT_EQ(users[0]["sudo"].as<std::string>(), "ALL=(ALL) NOPASSWD:ALL");
  EXPECT_EQ(users[0]["groups"].as<std::string>(), "users,adm");
  EXPECT_EQ(users[0]["shell"].as<std::string>(), "/bin/bash");
  EXPECT_FALSE(users[0]["lock_passwd"].as<bool>());
  EXPECT_EQ(users[0]["ssh_authorized_keys"][0].as<std::string>(),
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG dev@laptop");
  EXPECT_FALSE(users[1]["sudo"]);
  EXPECT_TRUE(users[1]["lock_passwd"].as<bool>());
  for (std::size_t i = 0; i < 2; ++i) {
    auto hash = users[i]["passwd"].as<std::string>();
    const char* password = i == 0 ? "Plaintext-Secret-1" : "Other-Secret-2";
    EXPECT_TRUE(hash.starts_with("$6$rounds=4096$"));
    EXPECT_EQ(hash.find('$', 15), 31U) << hash;
    EXPECT_EQ(std::string(crypt(password, hash.c_str())), hash);
  }
  // Only the unlocked user's password is (re)set by chpasswd, so expiry reaches it.
  ASSERT_EQ(doc["chpasswd"]["users"].size(), 1U);
  EXPECT_EQ(doc["chpasswd"]["users"][0]["name"].as<std::string>(), "webdev");
  EXPECT_TRUE(doc["chpasswd"]["expire"].as<bool>());
  EXPECT_TRUE(doc["ssh_pwauth"].as<bool>());
  EXPECT_TRUE(doc["disable_root"].as<bool>());
  EXPECT_TRUE(doc["package_update"].as<bool>());
  EXPECT_EQ(doc["packages"][1].as<std::string>(), "curl");

  EXPECT_EQ(test::written_file(text, "/etc/environment"), "MODE=\"prod\"\n");
  EXPECT_EQ(test::written_file(text, "/etc/formation/env/app.env"), "PORT=\"8000\"\n");
  auto profile = test::written_file(text, "/home/webdev/.profile");
  EXPECT_NE(profile.find("export EDITOR='vim'\n"), std::string::npos);
  EXPECT_NE(test::written_file(text, "/etc/systemd/system/formation-entrypoint.service")
                .find("ExecStart=\"python3\" \"server.py\""),
            std::string::npos);
  auto script = test::written_file(text, "/var/lib/formation/provision.sh");
  EXPECT_TRUE(script.starts_with("#!/bin/sh\n"));
  EXPECT_NE(script.find("apt-get clean"), std::string::npos);
  EXPECT_NE(script.find("systemctl enable --now"), std::string::npos);
  for (const auto& file : doc["write_files"]) {
    auto path = file["path"].as<std::string>();
    EXPECT_EQ(file["defer"].IsDefined(), path == "/home/webdev/.profile") << path;
  }
  EXPECT_EQ(doc["runcmd"][0][0].as<std::string>(), "sh");
}

TEST_F(BuildTest, NoPlaintextPasswordAnywhere) {
  fs::path work;
  auto id = test::random_build_id();
  auto built = build(id, &work);
  ASSERT_TRUE(built.is_ok()) << built.status().to_string();
  for (const auto& file :
       {built->seed_iso, built->context_tarball, fixture_->artifact_dir / id / "manifest.json",
        work / "seed/user-data"}) {
    auto bytes = test::read_file(file);
    EXPECT_EQ(bytes.find("Plaintext-Secret-1"), std::string::npos) << file;
    EXPECT_EQ(bytes.find("Other-Secret-2"), std::string::npos) << file;
    if (file.filename() == "manifest.json") {
      EXPECT_EQ(bytes.find("$6$"), std::string::npos);
    }
  }
  auto listing = run_process({"tar", "-tf", built->context_tarball.string()});
  EXPECT_EQ(listing.output.find("Formfile"), std::string::npos) << listing.output;
  EXPECT_NE(listing.output.find("server.py"), std::string::npos) << listing.output;
}

TEST_F(BuildTest, ManifestMatchesItsSchema) {
  auto id = test::random_build_id();
  auto built = build(id);
  ASSERT_TRUE(built.is_ok()) << built.status().to_string();
  rapidjson::Document schema_doc;
  auto schema_text =
      test::read_file(fs::path(FORMATION_SOURCE_DIR) / "schemas/builds/manifest.schema.json");
  schema_doc.Parse(schema_text.c_str());
  ASSERT_FALSE(schema_doc.HasParseError());
  rapidjson::SchemaDocument schema(schema_doc);
  rapidjson::Document manifest;
  manifest.Parse(built->manifest_json.c_str());
  ASSERT_FALSE(manifest.HasParseError());
  rapidjson::SchemaValidator validator(schema);
  EXPECT_TRUE(manifest.Accept(validator)) << validator.GetInvalidSchemaKeyword();
  EXPECT_EQ(std::string(manifest["build_id"].GetString()), id);
  EXPECT_EQ(std::string(manifest["name"].GetString()), "tiny-web");
  EXPECT_EQ(manifest["resources"]["vcpus"].GetInt(), 2);
  EXPECT_EQ(manifest["ports"].Size(), 2U);
  EXPECT_TRUE(std::string(manifest["context"]["digest"].GetString()).starts_with("sha256:"));
  EXPECT_EQ(manifest["artifacts"]["seed_iso"]["bytes"].GetInt64(),
            static_cast<std::int64_t>(fs::file_size(built->seed_iso)));
  EXPECT_TRUE(manifest["formfile"].IsObject());
  EXPECT_STREQ(manifest["builder"]["plugin"].GetString(), "builder-cloudinit");
}

TEST_F(BuildTest, RebuildReplacesAndRemoveIsIdempotent) {
  auto id = test::random_build_id();
  auto first = build(id);
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  context_.write("app/server.py", "print('second')\n");
  auto second = build(id);
  ASSERT_TRUE(second.is_ok()) << second.status().to_string();
  EXPECT_NE(first->manifest_json, second->manifest_json);
  EXPECT_EQ(test::read_file(fixture_->artifact_dir / id / "manifest.json"), second->manifest_json);
  expect_artifacts({id});
  EXPECT_TRUE(fixture_->builder->remove(id).is_ok());
  expect_artifacts({});
  EXPECT_TRUE(fixture_->builder->remove(id).is_ok());
  EXPECT_EQ(fixture_->builder->remove("../etc").code(), StatusCode::invalid);
}

// Each failure: the right code, nothing of the failed build in the artifact directory,
// and the previous good build of the same id intact.
TEST_F(BuildTest, FailuresLeaveNothingHalfWritten) {
  auto id = test::random_build_id();
  auto good = build(id);
  ASSERT_TRUE(good.is_ok()) << good.status().to_string();
  auto good_manifest = good->manifest_json;
  auto other = test::random_build_id();

  auto check = [&](StatusCode expected, const std::string& needle) {
    for (const auto& target : {id, other}) {
      auto failed = build(target);
      ASSERT_FALSE(failed.is_ok());
      EXPECT_EQ(failed.status().code(), expected) << failed.status().to_string();
      EXPECT_NE(failed.status().message().find(needle), std::string::npos)
          << failed.status().message();
    }
    expect_artifacts({id});
    EXPECT_EQ(test::read_file(fixture_->artifact_dir / id / "manifest.json"), good_manifest);
  };

  context_.write("Formfile", std::string(kFormfile) + "VCPU two\nBOGUS x\n");
  check(StatusCode::invalid, "Formfile:17:");

  {
    test::TempDir narrow_root;
    test::BuilderFixture narrow(narrow_root.path(), R"("limits": {"vcpus": {"max": 1}})");
    context_.write("Formfile", kFormfile);
    auto failed = test::build_dir(*narrow.builder, context_.path(), dir_.path(), id);
    ASSERT_FALSE(failed.is_ok());
    EXPECT_EQ(failed.status().code(), StatusCode::invalid);
    EXPECT_NE(failed.status().message().find("Formfile:5:"), std::string::npos)
        << failed.status().message();
    EXPECT_TRUE(test::artifact_entries(narrow.artifact_dir).empty());
  }

  context_.write("Formfile", std::string(kFormfile) + "COPY missing /missing\n");
  check(StatusCode::invalid, "missing");
  context_.write("Formfile", kFormfile);

  // genisoimage missing from PATH: the tool is unavailable, the build may be retried.
  {
    std::string path = std::getenv("PATH");
    ::setenv("PATH", dir_.path().c_str(), 1);
    auto failed = build(id);
    ::setenv("PATH", path.c_str(), 1);
    ASSERT_FALSE(failed.is_ok());
    EXPECT_EQ(failed.status().code(), StatusCode::unavailable);
    EXPECT_EQ(failed.status().message(), "genisoimage not found; install the genisoimage package");
    expect_artifacts({id});
  }
}

// A context with an entry the rules refuse, written by hand since `form` would not pack it.
TEST_F(BuildTest, HostileContextArchiveIsRefused) {
  for (const char* bad : {"../escape.txt", "dev-null"}) {
    auto archive_path = dir_.path() / "hostile.tar";
    archive* a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    ASSERT_EQ(archive_write_open_filename(a, archive_path.c_str()), ARCHIVE_OK);
    auto add = [&](const std::string& name, const std::string& body, bool device) {
      archive_entry* e = archive_entry_new();
      archive_entry_set_pathname(e, name.c_str());
      archive_entry_set_filetype(e, device ? AE_IFCHR : AE_IFREG);
      archive_entry_set_perm(e, 0644);
      archive_entry_set_size(e, device ? 0 : static_cast<la_int64_t>(body.size()));
      archive_write_header(a, e);
      if (!device) archive_write_data(a, body.data(), body.size());
      archive_entry_free(e);
    };
    add("Formfile", kFormfile, false);
    add("app/server.py", "x\n", false);
    if (std::string(bad) == "dev-null") {
      add("dev-null", "", true);
    } else {
      add(bad, "x\n", false);
    }
    archive_write_close(a);
    archive_write_free(a);

    auto work = dir_.path() /
                ("hostile-work-" + std::string(bad == std::string("dev-null") ? "dev" : "dots"));
    fs::create_directories(work);
    BuildRequest request;
    request.build_id = test::random_build_id();
    request.formfile_text = kFormfile;
    request.context_archive = archive_path;
    request.work_dir = work;
    auto failed = fixture_->builder->build(request, {});
    ASSERT_FALSE(failed.is_ok()) << bad;
    EXPECT_EQ(failed.status().code(), StatusCode::invalid) << failed.status().to_string();
    EXPECT_TRUE(test::artifact_entries(fixture_->artifact_dir).empty());
  }
  BuildRequest missing;
  missing.build_id = test::random_build_id();
  missing.formfile_text = kFormfile;
  missing.context_archive = dir_.path() / "no-such.tar";
  missing.work_dir = dir_.path() / "missing-work";
  fs::create_directories(missing.work_dir);
  EXPECT_EQ(fixture_->builder->build(missing, {}).status().code(), StatusCode::not_found);
}

std::string sha256_hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), digest, &n, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned i = 0; i < n; ++i) {
    static constexpr char kHex[] = "0123456789abcdef";
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return hex;
}

TEST_F(BuildTest, HundredMegabyteContextReachesTheIsoIntact) {
  std::string big(std::size_t{100} * 1024 * 1024, '\0');
  std::mt19937_64 rng(42);
  for (std::size_t i = 0; i + 8 <= big.size(); i += 8) {
    auto v = rng();
    std::memcpy(&big[i], &v, 8);
  }
  context_.write("app/model.bin", big);
  auto expected = sha256_hex(big);
  big.clear();
  big.shrink_to_fit();

  auto built = build(test::random_build_id());
  ASSERT_TRUE(built.is_ok()) << built.status().to_string();
  auto extracted_path = dir_.path() / "extracted-context.tar";
  {
    auto extract = run_process({"sh", "-c", "isoinfo -R -i \"$0\" -x /context.tar > \"$1\"",
                                built->seed_iso.string(), extracted_path.string()});
    ASSERT_EQ(extract.exit_code, 0) << extract.output;
  }
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  ASSERT_EQ(archive_read_open_filename(a, extracted_path.c_str(), 1 << 16), ARCHIVE_OK);
  archive_entry* entry = nullptr;
  std::string found;
  while (archive_read_next_header(a, &entry) == ARCHIVE_OK) {
    std::string name = archive_entry_pathname(entry);
    if (!name.ends_with("app/model.bin")) continue;
    std::string data(static_cast<std::size_t>(archive_entry_size(entry)), '\0');
    std::size_t done = 0;
    while (done < data.size()) {
      auto n = archive_read_data(a, data.data() + done, data.size() - done);
      ASSERT_GT(n, 0);
      done += static_cast<std::size_t>(n);
    }
    found = sha256_hex(data);
  }
  archive_read_free(a);
  EXPECT_EQ(found, expected);
}

TEST(BuildId, OnlyLowercaseHex) {
  EXPECT_TRUE(valid_build_id(std::string(64, 'a')));
  EXPECT_FALSE(valid_build_id("../../etc/passwd"));
  EXPECT_FALSE(valid_build_id(std::string(64, 'A')));
  EXPECT_FALSE(valid_build_id("abc"));
}

}  // namespace
}  // namespace formation::cloudinit

// form key new | import | show and the request signer, in a temporary HOME.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "api_client.hpp"
#include "cli.hpp"
#include "form_home.hpp"
#include "identity/signing.hpp"

namespace {

namespace fs = std::filesystem;
namespace id = formation::identity;

const char* const kWellKnownKey =
    "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
const char* const kWellKnownAddress = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";

using form_test::form_run;
using form_test::Outcome;

class KeyTest : public form_test::FormHome {
 protected:
  fs::path key_path() const { return home_ / ".config" / "formation" / "key.json"; }
};

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0);
  return st.st_mode & 07777;
}

TEST_F(KeyTest, NewThenShowRoundTrip) {
  auto created = form_run({"key", "new", "-o", "json"});
  ASSERT_EQ(created.code, 0) << created.err;
  ASSERT_TRUE(fs::exists(key_path()));
  EXPECT_EQ(mode_of(key_path()), 0600u);
  EXPECT_EQ(mode_of(key_path().parent_path()), 0700u);

  auto shown = form_run({"key", "show", "--output", "json"});
  ASSERT_EQ(shown.code, 0) << shown.err;
  EXPECT_EQ(shown.out.rfind("{\"address\":\"0x", 0), 0u) << shown.out;
  EXPECT_NE(created.out.find(shown.out.substr(12, 42)), std::string::npos);

  auto table = form_run({"key", "show", "--check"});
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_EQ(table.out.size(), 43u) << table.out;  // 0x + 40 hex + newline

  // The file holds no private key in the clear.
  std::ifstream in(key_path());
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(content.find("\"kdf\":\"scrypt\""), std::string::npos);
  EXPECT_NE(content.find("aes-256-gcm"), std::string::npos);
}

TEST_F(KeyTest, RefusesToOverwriteWithoutForce) {
  ASSERT_EQ(form_run({"key", "new"}).code, 0);
  auto before = form_run({"key", "show"}).out;
  auto again = form_run({"key", "new"});
  EXPECT_EQ(again.code, 2);
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;
  EXPECT_EQ(form_run({"key", "show"}).out, before);
  ASSERT_EQ(form_run({"key", "new", "--force"}).code, 0);
  EXPECT_NE(form_run({"key", "show"}).out, before);
  EXPECT_EQ(mode_of(key_path()), 0600u);
}

TEST_F(KeyTest, WrongPassphraseExits4) {
  ASSERT_EQ(form_run({"key", "new"}).code, 0);
  ::setenv("FORM_PASSPHRASE", "wrong", 1);
  auto checked = form_run({"key", "show", "--check"});
  EXPECT_EQ(checked.code, 4);
  EXPECT_NE(checked.err.find("wrong passphrase"), std::string::npos) << checked.err;
  EXPECT_EQ(checked.out, "");
}

TEST_F(KeyTest, ImportWellKnownKey) {
  const fs::path key_file = home_ / "private.hex";
  std::ofstream(key_file) << kWellKnownKey << "\n";
  auto imported = form_run({"key", "import", "--private-key-file", key_file.string()});
  ASSERT_EQ(imported.code, 0) << imported.err;
  EXPECT_NE(imported.out.find(kWellKnownAddress), std::string::npos) << imported.out;
  auto shown = form_run({"key", "show"});
  EXPECT_EQ(shown.out, std::string(kWellKnownAddress) + "\n");
  EXPECT_EQ(form_run({"key", "show", "-o", "json"}).out,
            std::string("{\"address\":\"") + kWellKnownAddress + "\"}\n");
  EXPECT_EQ(shown.out.find("4c0883a6"), std::string::npos);
}

TEST_F(KeyTest, ImportRejectsGarbage) {
  const fs::path key_file = home_ / "bad.hex";
  std::ofstream(key_file) << "not a key\n";
  auto imported = form_run({"key", "import", "--private-key-file", key_file.string()});
  EXPECT_EQ(imported.code, 2);
  EXPECT_FALSE(fs::exists(key_path()));
}

TEST_F(KeyTest, ShowWithoutKeyFileExits4) {
  auto shown = form_run({"key", "show"});
  EXPECT_EQ(shown.code, 4);
  EXPECT_NE(shown.err.find("no key file"), std::string::npos) << shown.err;
}

TEST_F(KeyTest, SignerAddsVerifiableHeaders) {
  const fs::path key_file = home_ / "private.hex";
  std::ofstream(key_file) << kWellKnownKey;
  ASSERT_EQ(form_run({"key", "import", "--private-key-file", key_file.string()}).code, 0);

  form::GlobalOptions options;
  options.key_file = key_path().string();
  auto signer = form::make_request_signer(options);
  form::Request request = form::Request::with_body("POST", "/v1/accounts", R"({"name":"a"})");
  request.target_as_sent = "/prefix/v1/accounts";
  signer(request);
  ASSERT_EQ(request.headers.size(), 4u);
  EXPECT_EQ(request.headers["X-Formation-Address"], kWellKnownAddress);
  const std::string nonce = request.headers["X-Formation-Nonce"];
  EXPECT_EQ(nonce.size(), 32u);
  EXPECT_TRUE(id::is_hex(nonce));
  const long long ts = std::stoll(request.headers["X-Formation-Timestamp"]);
  EXPECT_LE(std::llabs(ts - static_cast<long long>(std::time(nullptr))), 5);
  auto sig_bytes = id::from_hex(request.headers["X-Formation-Signature"]);
  ASSERT_TRUE(sig_bytes && sig_bytes->size() == 65);
  id::Signature sig{};
  std::copy(sig_bytes->begin(), sig_bytes->end(), sig.begin());
  const std::string text = id::canonical_request_text("POST", "/prefix/v1/accounts",
                                                      request.headers["X-Formation-Timestamp"],
                                                      nonce, R"({"name":"a"})");
  auto recovered = id::recover_address(text, sig);
  ASSERT_TRUE(recovered.is_ok());
  EXPECT_EQ(*id::checksum_address(*recovered), kWellKnownAddress);

  // A second request: a new nonce, no second passphrase read.
  ::setenv("FORM_PASSPHRASE", "wrong", 1);
  form::Request second = form::Request::get("/v1/x", form::Auth::kSigned);
  second.target_as_sent = "/v1/x";
  signer(second);
  EXPECT_NE(second.headers["X-Formation-Nonce"], nonce);
}

TEST_F(KeyTest, SignerWithWrongPassphraseThrowsAuth) {
  ASSERT_EQ(form_run({"key", "new"}).code, 0);
  ::setenv("FORM_PASSPHRASE", "wrong", 1);
  form::GlobalOptions options;
  options.key_file = key_path().string();
  auto signer = form::make_request_signer(options);
  form::Request request = form::Request::get("/v1/x", form::Auth::kSigned);
  try {
    signer(request);
    FAIL() << "expected CliError";
  } catch (const form::CliError& e) {
    EXPECT_EQ(e.code(), form::Exit::kAuth);
  }
}

}  // namespace

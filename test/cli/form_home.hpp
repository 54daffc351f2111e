// What the form CLI tests share: running `form` in-process with its output captured, and a
// fixture giving each test a fresh HOME (so key files and config never touch the real
// one) with the FORM_* variables cleared and a passphrase set.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "cli.hpp"

namespace form_test {

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

inline Outcome form_run(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  int code = form::run(args, out, err);
  return {code, out.str(), err.str()};
}

class FormHome : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (std::filesystem::temp_directory_path() / "form-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    home_ = templ;
    ::setenv("HOME", home_.c_str(), 1);
    ::unsetenv("XDG_CONFIG_HOME");
    ::unsetenv("FORM_KEY");
    ::unsetenv("FORM_API");
    ::setenv("FORM_PASSPHRASE", "form test passphrase", 1);
  }
  void TearDown() override {
    ::unsetenv("FORM_PASSPHRASE");
    std::error_code ec;
    std::filesystem::remove_all(home_, ec);
  }
  // Imports a private key (hex) into key file `name`.json under HOME; returns the file.
  std::string import_key(const char* key_hex, const std::string& name) {
    const auto hex = home_ / (name + ".hex");
    std::ofstream(hex) << key_hex << '\n';
    std::string file = (home_ / (name + ".json")).string();
    auto imported = form_run({"--key", file, "key", "import", "--private-key-file", hex.string()});
    EXPECT_EQ(imported.code, 0) << imported.err;
    return file;
  }
  std::filesystem::path home_;
};

}  // namespace form_test

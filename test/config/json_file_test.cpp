#include "config/json_file.hpp"

#include <gtest/gtest.h>

#include <string>

#include "temp_dir.hpp"

namespace formation::host {
namespace {

using testing::TempDir;

TEST(ParseJson, AcceptsCommentsAndTrailingCommas) {
  auto doc = parse_json(R"({
    // a line comment
    "a": [1, 2, 3,],  /* a block
                         comment */
    "b": {"c": true,},
  })",
                        "test.json");
  ASSERT_TRUE(doc.is_ok()) << doc.status().message();
  EXPECT_EQ(doc->operator[]("a").Size(), 3u);
  EXPECT_TRUE((*doc)["b"]["c"].GetBool());
}

TEST(ParseJson, ReportsLineAndColumn) {
  // Line 3: the colon after "data_dir" is missing; the parser stops at column 14.
  auto doc = parse_json("{\n  // the data\n  \"data_dir\" \"x\"\n}\n", "formation.json");
  ASSERT_FALSE(doc.is_ok());
  EXPECT_EQ(doc.status().code(), StatusCode::invalid);
  EXPECT_EQ(doc.status().message(),
            "formation.json:3:14: Missing a colon after a name of object member.");
}

TEST(ParseJson, ColumnCountsCharactersNotBytes) {
  auto doc = parse_json("{\"é\": 1 2}", "x.json");
  ASSERT_FALSE(doc.is_ok());
  EXPECT_EQ(doc.status().message().rfind("x.json:1:9: ", 0), 0u) << doc.status().message();
}

TEST(ParseJson, EmptyTextIsAnError) {
  auto doc = parse_json("  \n", "empty.json");
  ASSERT_FALSE(doc.is_ok());
  EXPECT_EQ(doc.status().message(), "empty.json:2:1: The document is empty.");
}

TEST(ParseJson, SkipsByteOrderMark) {
  auto doc = parse_json("\xEF\xBB\xBF{\"a\": 1}", "bom.json");
  ASSERT_TRUE(doc.is_ok()) << doc.status().message();
  EXPECT_EQ((*doc)["a"].GetInt(), 1);
}

TEST(ParseJson, RejectsNulByteAndBadUtf8) {
  const std::string with_nul("{\"a\": 1}\0{}", 11);
  auto nul = parse_json(with_nul, "nul.json");
  ASSERT_FALSE(nul.is_ok());
  EXPECT_EQ(nul.status().message().rfind("nul.json:1:9: ", 0), 0u) << nul.status().message();

  auto utf8 = parse_json("{\"a\": \"\xC3\x28\"}", "utf8.json");
  ASSERT_FALSE(utf8.is_ok());
  EXPECT_NE(utf8.status().message().find("Invalid encoding"), std::string::npos)
      << utf8.status().message();
}

TEST(ParseJson, RefusesDeepNesting) {
  const std::string deep = std::string(200, '[') + std::string(200, ']');
  auto doc = parse_json(deep, "deep.json");
  ASSERT_FALSE(doc.is_ok());
  EXPECT_NE(doc.status().message().find("nest deeper than 128 levels"), std::string::npos)
      << doc.status().message();

  const std::string ok = std::string(100, '[') + std::string(100, ']');
  EXPECT_TRUE(parse_json(ok, "ok.json").is_ok());
}

TEST(ReadJsonFile, MissingFileNamesPathAndReason) {
  TempDir dir;
  const auto path = dir.path() / "nope.json";
  auto doc = read_json_file(path);
  ASSERT_FALSE(doc.is_ok());
  EXPECT_EQ(doc.status().message(), path.string() + ": cannot read: No such file or directory");

  auto named = read_json_file(path, "plugins.d/nope.json");
  ASSERT_FALSE(named.is_ok());
  EXPECT_EQ(named.status().message(),
            "plugins.d/nope.json: cannot read " + path.string() + ": No such file or directory");
}

TEST(ReadJsonFile, DirectoryIsAnError) {
  TempDir dir;
  auto doc = read_json_file(dir.mkdir("d.json"));
  ASSERT_FALSE(doc.is_ok());
  EXPECT_NE(doc.status().message().find("Is a directory"), std::string::npos);
}

TEST(ReadJsonFile, RefusesFilesOverOneMebibyte) {
  TempDir dir;
  const std::string big = "[\"" + std::string(kMaxJsonFileBytes, 'x') + "\"]";
  auto doc = read_json_file(dir.write("big.json", big), "big.json");
  ASSERT_FALSE(doc.is_ok());
  EXPECT_EQ(doc.status().message().rfind("big.json: file is larger than 1 MiB", 0), 0u)
      << doc.status().message();
}

TEST(ReadJsonFile, ReadsAFile) {
  TempDir dir;
  auto doc = read_json_file(dir.write("a.json", "{\"plugin\": \"echo\",}"), "a.json");
  ASSERT_TRUE(doc.is_ok()) << doc.status().message();
  EXPECT_STREQ((*doc)["plugin"].GetString(), "echo");
}

}  // namespace
}  // namespace formation::host

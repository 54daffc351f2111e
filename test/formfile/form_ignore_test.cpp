// .formignore: the .dockerignore language, as a user of `form pack` would rely on it.
#include <gtest/gtest.h>

#include "build_context.hpp"

namespace formation::build_context {
namespace {

TEST(FormIgnoreTest, EmptyExcludesNothing) {
  const auto ignore = FormIgnore::parse("");
  EXPECT_FALSE(ignore.excluded("app/main.py"));
  EXPECT_FALSE(FormIgnore().excluded("x"));
}

TEST(FormIgnoreTest, IgnoresCommentsAndBlankLines) {
  const auto ignore = FormIgnore::parse("# build output\n\n   \nbuild\r\n  # not a pattern\n");
  EXPECT_TRUE(ignore.excluded("build"));
  EXPECT_FALSE(ignore.excluded("# build output"));
  EXPECT_FALSE(ignore.excluded("# not a pattern"));
}

TEST(FormIgnoreTest, StarStaysWithinOneSegment) {
  const auto ignore = FormIgnore::parse("*.log\nsrc/*.o");
  EXPECT_TRUE(ignore.excluded("debug.log"));
  EXPECT_FALSE(ignore.excluded("logs/debug.log"));  // as in .dockerignore: anchored at the root
  EXPECT_TRUE(ignore.excluded("src/main.o"));
  EXPECT_FALSE(ignore.excluded("src/lib/main.o"));
  EXPECT_FALSE(ignore.excluded("debug.log.txt"));
}

TEST(FormIgnoreTest, DoubleStarCrossesSegments) {
  const auto ignore = FormIgnore::parse("**/*.pyc\ndocs/**/draft");
  EXPECT_TRUE(ignore.excluded("a.pyc"));
  EXPECT_TRUE(ignore.excluded("app/x/y/a.pyc"));
  EXPECT_TRUE(ignore.excluded("docs/draft"));
  EXPECT_TRUE(ignore.excluded("docs/a/b/draft"));
  EXPECT_FALSE(ignore.excluded("app/a.py"));
  EXPECT_FALSE(ignore.excluded("other/draft"));
}

TEST(FormIgnoreTest, QuestionMarkAndClasses) {
  const auto ignore = FormIgnore::parse("file?.txt\nlog[0-9]\nx[!a]");
  EXPECT_TRUE(ignore.excluded("file1.txt"));
  EXPECT_FALSE(ignore.excluded("file10.txt"));
  EXPECT_FALSE(ignore.excluded("file/.txt"));
  EXPECT_TRUE(ignore.excluded("log7"));
  EXPECT_FALSE(ignore.excluded("logx"));
  EXPECT_TRUE(ignore.excluded("xb"));
  EXPECT_FALSE(ignore.excluded("xa"));
}

TEST(FormIgnoreTest, ADirectoryPatternExcludesEverythingBelow) {
  const auto ignore = FormIgnore::parse("node_modules/\n/.git\n./build");
  EXPECT_TRUE(ignore.excluded("node_modules"));
  EXPECT_TRUE(ignore.excluded("node_modules/left-pad/index.js"));
  EXPECT_TRUE(ignore.excluded(".git/HEAD"));
  EXPECT_TRUE(ignore.excluded("build/out/app"));
  EXPECT_FALSE(ignore.excluded("src/node_modules"));
  EXPECT_FALSE(ignore.excluded("builder"));
}

TEST(FormIgnoreTest, LaterLinesWinAndNegationReincludes) {
  const auto ignore = FormIgnore::parse("*.md\n!README.md\ndocs\n!docs/keep\n");
  EXPECT_TRUE(ignore.excluded("CHANGES.md"));
  EXPECT_FALSE(ignore.excluded("README.md"));
  EXPECT_TRUE(ignore.excluded("docs/a.txt"));
  EXPECT_FALSE(ignore.excluded("docs/keep"));
  EXPECT_FALSE(ignore.excluded("docs/keep/inner.txt"));

  const auto reversed = FormIgnore::parse("!README.md\n*.md\n");
  EXPECT_TRUE(reversed.excluded("README.md"));
}

TEST(FormIgnoreTest, NeverExcludesTheFormfileOrItself) {
  const auto ignore = FormIgnore::parse("*\n**\nFormfile\n.formignore\n");
  EXPECT_FALSE(ignore.excluded("Formfile"));
  EXPECT_FALSE(ignore.excluded("./Formfile"));
  EXPECT_FALSE(ignore.excluded(".formignore"));
  EXPECT_TRUE(ignore.excluded("app/Formfile"));
  EXPECT_TRUE(ignore.excluded("anything"));
}

TEST(FormIgnoreTest, AcceptsNormalisedAndUnnormalisedPaths) {
  const auto ignore = FormIgnore::parse("secrets");
  EXPECT_TRUE(ignore.excluded("./secrets/key"));
  EXPECT_TRUE(ignore.excluded("secrets/"));
}

}  // namespace
}  // namespace formation::build_context

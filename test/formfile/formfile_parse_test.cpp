// The Formfile parser against every instruction and every error of docs/formfile.md.
#include <gtest/gtest.h>

#include <string>

#include "formfile.hpp"

namespace formation::formfile {
namespace {

const std::string kUser = "USER username:alice passwd:pw\n";

std::string all_errors(const ParseResult& result) {
  std::string out;
  for (const auto& error : result.errors) out += format(error) + "\n";
  return out;
}

Formfile parse_ok(const std::string& text) {
  ParseResult result = parse(text);
  EXPECT_TRUE(result.ok()) << all_errors(result);
  return std::move(result.formfile);
}

// The one error a text has: at line:column, its message containing `part`.
void expect_error(const std::string& text, int line, int column, const std::string& part) {
  const ParseResult result = parse(text);
  ASSERT_EQ(result.errors.size(), 1u) << text << "\n" << all_errors(result);
  EXPECT_EQ(result.errors[0].at, (Position{line, column})) << format(result.errors[0]);
  EXPECT_NE(result.errors[0].message.find(part), std::string::npos) << format(result.errors[0]);
}

TEST(FormfileParse, SpecExampleParsesToTheExpectedValues) {
  const Formfile f = parse_ok(R"(NAME hello-server
USER username:webdev passwd:webpass123 sudo:true \
     ssh_authorized_keys:"ssh-ed25519 AAAAC3Nza... dev@laptop"
VCPU 2
MEM 2048
DISK 5
COPY ./app /app
INSTALL python3
WORKDIR /app
ENV --scope=service:app PORT=8000
EXPOSE 8000
ENTRYPOINT ["python3", "server.py"]
)");
  EXPECT_EQ(f.name, "hello-server");
  EXPECT_FALSE(f.description);
  EXPECT_EQ(f.vcpus, 2);
  EXPECT_EQ(f.memory_mb, 2048);
  EXPECT_EQ(f.disk_gb, 5);
  EXPECT_FALSE(f.gpu);
  EXPECT_FALSE(f.model);
  ASSERT_EQ(f.users.size(), 1u);
  EXPECT_EQ(f.users[0].username, "webdev");
  EXPECT_EQ(f.users[0].password, "webpass123");
  EXPECT_TRUE(f.users[0].sudo);
  EXPECT_FALSE(f.users[0].lock_passwd);
  EXPECT_EQ(f.users[0].shell, "/bin/bash");
  EXPECT_EQ(f.users[0].ssh_authorized_keys,
            std::vector<std::string>{"ssh-ed25519 AAAAC3Nza... dev@laptop"});
  EXPECT_TRUE(f.users[0].groups.empty());
  EXPECT_EQ(f.users[0].at, (Position{2, 1}));
  EXPECT_EQ(f.packages, std::vector<std::string>{"python3"});
  ASSERT_EQ(f.steps.size(), 2u);
  EXPECT_EQ(f.steps[0].kind, Step::Kind::copy);
  EXPECT_EQ(f.steps[0].src, "app");
  EXPECT_EQ(f.steps[0].dst, "/app");
  EXPECT_EQ(f.steps[0].at, (Position{7, 1}));
  EXPECT_EQ(f.steps[1].kind, Step::Kind::workdir);
  EXPECT_EQ(f.steps[1].path, "/app");
  EXPECT_EQ(f.workdir, "/app");
  ASSERT_EQ(f.env.size(), 1u);
  EXPECT_EQ(f.env[0].scope, EnvScope::service);
  EXPECT_EQ(f.env[0].scope_name, "app");
  EXPECT_EQ(scope_text(f.env[0]), "service:app");
  EXPECT_EQ(f.env[0].key, "PORT");
  EXPECT_EQ(f.env[0].value, "8000");
  EXPECT_EQ(f.env[0].at, (Position{10, 25}));
  EXPECT_EQ(f.expose, std::vector<int>{8000});
  ASSERT_TRUE(f.entrypoint);
  EXPECT_TRUE(f.entrypoint->exec_form);
  EXPECT_EQ(f.entrypoint->argv, (std::vector<std::string>{"python3", "server.py"}));
  EXPECT_TRUE(f.ssh_pwauth);
  EXPECT_TRUE(f.disable_root);
  EXPECT_TRUE(f.chpasswd_expire);
  EXPECT_EQ(f.positions.name, (Position{1, 1}));
  EXPECT_EQ(f.positions.vcpus, (Position{4, 1}));
  EXPECT_EQ(f.positions.memory, (Position{5, 1}));
  EXPECT_EQ(f.positions.disk, (Position{6, 1}));
  EXPECT_EQ(f.positions.workdir, (Position{9, 1}));
  EXPECT_EQ(f.positions.entrypoint, (Position{12, 1}));
  EXPECT_EQ(f.positions.gpu, (Position{}));
}

TEST(FormfileParse, DefaultsWhenOnlyAUserIsGiven) {
  const Formfile f = parse_ok(kUser);
  EXPECT_FALSE(f.name);
  EXPECT_EQ(f.vcpus, 1);
  EXPECT_EQ(f.memory_mb, 512);
  EXPECT_EQ(f.disk_gb, 5);
  EXPECT_EQ(f.workdir, "/");
  EXPECT_FALSE(f.entrypoint);
  EXPECT_TRUE(f.steps.empty());
}

TEST(FormfileParse, MissingUserIsAnErrorAtTheStart) {
  expect_error("VCPU 2\n", 1, 1,
               "a Formfile needs at least one USER, e.g. `USER username:alice passwd:changeme`");
  expect_error("", 1, 1, "at least one USER");
}

// --- syntax ---

TEST(FormfileParse, KeywordsAreCaseInsensitive) {
  const Formfile f = parse_ok("user username:alice passwd:pw\nvCpu 3\nMem 1024\n");
  EXPECT_EQ(f.vcpus, 3);
  EXPECT_EQ(f.memory_mb, 1024);
}

TEST(FormfileParse, AliasesMapToTheirInstruction) {
  EXPECT_EQ(parse_ok(kUser + "CPU 4").vcpus, 4);
  EXPECT_EQ(parse_ok(kUser + "cores 5").vcpus, 5);
  EXPECT_EQ(parse_ok(kUser + "MEMORY 1024").memory_mb, 1024);
  EXPECT_EQ(parse_ok(kUser + "MBS 2048").memory_mb, 2048);
  EXPECT_EQ(parse_ok(kUser + "STORAGE 40").disk_gb, 40);
}

TEST(FormfileParse, AnAliasCountsAsItsInstructionForRepeats) {
  expect_error(kUser + "VCPU 2\nCORES 3\n", 3, 1,
               "VCPU may be given only once (CORES is VCPU); it was already given on line 2");
}

TEST(FormfileParse, CommentsAndBlankLinesAreSkipped) {
  const Formfile f = parse_ok("# a comment\n\n   # indented\n" + kUser + "\t\nVCPU 2\n");
  EXPECT_EQ(f.vcpus, 2);
}

TEST(FormfileParse, HashAfterAValueIsText) {
  expect_error(kUser + "VCPU 2 # two\n", 2, 8, "VCPU takes a single value");
}

TEST(FormfileParse, ContinuationJoinsWithOneSpace) {
  const Formfile f = parse_ok(kUser + "RUN echo a   \\  \n     b\n");
  ASSERT_EQ(f.steps.size(), 1u);
  EXPECT_EQ(f.steps[0].command, "echo a b");
  EXPECT_EQ(parse_ok(kUser + "RUN a \\\n  \\\n\n b\n").steps[0].command, "a b");
}

TEST(FormfileParse, CommentInsideAContinuationIsSkipped) {
  const Formfile f = parse_ok(kUser + "RUN echo a \\\n# not here\n  b\n");
  EXPECT_EQ(f.steps[0].command, "echo a b");
}

TEST(FormfileParse, ErrorOnAContinuedLinePointsAtThePhysicalPosition) {
  expect_error("USER username:alice \\\n  passwd:pw \\\n    sudo:maybe\n", 3, 10,
               "USER sudo expects true/false/yes/no/1/0/on/off, e.g. `sudo:true`; got `maybe`");
}

TEST(FormfileParse, ContinuationAtTheEndOfTheFileIsAnError) {
  expect_error(kUser + "RUN echo \\\n", 2, 10, "the file ends there");
  expect_error(kUser + "RUN echo \\", 2, 10, "the file ends there");
}

TEST(FormfileParse, CrlfLineEndings) {
  const Formfile f = parse_ok("USER username:alice passwd:pw\r\nVCPU 2\r\nRUN echo a \\\r\n b\r\n");
  EXPECT_EQ(f.vcpus, 2);
  EXPECT_EQ(f.users[0].password, "pw");
  EXPECT_EQ(f.steps[0].command, "echo a b");
}

TEST(FormfileParse, ByteOrderMarkIsSkipped) {
  const Formfile f = parse_ok("\xEF\xBB\xBF" + kUser + "NAME x\n");
  EXPECT_EQ(f.name, "x");
}

TEST(FormfileParse, InvalidUtf8StopsAtItsPosition) {
  const ParseResult result = parse(kUser + "VCPU 200\nRUN echo \xC3\x28\nVCPU x\n");
  ASSERT_EQ(result.errors.size(), 2u) << all_errors(result);
  EXPECT_EQ(result.errors[0].at, (Position{2, 6}));
  EXPECT_EQ(result.errors[1].at, (Position{3, 10}));
  EXPECT_NE(result.errors[1].message.find("not valid UTF-8"), std::string::npos);
}

TEST(FormfileParse, ColumnsCountCharactersNotBytes) {
  expect_error(kUser + "RUN \xC3\xA9\xC3\xA9 \xFF\n", 2, 8, "UTF-8");
}

TEST(FormfileParse, NulIsAnError) {
  expect_error(kUser + std::string("RUN a\0b\n", 8), 2, 6, "a NUL byte");
}

TEST(FormfileParse, TooLongIsOneErrorAtTheStart) {
  const std::string text = kUser + "# " + std::string(kMaxFormfileBytes, 'x') + "\n";
  const ParseResult result = parse(text);
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].at, (Position{1, 1}));
  EXPECT_NE(result.errors[0].message.find("at most 1048576 bytes"), std::string::npos);
  std::string exact = kUser;
  exact += "#" + std::string(kMaxFormfileBytes - exact.size() - 1, 'x');
  EXPECT_TRUE(parse(exact).ok());
}

TEST(FormfileParse, UnknownKeywordSuggestsTheClosest) {
  expect_error(kUser + "  VCUP 2\n", 2, 3, "unknown instruction `VCUP`; did you mean VCPU?");
  expect_error(kUser + "storag 9\n", 2, 1, "did you mean STORAGE?");
}

TEST(FormfileParse, UnknownKeywordFarFromAnyListsThemAll) {
  expect_error(kUser + "FROM debian\n", 2, 1,
               "unknown instruction `FROM`; expected one of NAME, DESCRIPTION, VCPU, MEM, DISK, "
               "GPU, MODEL, USER, RUN, COPY, ENV, INSTALL, WORKDIR, EXPOSE, ENTRYPOINT");
}

TEST(FormfileParse, EveryOneTimeInstructionRefusesARepeat) {
  const std::vector<std::pair<std::string, std::string>> once = {
      {"NAME", "a"},           {"DESCRIPTION", "x"}, {"VCPU", "1"},
      {"MEM", "512"},          {"DISK", "5"},        {"GPU", "H100"},
      {"MODEL", "required:m"}, {"WORKDIR", "/a"},    {"ENTRYPOINT", "sleep 1"}};
  for (const auto& [keyword, value] : once) {
    const std::string line = keyword + " " + value + "\n";
    expect_error(kUser + line + "RUN x\n" + line, 4, 1,
                 keyword + " may be given only once; it was already given on line 2");
  }
}

TEST(FormfileParse, RepeatableInstructionsAccumulate) {
  const Formfile f = parse_ok(kUser +
                              "USER username:bob passwd:x\nRUN a\nRUN b\nCOPY a\nCOPY b\n"
                              "INSTALL x\nINSTALL y\nENV A=1\nENV B=2\nEXPOSE 1\nEXPOSE 2\n");
  EXPECT_EQ(f.users.size(), 2u);
  EXPECT_EQ(f.steps.size(), 4u);
  EXPECT_EQ(f.packages, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(f.env.size(), 2u);
  EXPECT_EQ(f.expose, (std::vector<int>{1, 2}));
}

TEST(FormfileParse, SeveralErrorsAreReportedTogetherInTextOrder) {
  const ParseResult result =
      parse("ENV --scope=user:nobody A=1\nVCPU 0\nBOGUS\n" + kUser + "MEM lots\n");
  ASSERT_EQ(result.errors.size(), 4u) << all_errors(result);
  EXPECT_EQ(format(result.errors[0]),
            "Formfile:1:5: ENV --scope=user:nobody names no USER of this Formfile; add `USER "
            "username:nobody passwd:...` or use a defined username");
  EXPECT_EQ(result.errors[1].at, (Position{2, 6}));
  EXPECT_EQ(result.errors[2].at, (Position{3, 1}));
  EXPECT_EQ(result.errors[3].at, (Position{5, 5}));
}

TEST(FormfileParse, FormatNamesFileLineAndColumn) {
  EXPECT_EQ(format({{12, 5}, "boom"}), "Formfile:12:5: boom");
  EXPECT_EQ(format({{1, 2}, "boom"}, "dir/Formfile"), "dir/Formfile:1:2: boom");
}

// --- NAME, DESCRIPTION ---

TEST(FormfileParse, NameRules) {
  EXPECT_EQ(parse_ok(kUser + "NAME a").name, "a");
  EXPECT_EQ(parse_ok(kUser + "NAME a-1-b").name, "a-1-b");
  EXPECT_EQ(parse_ok(kUser + "NAME a" + std::string(62, 'b')).name, "a" + std::string(62, 'b'));
  expect_error(kUser + "NAME a" + std::string(63, 'b'), 2, 6, "1 to 63 lower-case letters");
  expect_error(kUser + "NAME 1abc", 2, 6, "starts with a letter");
  expect_error(kUser + "NAME Abc", 2, 6, "got `Abc`");
  expect_error(kUser + "NAME abc-", 2, 6, "does not end with `-`");
  expect_error(kUser + "NAME a_b", 2, 6, "e.g. `NAME hello-server`");
  expect_error(kUser + "NAME", 2, 5, "; got nothing");
  expect_error(kUser + "NAME a b", 2, 8,
               "NAME takes a single value, e.g. `NAME hello-server`; "
               "got an extra `b`");
}

TEST(FormfileParse, DescriptionIsTheRestOfTheLine) {
  EXPECT_EQ(parse_ok(kUser + "DESCRIPTION  A small  # server").description, "A small  # server");
  expect_error(kUser + "DESCRIPTION   ", 2, 12, "DESCRIPTION expects a line of text");
}

// --- VCPU, MEM, DISK ---

TEST(FormfileParse, VcpuBounds) {
  expect_error(kUser + "VCPU 0", 2, 6,
               "VCPU expects an integer number of vCPUs from 1 to 128, e.g. `VCPU 2`; got `0`");
  EXPECT_EQ(parse_ok(kUser + "VCPU 1").vcpus, 1);
  EXPECT_EQ(parse_ok(kUser + "VCPU 128").vcpus, 128);
  expect_error(kUser + "VCPU 129", 2, 6, "got `129`");
}

TEST(FormfileParse, MemBounds) {
  expect_error(kUser + "MEM 511", 2, 5, "from 512 to 256000");
  EXPECT_EQ(parse_ok(kUser + "MEM 512").memory_mb, 512);
  EXPECT_EQ(parse_ok(kUser + "MEM 256000").memory_mb, 256000);
  expect_error(kUser + "MEM 256001", 2, 5, "got `256001`");
  expect_error(kUser + "MEM 2GB", 2, 5,
               "MEM expects an integer number of MB from 512 to 256000, e.g. `MEM 2048`; got "
               "`2GB`");
}

TEST(FormfileParse, DiskBounds) {
  expect_error(kUser + "DISK 4", 2, 6, "from 5 to 65535");
  EXPECT_EQ(parse_ok(kUser + "DISK 5").disk_gb, 5);
  EXPECT_EQ(parse_ok(kUser + "DISK 65535").disk_gb, 65535);
  expect_error(kUser + "DISK 65536", 2, 6, "e.g. `DISK 20`");
}

TEST(FormfileParse, IntegersAreDecimalDigitsOnly) {
  expect_error(kUser + "VCPU +2", 2, 6, "got `+2`");
  expect_error(kUser + "VCPU -1", 2, 6, "got `-1`");
  expect_error(kUser + "VCPU 0x2", 2, 6, "got `0x2`");
  expect_error(kUser + "VCPU 99999999999999999999999999", 2, 6, "from 1 to 128");
  expect_error(kUser + "VCPU", 2, 5, "VCPU expects an integer");
  EXPECT_EQ(parse_ok(kUser + "VCPU 002").vcpus, 2);
}

TEST(FormfileParse, MissingArgumentPointsAtTheEndOfTheKeyword) {
  expect_error(kUser + "  MEMORY\n", 2, 9, "MEMORY expects an integer number of MB");
}

// --- GPU, MODEL ---

TEST(FormfileParse, GpuModelAndCount) {
  Formfile f = parse_ok(kUser + "GPU h100:2");
  ASSERT_TRUE(f.gpu);
  EXPECT_EQ(f.gpu->model, "H100");
  EXPECT_EQ(f.gpu->count, 2);
  f = parse_ok(kUser + "GPU rtx5090");
  EXPECT_EQ(f.gpu->model, "RTX5090");
  EXPECT_EQ(f.gpu->count, 1);
  EXPECT_EQ(parse_ok(kUser + "GPU H200:1").gpu->count, 1);
  EXPECT_EQ(parse_ok(kUser + "GPU B200:8").gpu->count, 8);
  expect_error(kUser + "GPU H100:0", 2, 10, "count from 1 to 8");
  expect_error(kUser + "GPU H100:9", 2, 10, "got the count `9`");
  expect_error(kUser + "GPU H100:", 2, 10, "got the count ``");
  expect_error(kUser + "GPU A100", 2, 5,
               "GPU expects a GPU model (RTX5090, H100, H200 or B200) and an optional count "
               "from 1 to 8, e.g. `GPU H100:2`; got the model `A100`");
}

TEST(FormfileParse, ModelRequiredOrPreferred) {
  Formfile f = parse_ok(kUser + "MODEL required:meta-llama/Llama-3.1-8B@v1+x:y_z");
  ASSERT_TRUE(f.model);
  EXPECT_TRUE(f.model->required);
  EXPECT_EQ(f.model->id, "meta-llama/Llama-3.1-8B@v1+x:y_z");
  f = parse_ok(kUser + "MODEL preferred:gpt-oss");
  EXPECT_FALSE(f.model->required);
  expect_error(kUser + "MODEL wanted:x", 2, 7, "`required:<id>` or `preferred:<id>`");
  expect_error(kUser + "MODEL llama", 2, 7, "got `llama`");
  expect_error(kUser + "MODEL required:", 2, 16, "got the id ``");
  expect_error(kUser + "MODEL required:a$b", 2, 16, "got the id `a$b`");
}

// --- USER ---

TEST(FormfileParse, UserEveryOption) {
  const Formfile f = parse_ok(
      "USER username:_svc-1 passwd='p w' ssh_authorized_keys:\"ssh-a K1 a@b , ssh-b K2\" "
      "lock_passwd=yes sudo:ON shell:/bin/zsh groups:docker,users ssh_pwauth:no "
      "disable_root:0 chpasswd_expire:off\n");
  ASSERT_EQ(f.users.size(), 1u);
  const User& u = f.users[0];
  EXPECT_EQ(u.username, "_svc-1");
  EXPECT_EQ(u.password, "p w");
  EXPECT_EQ(u.ssh_authorized_keys, (std::vector<std::string>{"ssh-a K1 a@b", "ssh-b K2"}));
  EXPECT_TRUE(u.lock_passwd);
  EXPECT_TRUE(u.sudo);
  EXPECT_EQ(u.shell, "/bin/zsh");
  EXPECT_EQ(u.groups, (std::vector<std::string>{"docker", "users"}));
  EXPECT_FALSE(f.ssh_pwauth);
  EXPECT_FALSE(f.disable_root);
  EXPECT_FALSE(f.chpasswd_expire);
}

TEST(FormfileParse, UserBooleansAcceptEveryWord) {
  for (const std::string word : {"true", "TRUE", "yes", "1", "on", "On"}) {
    EXPECT_TRUE(parse_ok("USER username:a passwd:p sudo:" + word).users[0].sudo) << word;
  }
  for (const std::string word : {"false", "no", "0", "off", "NO"}) {
    EXPECT_FALSE(parse_ok("USER username:a passwd:p sudo:" + word).users[0].sudo) << word;
  }
  expect_error("USER username:a passwd:p lock_passwd:2", 1, 38, "USER lock_passwd expects");
  expect_error("USER username:a passwd:p ssh_pwauth:", 1, 37, "USER ssh_pwauth expects");
  expect_error("USER username:a passwd:p disable_root:y", 1, 39, "USER disable_root expects");
  expect_error("USER username:a passwd:p chpasswd_expire:t", 1, 42, "USER chpasswd_expire expects");
}

TEST(FormfileParse, UserQuotes) {
  const Formfile f =
      parse_ok(R"(USER username:a passwd:"say \"hi\" \\ ok" groups:'x,y' shell:"/bin/sh")");
  EXPECT_EQ(f.users[0].password, R"(say "hi" \ ok)");
  EXPECT_EQ(f.users[0].groups, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(parse_ok(R"(USER username:a passwd:'a\"b')").users[0].password, R"(a\"b)");
  expect_error("USER username:a passwd:\"open", 1, 24, "this \" quote is never closed");
  expect_error("USER username:a passwd:'open", 1, 24, "this ' quote is never closed");
}

TEST(FormfileParse, UserUsernameRules) {
  EXPECT_EQ(parse_ok("USER username:" + std::string(32, 'a') + " passwd:p").users[0].username,
            std::string(32, 'a'));
  expect_error("USER username:" + std::string(33, 'a') + " passwd:p", 1, 15,
               "USER username expects a lower-case letter or `_`");
  expect_error("USER username:Alice passwd:p", 1, 15, "got `Alice`");
  expect_error("USER username:1a passwd:p", 1, 15, "e.g. `username:alice`");
  expect_error("USER username: passwd:p", 1, 15, "got ``");
}

TEST(FormfileParse, UserKeyEqualsValue) {
  EXPECT_EQ(parse_ok("USER username=bob passwd=a:b").users[0].password, "a:b");
  EXPECT_EQ(parse_ok("USER username:bob passwd:a=b").users[0].password, "a=b");
}

TEST(FormfileParse, UserMissingUsernameOrPasswd) {
  expect_error("VCPU 1\n  USER passwd:p\n", 2, 3,
               "USER needs username, e.g. `USER username:alice passwd:changeme sudo:true`");
  expect_error("USER username:a sudo:true\n", 1, 1, "USER needs passwd");
  expect_error("USER\n", 1, 1, "USER needs username");
  expect_error("USER username:a passwd:\n", 1, 24, "USER passwd expects a non-empty password");
}

TEST(FormfileParse, UserOptionErrors) {
  expect_error("USER username:a passwd:p home:/x\n", 1, 26,
               "unknown USER option `home`; expected one of username, passwd, "
               "ssh_authorized_keys, lock_passwd, sudo, shell, ssh_pwauth, disable_root, "
               "chpasswd_expire, groups");
  expect_error("USER username:a passwd:p sudo\n", 1, 26, "USER expects key:value options");
  expect_error("USER username:a passwd:p sudo:1 sudo:0\n", 1, 33,
               "USER option sudo is given twice");
  expect_error("USER username:a passwd:p shell:bash\n", 1, 32,
               "USER shell expects an absolute path, e.g. `shell:/bin/bash`; got `bash`");
  expect_error("USER username:a passwd:p groups:docker,,x\n", 1, 33,
               "USER groups expects comma-separated group names");
  expect_error("USER username:a passwd:p groups:Docker\n", 1, 33, "got `Docker`");
  expect_error("USER username:a passwd:p ssh_authorized_keys:\"k1, \"\n", 1, 46,
               "USER ssh_authorized_keys expects comma-separated public keys");
}

TEST(FormfileParse, LargeFormfilesStayFast) {
  std::string text;
  for (int i = 0; text.size() < kMaxFormfileBytes / 2; ++i) {
    const std::string n = std::to_string(i);
    text += "USER username:u" + n + " passwd:p\nINSTALL p" + n + " q" + n + "\nEXPOSE " +
            std::to_string(i % 65535 + 1) + "\nENV --scope=user:u" + n + " K=v\n";
  }
  const ParseResult result = parse(text);  // quadratic duplicate checks would time out here
  EXPECT_TRUE(result.ok()) << (result.errors.empty() ? "" : format(result.errors[0]));
  EXPECT_GT(result.formfile.users.size(), 5000u);
}

TEST(FormfileParse, UserDuplicateUsername) {
  expect_error(kUser + "RUN x\nUSER username:alice passwd:q\n", 3, 15,
               "USER username `alice` is already defined on line 1");
}

TEST(FormfileParse, MachineWideOptionsMustAgree) {
  const Formfile f = parse_ok(
      "USER username:a passwd:p ssh_pwauth:false\nUSER username:b passwd:p\n"
      "USER username:c passwd:p ssh_pwauth:no disable_root:yes\n");
  EXPECT_FALSE(f.ssh_pwauth);
  EXPECT_TRUE(f.disable_root);
  EXPECT_TRUE(f.chpasswd_expire);
  expect_error(
      "USER username:a passwd:p chpasswd_expire:false\n"
      "USER username:b passwd:p chpasswd_expire:true\n",
      2, 42,
      "chpasswd_expire applies to the whole machine, so every USER that states it must agree; "
      "line 1 says false");
  expect_error(
      "USER username:a passwd:p disable_root:on\nUSER username:b passwd:p "
      "disable_root:off\n",
      2, 39, "line 1 says true");
}

// --- ENV ---

TEST(FormfileParse, EnvScopes) {
  const Formfile f =
      parse_ok(kUser +
               "ENV A=1 B=\"two words\" C=\nENV --scope=system D=x\n"
               "ENV --scope=user:alice E=y\nENV --scope=service:web.1@x-y_z F=z=w\n");
  ASSERT_EQ(f.env.size(), 6u);
  EXPECT_EQ(scope_text(f.env[0]), "system");
  EXPECT_EQ(f.env[1].value, "two words");
  EXPECT_EQ(f.env[2].key, "C");
  EXPECT_EQ(f.env[2].value, "");
  EXPECT_EQ(f.env[3].scope, EnvScope::system);
  EXPECT_EQ(f.env[4].scope, EnvScope::user);
  EXPECT_EQ(f.env[4].scope_name, "alice");
  EXPECT_EQ(scope_text(f.env[4]), "user:alice");
  EXPECT_EQ(f.env[5].scope_name, "web.1@x-y_z");
  EXPECT_EQ(f.env[5].value, "z=w");
}

TEST(FormfileParse, EnvUserScopeMayNameALaterUser) {
  EXPECT_EQ(parse_ok("ENV --scope=user:bob A=1\nUSER username:bob passwd:p\n").env.size(), 1u);
}

TEST(FormfileParse, EnvErrors) {
  expect_error(kUser + "ENV --scope=user:carol A=1", 2, 5,
               "ENV --scope=user:carol names no USER of this Formfile");
  expect_error(kUser + "ENV --scope=global A=1", 2, 5,
               "ENV expects `[--scope=system|user:<username>|service:<name>] KEY=value [KEY=value "
               "...]`, e.g. `ENV --scope=service:app PORT=8000`; got `--scope=global`");
  expect_error(kUser + "ENV --scope=service: A=1", 2, 5, "got `--scope=service:`");
  expect_error(kUser + "ENV --scope=service:a/b A=1", 2, 5, "got `--scope=service:a/b`");
  expect_error(kUser + "ENV --env=x A=1", 2, 5, "got `--env=x`");
  expect_error(kUser + "ENV", 2, 4, "got no KEY=value");
  expect_error(kUser + "ENV --scope=system", 2, 19, "got no KEY=value");
  expect_error(kUser + "ENV A=1 1B=2", 2, 9, "KEY being [A-Za-z_][A-Za-z0-9_]*");
  expect_error(kUser + "ENV PORT", 2, 5, "e.g. `ENV PORT=8000`; got `PORT`");
  expect_error(kUser + "ENV A-B=1", 2, 5, "got `A-B=1`");
  expect_error(kUser + "ENV A='x", 2, 7, "quote is never closed");
}

// --- WORKDIR, COPY, RUN ---

TEST(FormfileParse, WorkdirIsNormalisedAndIsAStep) {
  const Formfile f = parse_ok(kUser + "RUN a\nWORKDIR //srv//app/\nRUN b\n");
  EXPECT_EQ(f.workdir, "/srv/app");
  ASSERT_EQ(f.steps.size(), 3u);
  EXPECT_EQ(f.steps[1].kind, Step::Kind::workdir);
  EXPECT_EQ(f.steps[1].path, "/srv/app");
  EXPECT_EQ(f.steps[1].at, (Position{3, 1}));
  EXPECT_EQ(parse_ok(kUser + "WORKDIR /").workdir, "/");
}

TEST(FormfileParse, WorkdirErrors) {
  expect_error(kUser + "WORKDIR app", 2, 9,
               "WORKDIR expects an absolute path without `.` or `..` segments, e.g. `WORKDIR "
               "/app`; got `app`");
  expect_error(kUser + "WORKDIR /a/../b", 2, 9, "got `/a/../b`");
  expect_error(kUser + "WORKDIR /a/./b", 2, 9, "got `/a/./b`");
  expect_error(kUser + "WORKDIR", 2, 8, "got nothing");
  expect_error(kUser + "WORKDIR /a /b", 2, 12, "WORKDIR takes a single path");
}

TEST(FormfileParse, CopySourcesAndDestinations) {
  const Formfile f = parse_ok(kUser +
                              "COPY\nCOPY .\nCOPY ./\nCOPY ./app/\nCOPY a//b/./c dst/x\n"
                              "COPY \"my dir\" '/opt/my app/'\n");
  ASSERT_EQ(f.steps.size(), 6u);
  EXPECT_EQ(f.steps[0].src, ".");
  EXPECT_EQ(f.steps[0].dst, "");
  EXPECT_EQ(f.steps[1].src, ".");
  EXPECT_EQ(f.steps[2].src, ".");
  EXPECT_EQ(f.steps[3].src, "app");
  EXPECT_EQ(f.steps[4].src, "a/b/c");
  EXPECT_EQ(f.steps[4].dst, "dst/x");
  EXPECT_EQ(f.steps[5].src, "my dir");
  EXPECT_EQ(f.steps[5].dst, "/opt/my app/");
}

TEST(FormfileParse, CopyErrors) {
  expect_error(kUser + "COPY /etc/passwd", 2, 6,
               "the source must stay inside the build context, got `/etc/passwd`");
  expect_error(kUser + "COPY a/../../b", 2, 6, "the source must stay inside the build context");
  expect_error(kUser + "COPY .. /x", 2, 6, "got `..`");
  expect_error(kUser + "COPY a /x/../y", 2, 8, "the destination may not contain `..`");
  expect_error(kUser + "COPY a b c", 2, 10, "got a third argument `c`");
  expect_error(kUser + "COPY \"a b", 2, 6, "quote is never closed");
}

TEST(FormfileParse, RunKeepsTheCommandAsWritten) {
  const Formfile f = parse_ok(kUser + "RUN  echo \"$HOME\" | tr a b  # not a comment\n");
  EXPECT_EQ(f.steps[0].command, "echo \"$HOME\" | tr a b  # not a comment");
  expect_error(kUser + "RUN   ", 2, 4, "RUN expects a shell command");
}

TEST(FormfileParse, StepsKeepTheirOrder) {
  const Formfile f = parse_ok(kUser + "COPY a\nRUN x\nWORKDIR /w\nCOPY b c\nRUN y\n");
  std::vector<Step::Kind> kinds;
  for (const auto& step : f.steps) kinds.push_back(step.kind);
  EXPECT_EQ(kinds, (std::vector<Step::Kind>{Step::Kind::copy, Step::Kind::run, Step::Kind::workdir,
                                            Step::Kind::copy, Step::Kind::run}));
}

// --- INSTALL, EXPOSE ---

TEST(FormfileParse, InstallDropsDuplicates) {
  const Formfile f = parse_ok(kUser + "INSTALL git python3 g++\nINSTALL git libc6:amd64 a=1.0~b\n");
  EXPECT_EQ(f.packages,
            (std::vector<std::string>{"git", "python3", "g++", "libc6:amd64", "a=1.0~b"}));
  expect_error(kUser + "INSTALL git -y", 2, 13, "INSTALL expects one or more package names");
  expect_error(kUser + "INSTALL git;rm", 2, 9, "got `git;rm`");
  expect_error(kUser + "INSTALL", 2, 8, "got nothing");
}

TEST(FormfileParse, ExposeDropsDuplicatesAndChecksRange) {
  EXPECT_EQ(parse_ok(kUser + "EXPOSE 80 443 80\nEXPOSE 1 65535 443").expose,
            (std::vector<int>{80, 443, 1, 65535}));
  expect_error(kUser + "EXPOSE 0", 2, 8, "EXPOSE expects one or more port numbers from 1 to 65535");
  expect_error(kUser + "EXPOSE 80 65536", 2, 11, "got `65536`");
  expect_error(kUser + "EXPOSE http", 2, 8, "e.g. `EXPOSE 8000`");
  expect_error(kUser + "EXPOSE", 2, 7, "got nothing");
}

// --- ENTRYPOINT ---

TEST(FormfileParse, EntrypointExecForm) {
  const Formfile f = parse_ok(kUser + "ENTRYPOINT [\"docker-compose\", \\\n  \"up\", \"-d\"]\n");
  ASSERT_TRUE(f.entrypoint);
  EXPECT_TRUE(f.entrypoint->exec_form);
  EXPECT_EQ(f.entrypoint->argv, (std::vector<std::string>{"docker-compose", "up", "-d"}));
  EXPECT_EQ(f.entrypoint->at, (Position{2, 1}));
}

TEST(FormfileParse, EntrypointShellForm) {
  const Formfile f = parse_ok(kUser + "ENTRYPOINT exec python3 -m http.server 8080 >/dev/null\n");
  EXPECT_FALSE(f.entrypoint->exec_form);
  EXPECT_EQ(f.entrypoint->command, "exec python3 -m http.server 8080 >/dev/null");
  expect_error(kUser + "ENTRYPOINT", 2, 11, "ENTRYPOINT expects a JSON array");
}

TEST(FormfileParse, EntrypointBadJsonPointsAtTheOffendingCharacter) {
  expect_error(kUser + "ENTRYPOINT [\"a\" \"b\"]", 2, 17, "the JSON is not valid here");
  expect_error(kUser + "ENTRYPOINT [\"a\"] x", 2, 18, "the JSON is not valid here");
  expect_error(kUser + "ENTRYPOINT [\"a\",\n", 2, 17, "the JSON is not valid here");
  expect_error(kUser + "ENTRYPOINT [\"a\", \\\n   oops]\n", 3, 4, "the JSON is not valid here");
}

TEST(FormfileParse, EntrypointExecFormMustBeNonEmptyStrings) {
  expect_error(kUser + "ENTRYPOINT []", 2, 12,
               "ENTRYPOINT expects a JSON array of non-empty strings or a shell command, e.g. "
               "`ENTRYPOINT [\"python3\", \"server.py\"]`; got `[]`");
  expect_error(kUser + "ENTRYPOINT [\"a\", 1]", 2, 12, "got `[\"a\", 1]`");
  expect_error(kUser + "ENTRYPOINT [\"a\", \"\"]", 2, 12, "non-empty strings");
  expect_error(kUser + "ENTRYPOINT [\"a\\u0000b\"]", 2, 12, "non-empty strings");
}

// --- names and limits ---

TEST(FormfileParse, DefaultNameIsAHashOfTheText) {
  // SHA-256("") = e3b0c44298fc1c149afbf4c8996fb924...
  EXPECT_EQ(default_name(""), "form-e3b0c44298fc");
  EXPECT_EQ(default_name(kUser), default_name(kUser));
  EXPECT_NE(default_name(kUser), default_name(kUser + "\n"));
  const Formfile unnamed = parse_ok(kUser);
  EXPECT_EQ(effective_name(unnamed, kUser), default_name(kUser));
  const Formfile named = parse_ok(kUser + "NAME web");
  EXPECT_EQ(effective_name(named, kUser + "NAME web"), "web");
}

TEST(FormfileParse, NetworkLimitsNameTheLimit) {
  const Formfile f = parse_ok(kUser + "VCPU 4\nMEM 8192\nDISK 5\nGPU H100:2\n");
  NetworkLimits limits;
  EXPECT_TRUE(check_network_limits(f, limits).empty());
  limits.vcpus = {1, 2};
  limits.memory_mb = {512, 4096};
  limits.disk_gb = {10, 20};
  limits.max_gpus = 1;
  const auto errors = check_network_limits(f, limits);
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_EQ(format(errors[0]), "Formfile:2:1: VCPU 4 is above this network's maximum of 2");
  EXPECT_EQ(format(errors[1]), "Formfile:3:1: MEM 8192 is above this network's maximum of 4096");
  EXPECT_EQ(format(errors[2]), "Formfile:4:1: DISK 5 is below this network's minimum of 10");
  EXPECT_EQ(format(errors[3]), "Formfile:5:1: GPU count 2 is above this network's maximum of 1");
  limits.max_gpus = 0;
  EXPECT_NE(check_network_limits(f, limits)[3].message.find("this network offers no GPUs"),
            std::string::npos);
}

TEST(FormfileParse, NetworkLimitsOnDefaultsPointAtTheStart) {
  const Formfile f = parse_ok(kUser);
  NetworkLimits limits;
  limits.vcpus = {2, 4};
  const auto errors = check_network_limits(f, limits);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(format(errors[0]), "Formfile:1:1: VCPU 1 is below this network's minimum of 2");
  limits.max_gpus = 0;
  EXPECT_EQ(check_network_limits(f, limits).size(), 1u);  // no GPU asked, none refused
}

}  // namespace
}  // namespace formation::formfile

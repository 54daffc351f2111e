// The JSON form: its fields, and that it never carries a password.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>

#include "formfile.hpp"

namespace formation::formfile {
namespace {

rapidjson::Document json_of(const std::string& text) {
  const ParseResult result = parse(text);
  EXPECT_TRUE(result.ok()) << (result.errors.empty() ? "" : format(result.errors[0]));
  rapidjson::Document doc;
  doc.Parse(to_json(result.formfile).c_str());
  EXPECT_FALSE(doc.HasParseError());
  EXPECT_TRUE(doc.IsObject());
  return doc;
}

std::string str(const rapidjson::Value& value) {
  return {value.GetString(), value.GetStringLength()};
}

const std::string kFull = R"(NAME hello-server
DESCRIPTION A "quoted" server
USER username:webdev passwd:s3cret-Pa55 sudo:true groups:docker \
     ssh_authorized_keys:"ssh-ed25519 AAAAC3Nza... dev@laptop" ssh_pwauth:false
USER username:ops passwd:another-s3cret lock_passwd:true shell:/bin/sh
VCPU 2
MEM 2048
DISK 10
GPU h200:4
MODEL preferred:qwen/Qwen3-8B
COPY ./app /app
INSTALL python3 curl
WORKDIR /app/
RUN pip install -r requirements.txt
ENV --scope=service:app PORT=8000
ENV --scope=user:ops EDITOR=vi
EXPOSE 8000 9000
ENTRYPOINT ["python3", "server.py"]
)";

TEST(FormfileJson, CarriesEveryField) {
  const rapidjson::Document doc = json_of(kFull);
  EXPECT_EQ(str(doc["name"]), "hello-server");
  EXPECT_EQ(str(doc["description"]), "A \"quoted\" server");
  const auto& resources = doc["resources"];
  EXPECT_EQ(resources["vcpus"].GetInt(), 2);
  EXPECT_EQ(resources["memory_mb"].GetInt(), 2048);
  EXPECT_EQ(resources["disk_gb"].GetInt(), 10);
  EXPECT_EQ(str(resources["gpu"]["model"]), "H200");
  EXPECT_EQ(resources["gpu"]["count"].GetInt(), 4);
  EXPECT_EQ(str(doc["model"]["requirement"]), "preferred");
  EXPECT_EQ(str(doc["model"]["id"]), "qwen/Qwen3-8B");
  const auto& users = doc["users"];
  ASSERT_EQ(users.Size(), 2u);
  EXPECT_EQ(str(users[0]["username"]), "webdev");
  ASSERT_EQ(users[0]["ssh_authorized_keys"].Size(), 1u);
  EXPECT_EQ(str(users[0]["ssh_authorized_keys"][0]), "ssh-ed25519 AAAAC3Nza... dev@laptop");
  EXPECT_TRUE(users[0]["sudo"].GetBool());
  EXPECT_FALSE(users[0]["lock_passwd"].GetBool());
  EXPECT_EQ(str(users[0]["shell"]), "/bin/bash");
  EXPECT_EQ(str(users[0]["groups"][0]), "docker");
  EXPECT_TRUE(users[1]["lock_passwd"].GetBool());
  EXPECT_EQ(str(users[1]["shell"]), "/bin/sh");
  EXPECT_FALSE(users[0].HasMember("passwd"));
  EXPECT_FALSE(users[0].HasMember("password"));
  EXPECT_FALSE(doc["machine"]["ssh_pwauth"].GetBool());
  EXPECT_TRUE(doc["machine"]["disable_root"].GetBool());
  EXPECT_TRUE(doc["machine"]["chpasswd_expire"].GetBool());
  ASSERT_EQ(doc["packages"].Size(), 2u);
  EXPECT_EQ(str(doc["packages"][1]), "curl");
  ASSERT_EQ(doc["env"].Size(), 2u);
  EXPECT_EQ(str(doc["env"][0]["scope"]), "service:app");
  EXPECT_EQ(str(doc["env"][0]["key"]), "PORT");
  EXPECT_EQ(str(doc["env"][0]["value"]), "8000");
  EXPECT_EQ(str(doc["env"][1]["scope"]), "user:ops");
  EXPECT_EQ(str(doc["workdir"]), "/app");
  EXPECT_EQ(str(doc["entrypoint"]["exec"][1]), "server.py");
  EXPECT_FALSE(doc["entrypoint"].HasMember("shell"));
  ASSERT_EQ(doc["expose"].Size(), 2u);
  EXPECT_EQ(doc["expose"][1].GetInt(), 9000);
}

TEST(FormfileJson, StepsInOrderWithTheirLines) {
  const rapidjson::Document doc = json_of(kFull);
  const auto& steps = doc["steps"];
  ASSERT_EQ(steps.Size(), 3u);
  EXPECT_EQ(str(steps[0]["op"]), "copy");
  EXPECT_EQ(str(steps[0]["src"]), "app");
  EXPECT_EQ(str(steps[0]["dst"]), "/app");
  EXPECT_EQ(steps[0]["line"].GetInt(), 11);
  EXPECT_EQ(str(steps[1]["op"]), "workdir");
  EXPECT_EQ(str(steps[1]["path"]), "/app");
  EXPECT_EQ(steps[1]["line"].GetInt(), 13);
  EXPECT_EQ(str(steps[2]["op"]), "run");
  EXPECT_EQ(str(steps[2]["command"]), "pip install -r requirements.txt");
  EXPECT_EQ(steps[2]["line"].GetInt(), 14);
}

TEST(FormfileJson, NeverContainsAPassword) {
  const std::string json = to_json(parse(kFull).formfile);
  EXPECT_EQ(json.find("s3cret-Pa55"), std::string::npos);
  EXPECT_EQ(json.find("another-s3cret"), std::string::npos);
  EXPECT_EQ(json.find("\"passwd\""), std::string::npos);
  EXPECT_EQ(json.find("password"), std::string::npos);
}

TEST(FormfileJson, AbsentValuesAreNull) {
  const rapidjson::Document doc = json_of("USER username:a passwd:p\nENTRYPOINT sleep 1\n");
  EXPECT_TRUE(doc["name"].IsNull());
  EXPECT_TRUE(doc["description"].IsNull());
  EXPECT_TRUE(doc["resources"]["gpu"].IsNull());
  EXPECT_TRUE(doc["model"].IsNull());
  EXPECT_EQ(doc["resources"]["vcpus"].GetInt(), 1);
  EXPECT_EQ(doc["resources"]["memory_mb"].GetInt(), 512);
  EXPECT_EQ(doc["resources"]["disk_gb"].GetInt(), 5);
  EXPECT_EQ(str(doc["workdir"]), "/");
  EXPECT_EQ(str(doc["entrypoint"]["shell"]), "sleep 1");
  EXPECT_TRUE(doc["steps"].IsArray());
  EXPECT_TRUE(doc["expose"].Empty());
  EXPECT_TRUE(json_of("USER username:a passwd:p\n")["entrypoint"].IsNull());
}

TEST(FormfileJson, CompactAndEscaped) {
  const std::string json =
      to_json(parse("USER username:a passwd:p\nRUN printf '%s\\n' \"tab\there\"\n").formfile);
  EXPECT_EQ(json.find('\n'), std::string::npos);
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  ASSERT_FALSE(doc.HasParseError());
  EXPECT_EQ(str(doc["steps"][0]["command"]), "printf '%s\\n' \"tab\there\"");
  EXPECT_EQ(json.rfind("{\"name\":null,\"description\":null,\"resources\":{\"vcpus\":1,", 0), 0u);
}

}  // namespace
}  // namespace formation::formfile

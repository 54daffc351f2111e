// form instance | node | deploy against a canned loopback server: usage errors, the requests
// sent (method, path, JSON body), operations followed to their end, hints on errors, and the
// output in both formats.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "form_home.hpp"
#include "scripted_server.hpp"

namespace {

namespace fs = std::filesystem;
using form_test::request_body;
using form_test::ScriptedServer;

const char* const kKey = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
// Nothing listens there: a command that exits 2 or 5 with it sent nothing.
const char* const kNowhere = "http://127.0.0.1:9";

using form_test::form_run;
using form_test::Outcome;

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

const std::string kInstance =
    R"({"id":"i-1","name":"web","owner":"0x2c7536e3605d9c16a7a3d7b1898e529396a65c23",)"
    R"("build_id":"b1","node_id":"0xnode","state":"Started","desired_state":"Started",)"
    R"("vcpus":2,"memory_mb":2048,"disk_gb":20,"extra_disks_gb":[10,5],)"
    R"("formnet_ip":"10.0.0.7","dns_name":"web.example.net","error":null,"version":3})";

const std::string kInstanceTable =
    "id          i-1\n"
    "name        web\n"
    "state       Started\n"
    "vcpus       2\n"
    "memory      2048 MB\n"
    "disk        20 GB (extra disks: 10 GB, 5 GB)\n"
    "node        0xnode\n"
    "build       b1\n"
    "formnet ip  10.0.0.7\n"
    "dns name    web.example.net\n";

std::string accepted(const std::string& state, const std::string& operation_kind) {
  return R"({"instance":{"id":"i-1","name":"web","state":")" + state +
         R"("},"operation":{"id":"op-1","kind":")" + operation_kind +
         R"(","target_id":"i-1","state":"pending","progress":0}})";
}

std::string operation(const std::string& state, int progress, const std::string& message,
                      const std::string& extra = {}) {
  return R"({"id":"op-1","kind":"instance.create","target_id":"i-1","state":")" + state +
         R"(","progress":)" + std::to_string(progress) + R"(,"message":")" + message + "\"" +
         extra + "}";
}

std::string error_body(const std::string& code, const std::string& message) {
  return R"({"error":{"code":")" + code + R"(","message":")" + message + R"(","request_id":"r1"}})";
}

class FormInstance : public form_test::FormHome {
 protected:
  void SetUp() override {
    FormHome::SetUp();
    key_ = import_key(kKey, "key");
  }

  // `form --api URL --key KEY args...`
  Outcome run_at(const ScriptedServer& server, std::vector<std::string> args) {
    args.insert(args.begin(), {"--api", server.url(), "--key", key_});
    return form_run(args);
  }
  std::string key_;
};

// ---- usage errors (nothing is sent) ----------------------------------------------------

TEST_F(FormInstance, GroupsListTheirVerbs) {
  auto group = form_run({"instance", "--help"});
  EXPECT_EQ(group.code, 0);
  for (const char* verb :
       {"create", "list", "show", "start", "stop", "reboot", "delete", "resize", "attach-disk"})
    EXPECT_NE(group.out.find(std::string("instance ") + verb), std::string::npos) << verb;
  auto nodes = form_run({"node", "--help"});
  EXPECT_EQ(nodes.code, 0);
  EXPECT_NE(nodes.out.find("node show"), std::string::npos) << nodes.out;
  auto deploy = form_run({"deploy", "--help"});
  EXPECT_EQ(deploy.code, 0);
  EXPECT_NE(deploy.out.find("--vcpus"), std::string::npos) << deploy.out;
}

TEST_F(FormInstance, UsageErrors) {
  auto no_build = form_run({"--api", kNowhere, "instance", "create"});
  EXPECT_EQ(no_build.code, 2);
  EXPECT_NE(no_build.err.find("needs --build BUILD_ID"), std::string::npos) << no_build.err;

  auto resize = form_run({"--api", kNowhere, "instance", "resize", "i-1"});
  EXPECT_EQ(resize.code, 2);
  EXPECT_NE(resize.err.find("needs --vcpus N or --memory MB"), std::string::npos) << resize.err;

  auto disk = form_run({"--api", kNowhere, "instance", "attach-disk", "i-1"});
  EXPECT_EQ(disk.code, 2);
  EXPECT_NE(disk.err.find("needs --size GB"), std::string::npos) << disk.err;

  const std::vector<std::vector<std::string>> bad_numbers = {
      {"instance", "create", "--build", "b1", "--vcpus", "0"},
      {"instance", "create", "--build", "b1", "--memory", "2GB"},
      {"instance", "create", "--build", "b1", "--disk", "-5"},
      {"instance", "resize", "i-1", "--vcpus", "two"},
      {"instance", "resize", "i-1", "--memory", "99999999999999999999"},
      {"instance", "attach-disk", "i-1", "--size", "0"},
      {"instance", "list", "--limit", "ten"},
      {"deploy", ".", "--vcpus", "x"},
  };
  for (auto args : bad_numbers) {
    const std::string option = args[args.size() - 2];
    args.insert(args.begin(), {"--api", kNowhere});
    auto r = form_run(args);
    EXPECT_EQ(r.code, 2) << option << ": " << r.err;
    EXPECT_NE(r.err.find("invalid " + option), std::string::npos) << r.err;
  }

  EXPECT_EQ(form_run({"--api", kNowhere, "instance", "show"}).code, 2);
  EXPECT_EQ(form_run({"--api", kNowhere, "instance", "show", "a", "b"}).code, 2);
  EXPECT_EQ(form_run({"--api", kNowhere, "instance", "start"}).code, 2);
  EXPECT_EQ(form_run({"--api", kNowhere, "node", "show"}).code, 2);
  EXPECT_EQ(form_run({"--api", kNowhere, "instance", "list", "extra"}).code, 2);
  auto typo = form_run({"--api", kNowhere, "instance", "create", "--biuld", "b1"});
  EXPECT_EQ(typo.code, 2);
  EXPECT_NE(typo.err.find("did you mean '--build'"), std::string::npos) << typo.err;
}

TEST_F(FormInstance, DeleteWithoutTerminalNeedsYes) {
  if (::isatty(STDIN_FILENO)) GTEST_SKIP() << "stdin is a terminal; the prompt would wait";
  ScriptedServer server({{202, accepted("Started", "instance.delete")}});
  auto refused = run_at(server, {"instance", "delete", "i-1"});
  EXPECT_EQ(refused.code, 2);
  EXPECT_NE(refused.err.find("stdin is not a terminal"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("--yes"), std::string::npos) << refused.err;
  EXPECT_TRUE(server.requests().empty());
}

// ---- create and the operations it starts ------------------------------------------------

TEST_F(FormInstance, CreateFollowsTheOperationToItsEnd) {
  ScriptedServer server({{202, accepted("Created", "instance.create")},
                         {200, operation("pending", 0, "")},
                         {200, operation("running", 40, "booting")},
                         {200, operation("succeeded", 100, "started")},
                         {200, kInstance}});
  auto created = run_at(server, {"instance", "create", "--build", "b1", "--name", "web", "--vcpus",
                                 "2", "--memory", "2048", "--disk", "20"});
  ASSERT_EQ(created.code, 0) << created.err;
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 5u);
  EXPECT_TRUE(starts_with(requests[0], "POST /v1/instances HTTP/1.1\r\n")) << requests[0];
  EXPECT_NE(requests[0].find("X-Formation-Signature: 0x"), std::string::npos);
  EXPECT_EQ(request_body(requests[0]),
            R"({"build_id":"b1","name":"web","vcpus":2,"memory_mb":2048,"disk_gb":20})");
  for (int i = 1; i <= 3; ++i)
    EXPECT_TRUE(starts_with(requests[i], "GET /v1/operations/op-1 HTTP/1.1\r\n")) << requests[i];
  EXPECT_TRUE(starts_with(requests[4], "GET /v1/instances/i-1 HTTP/1.1\r\n")) << requests[4];

  EXPECT_EQ(created.err,
            "creating instance i-1 (operation op-1)\n"
            "pending 0%\n"
            "booting 40%\n"
            "started 100%\n");
  EXPECT_EQ(created.out, kInstanceTable);
}

TEST_F(FormInstance, CreateSendsOnlyWhatWasGivenAndJsonIsTheServersInstance) {
  ScriptedServer server({{202, accepted("Created", "instance.create")},
                         {200, operation("succeeded", 100, "started")},
                         {200, kInstance}});
  auto created = run_at(server, {"instance", "create", "--build", "b\"1", "-o", "json", "--quiet"});
  ASSERT_EQ(created.code, 0) << created.err;
  EXPECT_EQ(request_body(server.requests()[0]), R"({"build_id":"b\"1"})");
  EXPECT_EQ(created.out, kInstance + "\n");
  EXPECT_EQ(created.err, "");
}

TEST_F(FormInstance, CreateNoWaitPrintsTheIdAtOnce) {
  ScriptedServer server({{202, accepted("Created", "instance.create")}});
  auto created = run_at(server, {"instance", "create", "--build", "b1", "--no-wait"});
  ASSERT_EQ(created.code, 0) << created.err;
  EXPECT_EQ(created.out, "i-1\n");
  EXPECT_EQ(server.requests().size(), 1u);
  auto json = run_at(server, {"instance", "create", "--build", "b1", "--no-wait", "-o", "json"});
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_EQ(json.out, accepted("Created", "instance.create") + "\n");
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST_F(FormInstance, AFailedOperationExits1WithItsMessage) {
  ScriptedServer server(
      {{202, accepted("Created", "instance.create")},
       {200, operation("running", 10, "defining")},
       {200, operation("failed", 10, "failed",
                       R"(,"error":{"code":"vm_failed","message":"libvirt: no space left"})")}});
  auto created = run_at(server, {"instance", "create", "--build", "b1"});
  EXPECT_EQ(created.code, 1) << created.err;
  EXPECT_EQ(created.out, "");
  EXPECT_NE(created.err.find("error: creating instance i-1 failed: libvirt: no space left"),
            std::string::npos)
      << created.err;
  EXPECT_NE(created.err.find("hint: 'form instance show i-1'"), std::string::npos) << created.err;
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST_F(FormInstance, StopFollowsItsOperation) {
  const std::string stopped = R"({"id":"i-1","name":"web","state":"Stopped","vcpus":2})";
  ScriptedServer server({{202, accepted("Started", "instance.stop")},
                         {200, operation("running", 50, "powering off")},
                         {200, operation("succeeded", 100, "stopped")},
                         {200, stopped}});
  auto r = run_at(server, {"instance", "stop", "i-1"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_TRUE(starts_with(requests[0], "POST /v1/instances/i-1/stop HTTP/1.1\r\n")) << requests[0];
  EXPECT_EQ(request_body(requests[0]), "");
  EXPECT_NE(r.err.find("powering off 50%"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("state       Stopped\n"), std::string::npos) << r.out;

  ScriptedServer no_wait({{202, accepted("Started", "instance.stop")}});
  auto quick = run_at(no_wait, {"instance", "stop", "i-1", "--no-wait"});
  ASSERT_EQ(quick.code, 0) << quick.err;
  EXPECT_EQ(quick.out, "i-1\n");
  EXPECT_EQ(no_wait.requests().size(), 1u);
}

TEST_F(FormInstance, DeleteWithYesFollowsAndSaysDeleted) {
  const std::string done = operation("succeeded", 100, "deleted");
  ScriptedServer server({{202, accepted("Started", "instance.delete")}, {200, done}});
  auto r = run_at(server, {"instance", "delete", "i-1", "--yes"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_TRUE(starts_with(requests[0], "DELETE /v1/instances/i-1 HTTP/1.1\r\n")) << requests[0];
  EXPECT_TRUE(starts_with(requests[1], "GET /v1/operations/op-1 ")) << requests[1];
  EXPECT_EQ(r.out, "deleted i-1\n");

  ScriptedServer json_server({{202, accepted("Started", "instance.delete")}, {200, done}});
  auto json = run_at(json_server, {"instance", "delete", "i-1", "--yes", "-o", "json"});
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_EQ(json.out, done + "\n");
}

// ---- the other verbs: requests and output -----------------------------------------------

TEST_F(FormInstance, ShowPrintsTheInstance) {
  const std::string broken =
      R"({"id":"i/2","name":"db","state":"CriticalError","desired_state":"Started",)"
      R"("vcpus":1,"memory_mb":1024,"disk_gb":5,"extra_disks_gb":[],"formnet_ip":null,)"
      R"("error":"disk image missing"})";
  ScriptedServer server({{200, broken}});
  auto r = run_at(server, {"instance", "show", "i/2"});
  ASSERT_EQ(r.code, 0) << r.err;
  // The id is one path segment, whatever it holds.
  EXPECT_TRUE(starts_with(server.requests()[0], "GET /v1/instances/i%2F2 HTTP/1.1\r\n"))
      << server.requests()[0];
  EXPECT_EQ(r.out,
            "id          i/2\n"
            "name        db\n"
            "state       CriticalError (desired: Started)\n"
            "vcpus       1\n"
            "memory      1024 MB\n"
            "disk        5 GB\n"
            "node\n"
            "build\n"
            "formnet ip  -\n"
            "dns name    -\n"
            "error       disk image missing\n");
  auto json = run_at(server, {"instance", "show", "i/2", "-o", "json"});
  EXPECT_EQ(json.out, broken + "\n");
}

TEST_F(FormInstance, StartRebootResizeAndAttachDiskSendTheirRequests) {
  ScriptedServer server({{200, kInstance}});
  ASSERT_EQ(run_at(server, {"instance", "start", "i-1"}).code, 0);
  auto rebooted = run_at(server, {"instance", "reboot", "i-1"});
  ASSERT_EQ(rebooted.code, 0) << rebooted.err;
  EXPECT_EQ(rebooted.out, kInstanceTable);
  ASSERT_EQ(run_at(server, {"instance", "resize", "i-1", "--vcpus", "4"}).code, 0);
  ASSERT_EQ(run_at(server, {"instance", "resize", "i-1", "--memory", "4096"}).code, 0);
  auto both = run_at(
      server, {"instance", "resize", "i-1", "--vcpus", "4", "--memory", "4096", "-o", "json"});
  ASSERT_EQ(both.code, 0) << both.err;
  EXPECT_EQ(both.out, kInstance + "\n");

  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 5u);
  EXPECT_TRUE(starts_with(requests[0], "POST /v1/instances/i-1/start HTTP/1.1\r\n"));
  EXPECT_TRUE(starts_with(requests[1], "POST /v1/instances/i-1/reboot HTTP/1.1\r\n"));
  for (int i = 2; i < 5; ++i)
    EXPECT_TRUE(starts_with(requests[i], "POST /v1/instances/i-1/resize HTTP/1.1\r\n"));
  EXPECT_EQ(request_body(requests[2]), R"({"vcpus":4})");
  EXPECT_EQ(request_body(requests[3]), R"({"memory_mb":4096})");
  EXPECT_EQ(request_body(requests[4]), R"({"vcpus":4,"memory_mb":4096})");

  const std::string attached = R"({"device":"vdb","instance":)" + kInstance + "}";
  ScriptedServer disks({{200, attached}});
  auto r = run_at(disks, {"instance", "attach-disk", "i-1", "--size", "10"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(starts_with(disks.requests()[0], "POST /v1/instances/i-1/disks HTTP/1.1\r\n"));
  EXPECT_EQ(request_body(disks.requests()[0]), R"({"size_gb":10})");
  EXPECT_TRUE(starts_with(r.out, "new disk    vdb (10 GB)\nid          i-1\n")) << r.out;
  auto json = run_at(disks, {"instance", "attach-disk", "i-1", "--size=10", "-o", "json"});
  EXPECT_EQ(json.out, attached + "\n");
}

TEST_F(FormInstance, ListPrintsRowsAndFollowsPagesWithAll) {
  const std::string page1 = R"({"instances":[{"id":"i-1","name":"web","state":"Started","vcpus":2,)"
                            R"("memory_mb":2048,"node_id":"0xnode"}],"next_page_token":"t/1"})";
  const std::string page2 = R"({"instances":[{"id":"i-22","name":"db","state":"Stopped","vcpus":1,)"
                            R"("memory_mb":512,"node_id":"0xnode"}],"next_page_token":""})";
  ScriptedServer server({{200, page1}, {200, page2}});
  auto listed = run_at(server, {"instance", "list", "--all", "--limit", "1"});
  ASSERT_EQ(listed.code, 0) << listed.err;
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_TRUE(starts_with(requests[0], "GET /v1/instances?limit=1 HTTP/1.1")) << requests[0];
  EXPECT_TRUE(starts_with(requests[1], "GET /v1/instances?limit=1&page_token=t%2F1 HTTP/1.1"))
      << requests[1];
  EXPECT_EQ(listed.out,
            "ID    NAME  STATE    VCPUS  MEMORY   NODE\n"
            "i-1   web   Started  2      2048 MB  0xnode\n"
            "i-22  db    Stopped  1      512 MB   0xnode\n");

  ScriptedServer one({{200, page1}});
  auto page = run_at(one, {"instance", "list"});
  ASSERT_EQ(page.code, 0) << page.err;
  EXPECT_NE(page.err.find("--page-token t/1"), std::string::npos) << page.err;
  auto json = run_at(one, {"instance", "list", "-o", "json"});
  EXPECT_EQ(json.out, page1 + "\n");

  ScriptedServer none({{200, R"({"instances":[],"next_page_token":""})"}});
  auto empty = run_at(none, {"instance", "list"});
  EXPECT_EQ(empty.code, 0);
  EXPECT_EQ(empty.out, "");
  EXPECT_NE(empty.err.find("no instances"), std::string::npos) << empty.err;
}

// ---- errors and their hints -------------------------------------------------------------

TEST_F(FormInstance, ErrorsCarryInstanceHints) {
  {
    ScriptedServer server({{404, error_body("not_found", "no instance i-9")}});
    auto r = run_at(server, {"instance", "show", "i-9"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("error: not_found: no instance i-9 (request r1)"), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("hint: no instance i-9 you can see; 'form instance list'"),
              std::string::npos)
        << r.err;
  }
  {
    ScriptedServer server({{409, error_body("conflict", "instance i-1 is Stopped")}});
    auto r = run_at(server, {"instance", "reboot", "i-1"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("instance i-1 is Stopped"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("hint: see 'form instance show i-1'"), std::string::npos) << r.err;
  }
  {
    ScriptedServer server({{402, error_body("payment_required", "balance is 0")}});
    auto r = run_at(server, {"instance", "create", "--build", "b1"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("add credits"), std::string::npos) << r.err;
  }
  {
    ScriptedServer server({{404, error_body("not_found", "no build b9")}});
    auto r = run_at(server, {"instance", "create", "--build", "b9"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("'form pack list'"), std::string::npos) << r.err;
  }
  {
    ScriptedServer server({{403, error_body("permission_denied", "read_only")}});
    auto r = run_at(server, {"instance", "resize", "i-1", "--vcpus", "2"});
    EXPECT_EQ(r.code, 4);
    EXPECT_NE(r.err.find("needs manager access to instance i-1"), std::string::npos) << r.err;
  }
}

// ---- nodes ------------------------------------------------------------------------------

const std::string kNode =
    R"({"id":"0xnode","region":"eu-west","public_ip":"203.0.113.5",)"
    R"("endpoint":"https://203.0.113.5:3004","capacity":{"vcpus":8,"memory_mb":16384,)"
    R"("disk_gb":200},"allocated":{"vcpus":2,"memory_mb":2048,"disk_gb":30},)"
    R"("available":{"vcpus":6,"memory_mb":14336,"disk_gb":170},)"
    R"("heartbeat_at":"2026-11-21T07:00:00Z","created_at":"2026-11-20T07:00:00Z"})";

TEST_F(FormInstance, NodeListAndShow) {
  const std::string list = R"({"nodes":[)" + kNode + R"(],"next_page_token":""})";
  ScriptedServer server({{200, list}});
  auto listed = run_at(server, {"node", "list"});
  ASSERT_EQ(listed.code, 0) << listed.err;
  EXPECT_TRUE(starts_with(server.requests()[0], "GET /v1/nodes HTTP/1.1\r\n"));
  EXPECT_EQ(listed.out,
            "ID      REGION   PUBLIC IP    CAPACITY     ALLOCATED  AVAILABLE\n"
            "0xnode  eu-west  203.0.113.5  8/16384/200  2/2048/30  6/14336/170\n");
  auto json = run_at(server, {"node", "list", "-o", "json"});
  EXPECT_EQ(json.out, list + "\n");

  ScriptedServer one({{200, kNode}});
  auto shown = run_at(one, {"node", "show", "0xnode"});
  ASSERT_EQ(shown.code, 0) << shown.err;
  EXPECT_TRUE(starts_with(one.requests()[0], "GET /v1/nodes/0xnode HTTP/1.1\r\n"));
  EXPECT_EQ(shown.out,
            "id         0xnode\n"
            "region     eu-west\n"
            "public ip  203.0.113.5\n"
            "endpoint   https://203.0.113.5:3004\n"
            "capacity   8/16384/200\n"
            "allocated  2/2048/30\n"
            "available  6/14336/170\n"
            "heartbeat  2026-11-21T07:00:00Z\n"
            "created    2026-11-20T07:00:00Z\n");
  auto shown_json = run_at(one, {"node", "show", "0xnode", "-o", "json"});
  EXPECT_EQ(shown_json.out, kNode + "\n");

  ScriptedServer missing({{404, error_body("not_found", "no node")}});
  auto gone = run_at(missing, {"node", "show", "0xother"});
  EXPECT_EQ(gone.code, 1);
  EXPECT_NE(gone.err.find("'form node list'"), std::string::npos) << gone.err;
}

TEST_F(FormInstance, NodeListFollowsEveryPage) {
  ScriptedServer server({{200, R"({"nodes":[{"id":"n1"}],"next_page_token":"p2"})"},
                         {200, R"({"nodes":[{"id":"n2"}],"next_page_token":""})"}});
  auto listed = run_at(server, {"node", "list", "-o", "json"});
  ASSERT_EQ(listed.code, 0) << listed.err;
  EXPECT_TRUE(starts_with(server.requests()[1], "GET /v1/nodes?page_token=p2 HTTP/1.1"));
  EXPECT_EQ(listed.out, R"({"nodes":[{"id":"n1"},{"id":"n2"}],"next_page_token":""})"
                        "\n");
}

// ---- deploy -----------------------------------------------------------------------------

TEST_F(FormInstance, DeployBuildsThenCreates) {
  const fs::path dir = home_ / "ctx";
  fs::create_directories(dir);
  std::ofstream(dir / "Formfile") << "NAME deploy-test\nUSER username:dev passwd:secret\n";
  const std::string build_accepted =
      R"({"build_id":"b1","name":"deploy-test","operation":{"id":"op-b","state":"pending"}})";
  ScriptedServer server({{202, build_accepted},
                         {200, R"({"id":"op-b","state":"succeeded","progress":100,)"
                               R"("message":"built"})"},
                         {202, accepted("Created", "instance.create")},
                         {200, operation("succeeded", 100, "started")},
                         {200, kInstance}});
  auto r = run_at(server, {"deploy", dir.string(), "--name", "web", "--vcpus", "2"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 5u);
  EXPECT_TRUE(starts_with(requests[0], "POST /v1/builds HTTP/1.1\r\n")) << requests[0];
  EXPECT_NE(requests[0].find("Content-Type: application/gzip"), std::string::npos);
  EXPECT_TRUE(starts_with(requests[1], "GET /v1/operations/op-b "));
  EXPECT_TRUE(starts_with(requests[2], "POST /v1/instances HTTP/1.1\r\n"));
  EXPECT_EQ(request_body(requests[2]), R"({"build_id":"b1","name":"web","vcpus":2})");
  EXPECT_TRUE(starts_with(requests[3], "GET /v1/operations/op-1 "));
  EXPECT_TRUE(starts_with(requests[4], "GET /v1/instances/i-1 "));
  EXPECT_NE(r.err.find("build b1 started"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("built 100%"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("creating instance i-1"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, kInstanceTable);
}

TEST_F(FormInstance, DeployStopsAtAnInvalidOrFailedBuild) {
  const fs::path dir = home_ / "bad";
  fs::create_directories(dir);
  std::ofstream(dir / "Formfile") << "USER username:dev passwd:x\nVCPU two\n";
  auto invalid = form_run({"--api", kNowhere, "--key", key_, "deploy", dir.string()});
  EXPECT_EQ(invalid.code, 5) << invalid.err;
  EXPECT_NE(invalid.err.find("Formfile:2:6:"), std::string::npos) << invalid.err;

  std::ofstream(dir / "Formfile") << "USER username:dev passwd:x\n";
  ScriptedServer server(
      {{202, R"({"build_id":"b1","name":"x","operation":{"id":"op-b"}})"},
       {200, R"({"id":"op-b","state":"failed","error":{"code":"x","message":"apt failed"}})"}});
  auto failed = run_at(server, {"deploy", dir.string(), "--quiet"});
  EXPECT_EQ(failed.code, 1);
  EXPECT_NE(failed.err.find("the build failed: apt failed"), std::string::npos) << failed.err;
  EXPECT_EQ(server.requests().size(), 2u);
}

}  // namespace

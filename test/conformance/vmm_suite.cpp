// Vmm conformance: the contract of formation/kinds/vmm.hpp checked on any backend. It
// makes its own base image (qemu-img) and a fake seed in a temp dir, uses random instance
// ids and removes every domain it defined.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "check_support.hpp"
#include "conformance.hpp"
#include "formation/kinds/vmm.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration)

namespace formation::conformance {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

bool run_quietly(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  int spawned = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return false;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

class Scratch {
 public:
  Scratch() : root_(fs::temp_directory_path() / ("formation-vmm-conformance-" + random_hex(12))) {
    fs::create_directories(root_);
    base_ = root_ / "base.qcow2";
    seed_ = root_ / "seed.iso";
    ok_ = run_quietly({"qemu-img", "create", "-q", "-f", "qcow2", base_.string(), "1G"});
    std::ofstream(seed_) << "conformance seed";
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] DomainSpec spec() const {
    DomainSpec s;
    s.instance_id = random_hex(32);
    s.name = "conformance <" + s.instance_id.substr(0, 6) + ">";
    s.vcpus = 1;
    s.max_vcpus = 2;
    s.memory_mb = 256;
    s.max_memory_mb = 512;
    s.disk_gb = 2;
    s.base_image = base_;
    s.seed_iso = seed_;
    s.console_log = root_ / (s.instance_id + ".log");
    s.metadata_json = R"({"owner": "0x0000000000000000000000000000000000000001"})";
    return s;
  }

 private:
  fs::path root_;
  fs::path base_;
  fs::path seed_;
  bool ok_ = false;
};

std::string expect(const Status& st, StatusCode code, const char* call) {
  if (st.code() == code) return {};
  return std::string(call) + ": expected " + std::string(to_string(code)) + ", got " +
         st.to_string();
}

std::string optional_ok(const Status& st, const char* call) {
  if (st.is_ok() || st.code() == StatusCode::unsupported) return {};
  return std::string(call) + ": " + st.to_string();
}

std::vector<CheckResult> vmm_suite_impl(Vmm& vmm) {
  std::vector<CheckResult> out;
  Scratch scratch;
  if (!scratch.ok()) {
    out.push_back({"qemu-img makes the suite's base image", false, "is qemu-img installed?"});
    return out;
  }
  std::vector<std::string> defined;
  const auto spec = scratch.spec();

  run_check(out, "define -> shut_off -> start -> running -> stop -> shut_off",
            [&]() -> std::string {
              auto st = vmm.define(spec);
              if (!st.is_ok()) return "define: " + st.to_string();
              defined.push_back(spec.instance_id);
              auto s = vmm.state(spec.instance_id);
              if (!s.is_ok() || s->state != DomainRunState::shut_off) {
                return "state after define: " +
                       (s.is_ok() ? std::string(to_string(s->state)) : s.status().to_string());
              }
              if (st = vmm.start(spec.instance_id); !st.is_ok()) return "start: " + st.to_string();
              s = vmm.state(spec.instance_id);
              if (!s.is_ok() || s->state != DomainRunState::running) return "not running";
              if (st = vmm.stop(spec.instance_id, seconds(10)); !st.is_ok()) {
                return "stop: " + st.to_string();
              }
              s = vmm.state(spec.instance_id);
              if (!s.is_ok() || s->state != DomainRunState::shut_off) return "not off after stop";
              return {};
            });

  run_check(out, "illegal transitions are conflicts", [&]() -> std::string {
    if (auto e = expect(vmm.define(spec), StatusCode::conflict, "define twice"); !e.empty())
      return e;
    if (auto e = expect(vmm.reboot(spec.instance_id), StatusCode::conflict, "reboot when off");
        !e.empty())
      return e;
    if (!vmm.start(spec.instance_id).is_ok()) return "start failed";
    if (auto e = expect(vmm.start(spec.instance_id), StatusCode::conflict, "start twice");
        !e.empty())
      return e;
    if (auto e =
            expect(vmm.undefine(spec.instance_id), StatusCode::conflict, "undefine while running");
        !e.empty())
      return e;
    if (auto st = vmm.reboot(spec.instance_id); !st.is_ok()) return "reboot: " + st.to_string();
    if (auto st = vmm.destroy(spec.instance_id); !st.is_ok()) return "destroy: " + st.to_string();
    if (auto st = vmm.destroy(spec.instance_id); !st.is_ok()) {
      return "destroy when off: " + st.to_string();
    }
    return {};
  });

  run_check(out, "list_domains contains what was defined", [&]() -> std::string {
    auto list = vmm.list_domains();
    if (!list.is_ok()) return list.status().to_string();
    for (const auto& d : *list) {
      if (d.instance_id == spec.instance_id) return {};
    }
    return "instance " + spec.instance_id + " missing";
  });

  run_check(out, "optional methods answer ok or unsupported", [&]() -> std::string {
    const auto& id = spec.instance_id;
    if (auto e = optional_ok(vmm.set_vcpus(id, 2), "set_vcpus"); !e.empty()) return e;
    if (auto e = optional_ok(vmm.set_memory(id, 384), "set_memory"); !e.empty()) return e;
    if (auto e = optional_ok(vmm.attach_disk(id, 1).status(), "attach_disk"); !e.empty()) return e;
    if (auto e = optional_ok(vmm.all_stats().status(), "all_stats"); !e.empty()) return e;
    if (auto e = optional_ok(vmm.host_capacity().status(), "host_capacity"); !e.empty()) return e;
    auto sub = vmm.subscribe([](const DomainEvent&) {});
    if (auto e = optional_ok(sub.status(), "subscribe"); !e.empty()) return e;
    if (sub.is_ok()) {
      if (auto st = vmm.unsubscribe(*sub); !st.is_ok()) return "unsubscribe: " + st.to_string();
    }
    return {};
  });

  run_check(out, "resizing beyond max is invalid", [&]() -> std::string {
    auto st = vmm.set_vcpus(spec.instance_id, spec.max_vcpus + 1);
    if (st.code() != StatusCode::unsupported) {
      if (auto e = expect(st, StatusCode::invalid, "set_vcpus above max"); !e.empty()) return e;
    }
    st = vmm.set_vcpus(spec.instance_id, 0);
    if (st.code() != StatusCode::unsupported) {
      if (auto e = expect(st, StatusCode::invalid, "set_vcpus 0"); !e.empty()) return e;
    }
    return {};
  });

  run_check(out, "undefine removes the domain; then not_found", [&]() -> std::string {
    if (auto st = vmm.undefine(spec.instance_id); !st.is_ok()) return "undefine: " + st.to_string();
    defined.clear();
    if (auto e = expect(vmm.state(spec.instance_id).status(), StatusCode::not_found, "state");
        !e.empty())
      return e;
    return expect(vmm.undefine(spec.instance_id), StatusCode::not_found, "undefine again");
  });

  run_check(out, "unknown ids are not_found everywhere", [&]() -> std::string {
    const auto id = random_hex(32);
    if (auto e = expect(vmm.start(id), StatusCode::not_found, "start"); !e.empty()) return e;
    if (auto e = expect(vmm.stop(id, seconds(1)), StatusCode::not_found, "stop"); !e.empty())
      return e;
    if (auto e = expect(vmm.reboot(id), StatusCode::not_found, "reboot"); !e.empty()) return e;
    if (auto e = expect(vmm.destroy(id), StatusCode::not_found, "destroy"); !e.empty()) return e;
    if (auto e = expect(vmm.undefine(id), StatusCode::not_found, "undefine"); !e.empty()) return e;
    return expect(vmm.state(id).status(), StatusCode::not_found, "state");
  });

  run_check(out, "a missing base image is not_found and defines nothing", [&]() -> std::string {
    auto bad = scratch.spec();
    bad.base_image = fs::temp_directory_path() / ("missing-" + random_hex(8) + ".qcow2");
    if (auto e = expect(vmm.define(bad), StatusCode::not_found, "define"); !e.empty()) return e;
    return expect(vmm.state(bad.instance_id).status(), StatusCode::not_found, "state after");
  });

  for (const auto& id : defined) {
    (void)vmm.destroy(id);
    (void)vmm.undefine(id);
  }
  return out;
}

}  // namespace

std::vector<CheckResult> vmm_suite(Subject& s) {
  return vmm_suite_impl(static_cast<Vmm&>(s.plugin));
}

}  // namespace formation::conformance

// bench_vmm: instance figures for issue 5 (see README.md), against a running formationd.
//   bench_vmm create --api URL --key HEX --build ID --runs N --work DIR
//     create -> Started through the API (POST /v1/instances, then GET /v1/operations/{id}
//     every 10 ms) against the same by hand in the same run: `qemu-img create` of the
//     overlay, `qemu-img resize`, `virsh define` of the domain XML formationd wrote and
//     `virsh start`. Prints both medians and the ratio API / by hand.
//   bench_vmm list --api URL --key HEX --build ID --instances N --requests M
//     creates instances until the caller has N, then times M x GET /v1/instances (pages of
//     100, the API's maximum) and prints p50, p99 and max.
#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "signed_client.hpp"

namespace {

using Api = formation::bench::SignedClient;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string mode, api, key_hex, build, work;
  int runs = 5, instances = 1000, requests = 1000;
};

std::string field(const std::string& json, const std::string& name) {
  std::smatch m;
  if (std::regex_search(json, m, std::regex("\"" + name + "\":\"([^\"]*)\""))) return m[1];
  return {};
}

// Waits for the operation to finish; false when it failed.
bool wait_operation(Api& api, const std::string& op) {
  for (;;) {
    auto r = api.call("GET", "/v1/operations/" + op);
    const std::string state = field(r.body, "state");
    if (state == "succeeded") return true;
    if (state == "failed" || r.status != 200) {
      std::cerr << "operation " << op << ": " << r.body << "\n";
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// Runs a command; its output goes into the exception when it fails.
void run(const std::string& command) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) throw std::runtime_error("cannot run " + command);
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  if (::pclose(p) != 0) throw std::runtime_error("failed: " + command + ": " + out);
}

std::string capture(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) throw std::runtime_error("cannot run " + command);
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// The domain XML formationd wrote, made into a by-hand twin: another name, no uuid, its
// own overlay.
std::string twin_xml(std::string xml, const std::string& id, const std::string& name,
                     const std::string& overlay, std::string& base, std::string& size_gb) {
  std::smatch m;
  if (std::regex_search(xml, m, std::regex("<source file='([^']*root.qcow2)'"))) {
    const std::string root = m[1];
    auto info = capture("qemu-img info -U " + root);
    std::smatch b;
    if (std::regex_search(info, b, std::regex("backing file: (\\S+)"))) base = b[1];
    if (std::regex_search(info, b, std::regex("virtual size: ([0-9]+) GiB"))) size_gb = b[1];
    xml = std::regex_replace(xml, std::regex(root), overlay);
  }
  xml = std::regex_replace(xml, std::regex("<uuid>[^<]*</uuid>"), "");
  xml = std::regex_replace(xml, std::regex("formation-" + id), name);
  xml = std::regex_replace(xml, std::regex("<log file='[^']*'"),
                           "<log file='" + overlay + ".console.log'");
  return xml;
}

int bench_create(const Options& o) {
  Api api(o.api, o.key_hex);
  std::filesystem::create_directories(o.work);
  std::vector<double> via_api, by_hand;
  const std::string name = "formation-bench-by-hand";
  // A twin left by an interrupted run.
  (void)std::system(("virsh -q -c qemu:///system destroy " + name + " >/dev/null 2>&1; " +
                     "virsh -q -c qemu:///system undefine " + name + " >/dev/null 2>&1")
                        .c_str());
  for (int i = 0; i < o.runs; ++i) {
    auto t = Clock::now();
    auto r = api.call("POST", "/v1/instances", R"({"build_id":")" + o.build + R"("})");
    if (r.status != 202) throw std::runtime_error("create answered " + r.body);
    const std::string op = field(r.body.substr(r.body.find("\"operation\"")), "id");
    const std::string instance = field(r.body, "id");
    if (!wait_operation(api, op)) return 1;
    via_api.push_back(ms_since(t));

    const std::string xml =
        capture("virsh -q -c qemu:///system dumpxml --inactive formation-" + instance);
    const std::string overlay = o.work + "/by-hand.qcow2";
    std::string base, size = "5";
    const std::string twin = twin_xml(xml, instance, name, overlay, base, size);
    auto del = api.call("DELETE", "/v1/instances/" + instance);
    if (!wait_operation(api, field(del.body.substr(del.body.find("\"operation\"")), "id")))
      return 1;

    std::ofstream(o.work + "/by-hand.xml") << twin;
    t = Clock::now();
    run("qemu-img create -q -f qcow2 -F qcow2 -b " + base + " " + overlay);
    run("qemu-img resize -q " + overlay + " " + size + "G");
    run("virsh -q -c qemu:///system define " + o.work + "/by-hand.xml");
    run("virsh -q -c qemu:///system start " + name);
    by_hand.push_back(ms_since(t));
    run("virsh -q -c qemu:///system destroy " + name);
    run("virsh -q -c qemu:///system undefine " + name);
    std::filesystem::remove(overlay);
    std::filesystem::remove(overlay + ".console.log");
    std::cout << "run " << i + 1 << ": API " << via_api.back() << " ms, by hand " << by_hand.back()
              << " ms\n";
  }
  const double a = median(via_api), h = median(by_hand);
  std::printf(
      "create -> Started, median of %d: API %.0f ms, by hand (qemu-img + virsh) %.0f ms, "
      "ratio %.2fx (goal <= 1.1x)\n",
      o.runs, a, h, a / h);
  return 0;
}

int bench_list(const Options& o) {
  Api api(o.api, o.key_hex);
  // Every instance in a page carries one "build_id".
  auto existing = [&] {
    int count = 0;
    std::string token;
    do {
      auto r = api.call("GET",
                        "/v1/instances?limit=100" + (token.empty() ? "" : "&page_token=" + token));
      for (auto at = r.body.find("\"build_id\""); at != std::string::npos;
           at = r.body.find("\"build_id\"", at + 1)) {
        ++count;
      }
      token = field(r.body, "next_page_token");
    } while (!token.empty());
    return count;
  };
  int have = existing();
  auto t = Clock::now();
  for (; have < o.instances; ++have) {
    auto r = api.call("POST", "/v1/instances", R"({"build_id":")" + o.build + R"("})");
    if (r.status != 202) throw std::runtime_error("create answered " + r.body);
  }
  std::printf("%d instances (created in %.1f s)\n", have, ms_since(t) / 1000);
  std::vector<double> latencies;
  for (int i = 0; i < o.requests; ++i) {
    auto s = Clock::now();
    auto r = api.call("GET", "/v1/instances?limit=100");
    if (r.status != 200) throw std::runtime_error("list answered " + r.body);
    latencies.push_back(ms_since(s));
  }
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    return latencies[static_cast<std::size_t>(p * (latencies.size() - 1))];
  };
  std::printf(
      "GET /v1/instances?limit=100 with %d instances, %d requests: p50 %.2f ms, p99 %.2f ms, "
      "max %.2f ms (goal p99 < 20 ms)\n",
      have, o.requests, pct(0.5), pct(0.99), latencies.back());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || (args[0] != "create" && args[0] != "list")) {
    std::cerr << "usage: bench_vmm create|list --api URL --key HEX --build ID [--runs N] "
                 "[--work DIR] [--instances N] [--requests M]\n";
    return 2;
  }
  o.mode = args[0];
  for (std::size_t i = 1; i + 1 < args.size(); i += 2) {
    const auto& k = args[i];
    const auto& v = args[i + 1];
    if (k == "--api")
      o.api = v;
    else if (k == "--key")
      o.key_hex = v;
    else if (k == "--build")
      o.build = v;
    else if (k == "--work")
      o.work = v;
    else if (k == "--runs")
      o.runs = std::stoi(v);
    else if (k == "--instances")
      o.instances = std::stoi(v);
    else if (k == "--requests")
      o.requests = std::stoi(v);
    else {
      std::cerr << "unknown option " << k << "\n";
      return 2;
    }
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  try {
    return o.mode == "create" ? bench_create(o) : bench_list(o);
  } catch (const std::exception& e) {
    std::cerr << "bench_vmm: " << e.what() << "\n";
    return 1;
  }
}

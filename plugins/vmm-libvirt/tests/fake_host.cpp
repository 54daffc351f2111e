#include "fake_host.hpp"

#include <unistd.h>

#include <fstream>
#include <random>
#include <stdexcept>

#include "disk_images.hpp"

namespace formation::libvirt::test {

namespace fs = std::filesystem;

std::string random_id() {
  static std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (auto& c : id) c = kHex[rng() % 16];
  return id;
}

VmmFixture::VmmFixture(const std::string& extra_parameters, const std::string& uri) {
  base_image = dir.path() / "base.qcow2";
  seed_iso = dir.path() / "seed.iso";
  auto made = run_program({"qemu-img", "create", "-q", "-f", "qcow2", base_image.string(), "1G"});
  if (made.exit_code != 0) throw std::runtime_error("qemu-img: " + made.output);
  std::ofstream(seed_iso) << "not really an ISO";
  std::string params = R"({"uri": ")" + uri + R"(", "domain_type": "qemu", "storage_dir": ")" +
                       (dir.path() / "disks").string() + "\"" +
                       (extra_parameters.empty() ? "" : ", " + extra_parameters) + "}";
  host = std::make_unique<FakeHostServicesForTests>("vmm-libvirt", dir.path() / "data", params);
  vmm = std::make_unique<LibvirtVmm>(*host);
  auto started = vmm->start();
  if (!started.is_ok()) throw std::runtime_error(started.to_string());
}

DomainSpec VmmFixture::spec(const std::string& name) const {
  DomainSpec s;
  s.instance_id = random_id();
  s.name = name;
  s.vcpus = 1;
  s.max_vcpus = 4;
  s.memory_mb = 512;
  s.max_memory_mb = 2048;
  s.disk_gb = 2;
  s.base_image = base_image;
  s.seed_iso = seed_iso;
  s.console_log = dir.path() / "console" / (s.instance_id + ".log");
  s.metadata_json = R"({"owner": "0xabc", "build_id": "b1"})";
  return s;
}

}  // namespace formation::libvirt::test

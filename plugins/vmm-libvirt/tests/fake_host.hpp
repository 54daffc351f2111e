// Test support: a HostServices with only what the Vmm uses (logger, parameters, data_dir),
// a scratch directory and a fixture with a base image and a seed on test:///default.
#pragma once

#include <rapidjson/document.h>

#include <filesystem>
#include <memory>
#include <string>

#include "formation/plugin.hpp"
#include "support/fake_host_services.hpp"
#include "vmm_libvirt.hpp"

namespace formation::libvirt::test {

using formation::testing::FakeHostServicesForTests;

// A scratch directory named after the plugin, removed at destruction.
class TempDir : public formation::testing::TempDir {
 public:
  TempDir() : formation::testing::TempDir("vmm-libvirt-test") {}
};

std::string random_id();

// A started Vmm on test:///default with disks under <tmp>/disks, a 1 GB base image and a
// fake seed file.
struct VmmFixture {
  explicit VmmFixture(const std::string& extra_parameters = "",
                      const std::string& uri = "test:///default");
  [[nodiscard]] DomainSpec spec(const std::string& name = "test instance") const;

  TempDir dir;
  std::filesystem::path base_image;
  std::filesystem::path seed_iso;
  std::unique_ptr<FakeHostServicesForTests> host;
  std::unique_ptr<LibvirtVmm> vmm;
};

}  // namespace formation::libvirt::test

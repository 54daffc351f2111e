// Test support: a HostServices with only what the Vmm uses (logger, parameters, data_dir),
// a scratch directory and a fixture with a base image and a seed on test:///default.
#pragma once

#include <rapidjson/document.h>

#include <filesystem>
#include <memory>
#include <string>

#include "formation/plugin.hpp"
#include "vmm_libvirt.hpp"

namespace formation::libvirt::test {

class FakeHostServicesForTests final : public HostServices {
 public:
  FakeHostServicesForTests(std::filesystem::path data_dir, const std::string& parameters_json);
  [[nodiscard]] std::string_view plugin_name() const override { return "vmm-libvirt"; }
  [[nodiscard]] std::string_view instance_name() const override { return "test"; }
  std::shared_ptr<spdlog::logger> logger() override { return logger_; }
  [[nodiscard]] const rapidjson::Value& parameters() const override { return parameters_; }
  [[nodiscard]] std::filesystem::path data_dir() const override { return data_dir_; }
  // The Vmm uses none of these; calling one is a test failure.
  EventBus& events() override;
  Timers& timers() override;
  BlockingPool& blocking_pool() override;
  Metrics& metrics() override;
  Status add_route(Route route) override;
  Plugin* find_plugin(PluginKind kind, std::string_view instance) override;

 private:
  std::filesystem::path data_dir_;
  rapidjson::Document parameters_;
  std::shared_ptr<spdlog::logger> logger_;
};

// A directory removed at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
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

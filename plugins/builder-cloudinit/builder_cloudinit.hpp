// The ImageBuilder object; the tests make one directly with their own HostServices.
#pragma once

#include <memory>

#include "artifact_store.hpp"
#include "formation/kinds/image_builder.hpp"
#include "settings.hpp"

namespace formation::cloudinit {

class CloudInitBuilder final : public ImageBuilder {
 public:
  explicit CloudInitBuilder(HostServices& host);

  Status start() override;
  [[nodiscard]] PluginHealth health() const override;
  Result<BuildArtifacts> build(const BuildRequest& request,
                               const ProgressCallback& progress) override;
  [[nodiscard]] BuildLimits limits() const override { return settings_.limits; }
  Status instance_seed(const InstanceSeedRequest& request) override;
  Status remove(const std::string& build_id) override;

  [[nodiscard]] const Settings& settings() const { return settings_; }

 private:
  std::shared_ptr<spdlog::logger> log_;
  Settings settings_;
  ArtifactStore store_;
};

const PluginDescriptor* describe();

}  // namespace formation::cloudinit

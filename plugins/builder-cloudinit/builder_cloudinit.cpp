// builder-cloudinit: the ImageBuilder (DESIGN.md §6). A Formfile and its context become a
// cloud-init NoCloud seed ISO, the context tarball and a manifest. See README.md.
#include "builder_cloudinit.hpp"

#include <exception>

#include "build.hpp"
#include "instance_seed.hpp"

namespace formation::cloudinit {

CloudInitBuilder::CloudInitBuilder(HostServices& host)
    : log_(host.logger()),
      settings_(settings_from(host.parameters(), host.data_dir())),
      store_(settings_.artifact_dir) {}

Status CloudInitBuilder::start() {
  if (auto st = check_settings(settings_); !st.is_ok()) return st;
  try {
    if (auto st = store_.open(); !st.is_ok()) return st;
  } catch (const std::exception& e) {
    return Status::internal(std::string("opening the artifact directory: ") + e.what());
  }
  log_->info("artifacts in {}, base image {}", store_.dir().string(),
             settings_.base_image.string());
  return Status::ok();
}

PluginHealth CloudInitBuilder::health() const {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(settings_.base_image, ec)) {
    return {HealthState::degraded, "base image " + settings_.base_image.string() +
                                       " not found; instances cannot be created"};
  }
  return {HealthState::ok, "base image " + settings_.base_image.string()};
}

Result<BuildArtifacts> CloudInitBuilder::build(const BuildRequest& request,
                                               const ProgressCallback& progress) {
  try {
    auto result = run_build(settings_, store_, request, progress);
    if (result.is_ok()) {
      log_->info("build {} ({}) published", request.build_id, request.name);
    } else {
      log_->info("build {} ({}) failed: {}", request.build_id, request.name,
                 result.status().to_string());
    }
    return result;
  } catch (const std::exception& e) {
    return Status::internal(std::string("build failed: ") + e.what());
  }
}

Status CloudInitBuilder::instance_seed(const InstanceSeedRequest& request) {
  try {
    auto st = write_instance_seed(store_, request);
    if (!st.is_ok()) {
      // An output left by an earlier call would read as this one's result.
      std::error_code ec;
      if (request.output.is_absolute()) std::filesystem::remove(request.output, ec);
      log_->info("seed of instance {} (build {}) failed: {}", request.instance_id, request.build_id,
                 st.to_string());
    }
    return st;
  } catch (const std::exception& e) {
    std::error_code ec;
    if (request.output.is_absolute()) std::filesystem::remove(request.output, ec);
    return Status::internal(std::string("instance seed failed: ") + e.what());
  }
}

Status CloudInitBuilder::remove(const std::string& build_id) {
  if (!valid_build_id(build_id)) {
    return Status::invalid("build id must be 16 to 128 lowercase hex digits");
  }
  try {
    return store_.remove(build_id);
  } catch (const std::exception& e) {
    return Status::internal(std::string("removing build ") + build_id + ": " + e.what());
  }
}

namespace {

Result<std::unique_ptr<Plugin>> create(HostServices& host) {
  return std::unique_ptr<Plugin>(std::make_unique<CloudInitBuilder>(host));
}

}  // namespace

const PluginDescriptor* describe() {
  static const PluginDescriptor descriptor{
      .abi = FORMATION_PLUGIN_ABI,
      .name = "builder-cloudinit",
      .kind = PluginKind::image_builder,
      .version = kVersion,
      .description =
          "Builds Formfiles into a cloud-init NoCloud seed ISO, context tarball and manifest",
      .parameters_schema = kParametersSchema,
      .depends_on = {},
      .create = &create,
  };
  return &descriptor;
}

}  // namespace formation::cloudinit

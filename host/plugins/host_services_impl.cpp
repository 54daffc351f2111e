#include "plugins/host_services_impl.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

namespace formation::host {

HostServicesImpl::HostServicesImpl(RuntimeServices& runtime, std::string plugin,
                                   std::string instance,
                                   std::shared_ptr<const rapidjson::Document> parameters)
    : runtime_(runtime),
      plugin_(std::move(plugin)),
      instance_(std::move(instance)),
      parameters_(std::move(parameters)) {
  // Same sinks and level as the host's own log, so one stream shows everything.
  auto base = spdlog::default_logger();
  logger_ = std::make_shared<spdlog::logger>(plugin_ + "/" + instance_, base->sinks().begin(),
                                             base->sinks().end());
  logger_->set_level(base->level());
}

std::filesystem::path HostServicesImpl::data_dir() const {
  auto dir = runtime_.data_dir / plugin_ / instance_;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  ::chmod(dir.c_str(), 0700);
  return dir;
}

Status HostServicesImpl::add_route(Route route) {
  return runtime_.add_route(std::move(route), plugin_ + "/" + instance_);
}

Plugin* HostServicesImpl::find_plugin(PluginKind kind, std::string_view instance) {
  return runtime_.find_plugin(kind, instance);
}

}  // namespace formation::host

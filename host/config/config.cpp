#include "config/config.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <system_error>
#include <utility>

#include <rapidjson/pointer.h>

#include "config/json_file.hpp"
#include "config/schema_check.hpp"
#include "config/schemas.hpp"

#ifndef FORMATION_DEFAULT_PLUGIN_DIR
#define FORMATION_DEFAULT_PLUGIN_DIR "/usr/local/lib/formation/plugins"
#endif

namespace formation::host {
namespace {

namespace fs = std::filesystem;
using rapidjson::Value;

constexpr const char* kHostFile = "formation.json";
constexpr const char* kPluginsDir = "plugins.d";

fs::path resolve(const fs::path& base, const std::string& value) {
  const fs::path p(value);
  return (p.is_absolute() ? p : base / p).lexically_normal();
}

// Reads the values of formation.json once the schema's defaults are in. The schema
// guarantees types, so a miss here means the embedded schema lost a default.
class Fields {
 public:
  explicit Fields(const Value& root) : root_(root) {}

  const Value* find(const char* pointer) const { return rapidjson::Pointer(pointer).Get(root_); }

  std::uint64_t uint(const char* pointer) {
    const Value* v = find(pointer);
    if (v != nullptr && v->IsUint64()) return v->GetUint64();
    fail(pointer);
    return 0;
  }
  bool boolean(const char* pointer) {
    const Value* v = find(pointer);
    if (v != nullptr && v->IsBool()) return v->GetBool();
    fail(pointer);
    return false;
  }
  std::string string(const char* pointer) {
    const Value* v = find(pointer);
    if (v != nullptr && v->IsString()) return {v->GetString(), v->GetStringLength()};
    fail(pointer);
    return {};
  }

  [[nodiscard]] const std::string& missing() const { return missing_; }

 private:
  void fail(const char* pointer) {
    if (missing_.empty()) missing_ = pointer;
  }

  const Value& root_;
  std::string missing_;
};

// "formation.json: /plugin_dirs/0: ..." style.
Status key_error(const std::string& key, const std::string& words) {
  return Status::invalid(std::string(kHostFile) + ": " + key + ": " + words);
}

Status check_existing(const fs::path& path, const std::string& key, bool want_directory) {
  std::error_code ec;
  const auto st = fs::status(path, ec);
  const char* what = want_directory ? "directory " : "file ";
  if (st.type() == fs::file_type::not_found) {
    return key_error(key, std::string(what) + path.string() + " does not exist");
  }
  if (ec) return key_error(key, "cannot access " + path.string() + ": " + ec.message());
  if (want_directory && !fs::is_directory(st)) {
    return key_error(key, path.string() + " is not a directory");
  }
  if (!want_directory && fs::is_directory(st)) {
    return key_error(key, path.string() + " is a directory, expected a file");
  }
  return Status::ok();
}

Result<HostConfig> load_host(const fs::path& root) {
  rapidjson::Document doc;
  const fs::path file = root / kHostFile;
  std::error_code ec;
  const auto st = fs::status(file, ec);
  if (st.type() == fs::file_type::not_found) {
    doc.SetObject();  // no formation.json: every default
  } else {
    auto parsed = read_json_file(file, kHostFile);
    if (!parsed.is_ok()) return parsed.status();
    doc = std::move(parsed).value();
  }
  const auto& schema = formation_schema();
  if (Status s = validate(doc, schema, kHostFile); !s.is_ok()) return s;
  apply_defaults(doc, schema, doc.GetAllocator());

  HostConfig host;
  host.config_dir = root;
  Fields f(doc);
  host.listen_address = f.string("/listen/address");
  host.port = static_cast<std::uint16_t>(f.uint("/listen/port"));
  host.data_dir = resolve(root, f.string("/data_dir"));
  host.log_level = f.string("/log/level");
  host.access_log = f.boolean("/log/access_log");
  host.io_threads = static_cast<unsigned>(f.uint("/http/io_threads"));
  host.max_body_bytes = static_cast<std::size_t>(f.uint("/http/max_body_bytes"));
  host.header_timeout = std::chrono::milliseconds(f.uint("/http/header_timeout_ms"));
  host.body_timeout = std::chrono::milliseconds(f.uint("/http/body_timeout_ms"));
  host.idle_timeout = std::chrono::milliseconds(f.uint("/http/idle_timeout_ms"));
  host.shutdown_grace = std::chrono::milliseconds(f.uint("/http/shutdown_grace_ms"));
  host.blocking_threads = static_cast<unsigned>(f.uint("/workers/blocking_threads"));
  host.metrics_public = f.boolean("/metrics/public");
  host.clock_skew = std::chrono::seconds(f.uint("/auth/clock_skew_seconds"));
  host.node.id = f.string("/node/id");
  std::transform(host.node.id.begin(), host.node.id.end(), host.node.id.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  host.node.region = f.string("/node/region");
  host.node.public_ip = f.string("/node/public_ip");
  host.node.endpoint = f.string("/node/endpoint");
  host.node.vcpus = static_cast<std::int64_t>(f.uint("/node/capacity/vcpus"));
  host.node.memory_mb = static_cast<std::int64_t>(f.uint("/node/capacity/memory_mb"));
  host.node.disk_gb = static_cast<std::int64_t>(f.uint("/node/capacity/disk_gb"));
  host.node.heartbeat = std::chrono::seconds(f.uint("/node/heartbeat_seconds"));
  host.node.reconcile = std::chrono::seconds(f.uint("/node/reconcile_seconds"));
  if (!f.missing().empty()) {
    return Status::internal(std::string(kHostFile) + ": " + f.missing() +
                            ": no value and no default in formation.schema.json");
  }

  if (const Value* admins = f.find("/admins"); admins != nullptr && admins->IsArray()) {
    for (const auto& a : admins->GetArray()) {
      std::string address(a.GetString(), a.GetStringLength());
      std::transform(address.begin(), address.end(), address.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      host.admins.push_back(std::move(address));
    }
  }

  if (const Value* dirs = f.find("/plugin_dirs"); dirs != nullptr && dirs->IsArray()) {
    for (rapidjson::SizeType i = 0; i < dirs->Size(); ++i) {
      const Value& d = (*dirs)[i];
      fs::path path = resolve(root, std::string(d.GetString(), d.GetStringLength()));
      if (Status s = check_existing(path, "/plugin_dirs/" + std::to_string(i), true); !s.is_ok()) {
        return s;
      }
      host.plugin_dirs.push_back(std::move(path));
    }
  } else {
    host.plugin_dirs.push_back(default_plugin_dir());
  }

  if (const Value* tls = f.find("/tls"); tls != nullptr && tls->IsObject()) {
    TlsConfig t;
    t.certificate = resolve(root, f.string("/tls/certificate"));
    t.private_key = resolve(root, f.string("/tls/private_key"));
    if (Status s = check_existing(t.certificate, "/tls/certificate", false); !s.is_ok()) return s;
    if (Status s = check_existing(t.private_key, "/tls/private_key", false); !s.is_ok()) return s;
    host.tls = std::move(t);
  }
  return host;
}

// Editor leftovers and disabled files are not configuration: only visible *.json files.
bool is_instance_file(const std::string& name) {
  return name.size() > 5 && name.ends_with(".json") && name.front() != '.';
}

Result<std::vector<PluginInstanceConfig>> load_plugins(const fs::path& root) {
  std::vector<PluginInstanceConfig> plugins;
  const fs::path dir = root / kPluginsDir;
  std::error_code ec;
  const auto st = fs::status(dir, ec);
  if (st.type() == fs::file_type::not_found) return plugins;  // no plugins configured
  if (ec) return Status::invalid(std::string(kPluginsDir) + ": cannot access: " + ec.message());
  if (!fs::is_directory(st)) return Status::invalid(std::string(kPluginsDir) + ": not a directory");

  std::vector<std::string> names;
  fs::directory_iterator it(dir, ec);
  if (ec) return Status::invalid(std::string(kPluginsDir) + ": cannot list: " + ec.message());
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::error_code type_ec;
    if (is_instance_file(name) && !it->is_directory(type_ec)) names.push_back(name);
  }
  if (ec) return Status::invalid(std::string(kPluginsDir) + ": cannot list: " + ec.message());
  std::sort(names.begin(), names.end());

  const auto& schema = plugin_instance_schema();
  std::map<std::pair<std::string, std::string>, std::string> seen;  // plugin+instance -> file
  for (const auto& name : names) {
    const std::string source = std::string(kPluginsDir) + "/" + name;
    auto parsed = read_json_file(dir / name, source);
    if (!parsed.is_ok()) return parsed.status();
    rapidjson::Document& doc = parsed.value();
    if (Status s = validate(doc, schema, source); !s.is_ok()) return s;
    apply_defaults(doc, schema, doc.GetAllocator());

    PluginInstanceConfig pic;
    pic.file = fs::path(kPluginsDir) / name;
    pic.plugin = doc["plugin"].GetString();
    pic.instance = doc["instance"].GetString();
    pic.parameters = std::make_shared<rapidjson::Document>();
    pic.parameters->CopyFrom(doc["parameters"], pic.parameters->GetAllocator());

    const auto [at, inserted] = seen.emplace(std::make_pair(pic.plugin, pic.instance), source);
    if (!inserted) {
      return Status::conflict(source + ": plugin \"" + pic.plugin + "\" instance \"" +
                              pic.instance + "\" is already configured in " + at->second +
                              " (give one of them another \"instance\" name)");
    }
    plugins.push_back(std::move(pic));
  }
  return plugins;
}

}  // namespace

fs::path default_plugin_dir() { return fs::path(FORMATION_DEFAULT_PLUGIN_DIR); }

Result<LoadedConfig> load_config_dir(const fs::path& dir) {
  std::error_code ec;
  const auto st = fs::status(dir, ec);
  if (st.type() == fs::file_type::not_found) {
    return Status::invalid(dir.string() +
                           ": config directory does not exist (pass --config-dir DIR to use "
                           "another one)");
  }
  if (ec)
    return Status::invalid(dir.string() + ": cannot access config directory: " + ec.message());
  if (!fs::is_directory(st)) {
    return Status::invalid(dir.string() +
                           ": not a directory (--config-dir takes the directory that holds "
                           "formation.json and plugins.d/)");
  }
  fs::path root = fs::absolute(dir, ec).lexically_normal();
  if (ec) return Status::invalid(dir.string() + ": " + ec.message());
  if (root.has_relative_path() && root.filename().empty()) root = root.parent_path();

  LoadedConfig loaded;
  auto host = load_host(root);
  if (!host.is_ok()) return host.status();
  loaded.host = std::move(host).value();
  auto plugins = load_plugins(root);
  if (!plugins.is_ok()) return plugins.status();
  loaded.plugins = std::move(plugins).value();
  return loaded;
}

}  // namespace formation::host

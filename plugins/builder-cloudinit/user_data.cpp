#include "user_data.hpp"

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <map>

#include "provision_script.hpp"
#include "quoting.hpp"

namespace formation::cloudinit {
namespace {

using formfile::EnvScope;

struct FileEntry {
  std::string path;
  std::string content;
  std::string permissions;
  std::string owner;  // empty: root
  bool defer = false;
  bool append = false;
};

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

std::string base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// A YAML literal block keeps generated files readable in user-data, but it can carry
// only printable text that ends in one newline and starts without a space; anything else
// (a control character in a RUN command, say) travels base64-encoded.
bool fits_literal_block(std::string_view text) {
  if (text.empty() || text.back() != '\n' || text.front() == ' ') return false;
  if (text.size() > 1 && text[text.size() - 2] == '\n') return false;
  for (unsigned char c : text) {
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return false;
  }
  for (std::size_t pos = text.find('\n'); pos != std::string_view::npos;
       pos = text.find('\n', pos + 1)) {
    if (pos > 0 && (text[pos - 1] == ' ' || text[pos - 1] == '\t')) return false;
  }
  return true;
}

void emit_file(YAML::Emitter& out, const FileEntry& file) {
  out << YAML::BeginMap;
  out << YAML::Key << "path" << YAML::Value << YAML::DoubleQuoted << file.path;
  if (fits_literal_block(file.content)) {
    out << YAML::Key << "content" << YAML::Value << YAML::Literal << file.content;
  } else {
    out << YAML::Key << "encoding" << YAML::Value << "b64";
    out << YAML::Key << "content" << YAML::Value << base64(file.content);
  }
  out << YAML::Key << "permissions" << YAML::Value << YAML::DoubleQuoted << file.permissions;
  if (!file.owner.empty()) {
    out << YAML::Key << "owner" << YAML::Value << YAML::DoubleQuoted << file.owner;
  }
  if (file.append) out << YAML::Key << "append" << YAML::Value << true;
  if (file.defer) out << YAML::Key << "defer" << YAML::Value << true;
  out << YAML::EndMap;
}

std::vector<FileEntry> files_of(const formfile::Formfile& formfile, std::string_view name) {
  std::vector<FileEntry> files;
  files.push_back({std::string(kProvisionScriptPath), provision_script(formfile, name), "0700"});

  std::string system_env;
  std::vector<std::string> users;  // in order of first mention
  std::map<std::string, std::string> user_env;
  std::map<std::string, std::string> service_env;
  for (const auto& var : formfile.env) {
    switch (var.scope) {
      case EnvScope::system:
        system_env += var.key + "=" + etc_environment_quote(var.value) + "\n";
        break;
      case EnvScope::user:
        if (!user_env.contains(var.scope_name)) users.push_back(var.scope_name);
        user_env[var.scope_name] += "export " + var.key + "=" + sh_quote(var.value) + "\n";
        break;
      case EnvScope::service:
        service_env[var.scope_name] += var.key + "=" + env_file_quote(var.value) + "\n";
        break;
    }
  }
  if (!system_env.empty()) {
    files.push_back({"/etc/environment", system_env, "0644", "", false, true});
  }
  // Deferred: the user and its home exist only after the users module, which runs after
  // write_files.
  for (const auto& user : users) {
    files.push_back({"/home/" + user + "/.profile",
                     "# ENV --scope=user:" + user + " (Formfile)\n" + user_env[user], "0644",
                     user + ":" + user, true, true});
  }
  for (const auto& service : service_scopes(formfile)) {
    // 0600: service variables often carry secrets; systemd reads the file as root.
    files.push_back({service_env_path(service), service_env[service], "0600"});
  }
  if (formfile.entrypoint) {
    files.push_back({std::string(kEntrypointUnitPath), entrypoint_unit(formfile, name), "0644"});
  }
  return files;
}

std::string run_provisioning_command() {
  // The script's output goes to its log and, through cloud-init, to the console; the
  // marker test makes runcmd (and so cloud-init's status) fail when provisioning did.
  return "sh " + std::string(kProvisionScriptPath) + " 2>&1 | tee -a " +
         std::string(kProvisionLogPath) + "; test -e " + std::string(kProvisionedMarker);
}

}  // namespace

std::string user_data(const formfile::Formfile& formfile, std::string_view name,
                      const std::vector<std::string>& password_hashes) {
  YAML::Emitter out;
  out << YAML::BeginMap;

  out << YAML::Key << "users" << YAML::Value << YAML::BeginSeq;
  for (std::size_t i = 0; i < formfile.users.size(); ++i) {
    const auto& user = formfile.users[i];
    out << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << user.username;
    out << YAML::Key << "passwd" << YAML::Value << YAML::DoubleQuoted << password_hashes.at(i);
    out << YAML::Key << "lock_passwd" << YAML::Value << user.lock_passwd;
    out << YAML::Key << "shell" << YAML::Value << YAML::DoubleQuoted << user.shell;
    if (!user.groups.empty()) {
      out << YAML::Key << "groups" << YAML::Value << YAML::DoubleQuoted << join(user.groups, ",");
    }
    if (user.sudo) {
      out << YAML::Key << "sudo" << YAML::Value << YAML::DoubleQuoted << "ALL=(ALL) NOPASSWD:ALL";
    }
    if (!user.ssh_authorized_keys.empty()) {
      out << YAML::Key << "ssh_authorized_keys" << YAML::Value << YAML::BeginSeq;
      for (const auto& key : user.ssh_authorized_keys) out << YAML::DoubleQuoted << key;
      out << YAML::EndSeq;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;

  out << YAML::Key << "ssh_pwauth" << YAML::Value << formfile.ssh_pwauth;
  out << YAML::Key << "disable_root" << YAML::Value << formfile.disable_root;
  // chpasswd's expire applies only to the passwords chpasswd sets, not to users[].passwd:
  // the unlocked users are listed again (same hash) so that the expiry reaches them.
  out << YAML::Key << "chpasswd" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "expire" << YAML::Value << formfile.chpasswd_expire;
  bool any_unlocked = false;
  for (std::size_t i = 0; i < formfile.users.size(); ++i) {
    if (formfile.users[i].lock_passwd) continue;
    if (!any_unlocked) out << YAML::Key << "users" << YAML::Value << YAML::BeginSeq;
    any_unlocked = true;
    out << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << formfile.users[i].username;
    out << YAML::Key << "password" << YAML::Value << YAML::DoubleQuoted << password_hashes.at(i);
    out << YAML::Key << "type" << YAML::Value << "hash";
    out << YAML::EndMap;
  }
  if (any_unlocked) out << YAML::EndSeq;
  out << YAML::EndMap;

  if (!formfile.packages.empty()) {
    out << YAML::Key << "package_update" << YAML::Value << true;
    out << YAML::Key << "packages" << YAML::Value << YAML::BeginSeq;
    for (const auto& package : formfile.packages) out << YAML::DoubleQuoted << package;
    out << YAML::EndSeq;
  }

  out << YAML::Key << "write_files" << YAML::Value << YAML::BeginSeq;
  for (const auto& file : files_of(formfile, name)) emit_file(out, file);
  out << YAML::EndSeq;

  out << YAML::Key << "runcmd" << YAML::Value << YAML::BeginSeq;
  out << YAML::Flow << YAML::BeginSeq << "sh"
      << "-c" << YAML::DoubleQuoted << run_provisioning_command() << YAML::EndSeq;
  out << YAML::EndSeq;

  out << YAML::EndMap;
  return "#cloud-config\n" + std::string(out.c_str()) + "\n";
}

std::string instance_cloud_config(const std::vector<SeedFile>& files,
                                  const std::vector<std::string>& commands) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  // cloud-init's default for a later part is dict(replace)+list(): the instance's
  // write_files and runcmd would replace the build's. The documented way to extend them
  // ("Merging user-data sections") is list append with recursive dict merging.
  out << YAML::Key << "merge_how" << YAML::Value << YAML::BeginSeq;
  out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "list" << YAML::Key << "settings"
      << YAML::Value << YAML::Flow << YAML::BeginSeq << "append" << YAML::EndSeq << YAML::EndMap;
  out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "dict" << YAML::Key << "settings"
      << YAML::Value << YAML::Flow << YAML::BeginSeq << "no_replace"
      << "recurse_list" << YAML::EndSeq << YAML::EndMap;
  out << YAML::EndSeq;
  if (!files.empty()) {
    out << YAML::Key << "write_files" << YAML::Value << YAML::BeginSeq;
    for (const auto& file : files) {
      emit_file(out, {.path = file.path, .content = file.content, .permissions = file.permissions});
    }
    out << YAML::EndSeq;
  }
  if (!commands.empty()) {
    out << YAML::Key << "runcmd" << YAML::Value << YAML::BeginSeq;
    for (const auto& command : commands) {
      out << YAML::Flow << YAML::BeginSeq << "sh"
          << "-c" << YAML::DoubleQuoted << command << YAML::EndSeq;
    }
    out << YAML::EndSeq;
  }
  out << YAML::EndMap;
  return "#cloud-config\n" + std::string(out.c_str()) + "\n";
}

std::string meta_data(std::string_view build_id, std::string_view name) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "instance-id" << YAML::Value
      << "formation-" + std::string(build_id.substr(0, 16));
  out << YAML::Key << "local-hostname" << YAML::Value << std::string(name);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::string network_config() {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "version" << YAML::Value << 2;
  out << YAML::Key << "ethernets" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "primary" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "match" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << "e*";
  out << YAML::EndMap;
  out << YAML::Key << "dhcp4" << YAML::Value << true;
  out << YAML::EndMap << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace formation::cloudinit

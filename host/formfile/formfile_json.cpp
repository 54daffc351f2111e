// The JSON form of a Formfile (docs/formfile.md "JSON form"), used by manifests and the
// API. Passwords never appear in it: manifests are readable by more people than the guest.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "formfile.hpp"

namespace formation::formfile {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void write_string(JsonWriter& w, std::string_view text) {
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

void write_optional(JsonWriter& w, const std::optional<std::string>& text) {
  if (text) {
    write_string(w, *text);
  } else {
    w.Null();
  }
}

void write_strings(JsonWriter& w, const std::vector<std::string>& items) {
  w.StartArray();
  for (const auto& item : items) write_string(w, item);
  w.EndArray();
}

void write_resources(JsonWriter& w, const Formfile& f) {
  w.StartObject();
  w.Key("vcpus");
  w.Int(f.vcpus);
  w.Key("memory_mb");
  w.Int(f.memory_mb);
  w.Key("disk_gb");
  w.Int(f.disk_gb);
  w.Key("gpu");
  if (f.gpu) {
    w.StartObject();
    w.Key("model");
    write_string(w, f.gpu->model);
    w.Key("count");
    w.Int(f.gpu->count);
    w.EndObject();
  } else {
    w.Null();
  }
  w.EndObject();
}

void write_model(JsonWriter& w, const std::optional<ModelRequirement>& model) {
  if (!model) return static_cast<void>(w.Null());
  w.StartObject();
  w.Key("requirement");
  w.String(model->required ? "required" : "preferred");
  w.Key("id");
  write_string(w, model->id);
  w.EndObject();
}

void write_user(JsonWriter& w, const User& user) {
  w.StartObject();
  w.Key("username");
  write_string(w, user.username);
  w.Key("ssh_authorized_keys");
  write_strings(w, user.ssh_authorized_keys);
  w.Key("lock_passwd");
  w.Bool(user.lock_passwd);
  w.Key("sudo");
  w.Bool(user.sudo);
  w.Key("shell");
  write_string(w, user.shell);
  w.Key("groups");
  write_strings(w, user.groups);
  w.EndObject();
}

void write_machine(JsonWriter& w, const Formfile& f) {
  w.StartObject();
  w.Key("ssh_pwauth");
  w.Bool(f.ssh_pwauth);
  w.Key("disable_root");
  w.Bool(f.disable_root);
  w.Key("chpasswd_expire");
  w.Bool(f.chpasswd_expire);
  w.EndObject();
}

void write_env(JsonWriter& w, const EnvVar& var) {
  w.StartObject();
  w.Key("scope");
  write_string(w, scope_text(var));
  w.Key("key");
  write_string(w, var.key);
  w.Key("value");
  write_string(w, var.value);
  w.EndObject();
}

void write_step(JsonWriter& w, const Step& step) {
  w.StartObject();
  w.Key("op");
  switch (step.kind) {
    case Step::Kind::copy:
      w.String("copy");
      w.Key("src");
      write_string(w, step.src);
      w.Key("dst");
      write_string(w, step.dst);
      break;
    case Step::Kind::workdir:
      w.String("workdir");
      w.Key("path");
      write_string(w, step.path);
      break;
    case Step::Kind::run:
      w.String("run");
      w.Key("command");
      write_string(w, step.command);
      break;
  }
  w.Key("line");
  w.Int(step.at.line);
  w.EndObject();
}

void write_entrypoint(JsonWriter& w, const std::optional<Entrypoint>& entrypoint) {
  if (!entrypoint) return static_cast<void>(w.Null());
  w.StartObject();
  if (entrypoint->exec_form) {
    w.Key("exec");
    write_strings(w, entrypoint->argv);
  } else {
    w.Key("shell");
    write_string(w, entrypoint->command);
  }
  w.EndObject();
}

template <typename Item, typename Write>
void write_array(JsonWriter& w, const std::vector<Item>& items, Write write) {
  w.StartArray();
  for (const auto& item : items) write(w, item);
  w.EndArray();
}

}  // namespace

std::string to_json(const Formfile& f) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("name");
  write_optional(w, f.name);
  w.Key("description");
  write_optional(w, f.description);
  w.Key("resources");
  write_resources(w, f);
  w.Key("model");
  write_model(w, f.model);
  w.Key("users");
  write_array(w, f.users, write_user);
  w.Key("machine");
  write_machine(w, f);
  w.Key("packages");
  write_strings(w, f.packages);
  w.Key("env");
  write_array(w, f.env, write_env);
  w.Key("steps");
  write_array(w, f.steps, write_step);
  w.Key("workdir");
  write_string(w, f.workdir);
  w.Key("entrypoint");
  write_entrypoint(w, f.entrypoint);
  w.Key("expose");
  write_array(w, f.expose, [](JsonWriter& writer, int port) { writer.Int(port); });
  w.EndObject();
  return buffer.GetString();
}

}  // namespace formation::formfile

// form pack validate | build | status | list: Formfiles and builds (docs/cli.md, "form pack";
// docs/formfile.md). validate works offline with the same parser and context rules as the
// server; build packs the folder, uploads it, and follows the build's operation (the last
// two shared with form deploy, in build_flow.cpp).
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "api_client.hpp"
#include "build_flow.hpp"
#include "build_id.hpp"
#include "cli.hpp"
#include "formfile.hpp"
#include "json_reply.hpp"
#include "keystore.hpp"
#include "output.hpp"

namespace form {
namespace {

namespace fs = std::filesystem;
namespace ff = formation::formfile;
using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// The address builds are owned by, when a key file is at hand (only to show the build_id).
std::string owner_if_known(Context& context) {
  try {
    const std::string& path = context.options().key_file;
    return key_file_address(read_key_file(path), path);
  } catch (const CliError&) {
    return {};
  }
}

std::string resources_text(const ff::Formfile& f) {
  std::string text = std::to_string(f.vcpus) + " vCPU, " + std::to_string(f.memory_mb) +
                     " MB memory, " + std::to_string(f.disk_gb) + " GB disk";
  if (f.gpu) text += ", " + std::to_string(f.gpu->count) + "x " + f.gpu->model;
  return text;
}

void print_summary(Context& context, const CheckedContext& c, const std::string& build_id) {
  const ff::Formfile& f = c.parsed.formfile;
  const std::string name = ff::effective_name(f, c.index.formfile_text);
  if (context.json()) {
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    w.Key("valid");
    w.Bool(true);
    w.Key("name");
    w.String(name.c_str());
    w.Key("build_id");
    build_id.empty() ? w.Null() : w.String(build_id.c_str());
    w.Key("formfile");
    const std::string json = ff::to_json(f);
    w.RawValue(json.c_str(), json.size(), rapidjson::kObjectType);
    w.Key("context");
    w.StartObject();
    w.Key("files");
    w.Int64(c.index.file_count);
    w.Key("bytes");
    w.Int64(c.index.total_bytes);
    w.EndObject();
    w.EndObject();
    context.out() << buffer.GetString() << '\n';
    return;
  }
  Table table;
  table.add_row({"name", name + (f.name ? "" : " (generated: the Formfile has no NAME)")});
  if (!build_id.empty()) table.add_row({"build id", build_id});
  table.add_row({"resources", resources_text(f)});
  std::string users;
  for (const auto& u : f.users) users += (users.empty() ? "" : ", ") + u.username;
  table.add_row({"users", users});
  if (!f.packages.empty()) table.add_row({"packages", std::to_string(f.packages.size())});
  table.add_row({"steps", std::to_string(f.steps.size()) + " (COPY, WORKDIR, RUN)"});
  if (f.entrypoint) {
    std::string entry = f.entrypoint->exec_form ? "" : f.entrypoint->command;
    for (const auto& a : f.entrypoint->argv) entry += (entry.empty() ? "" : " ") + a;
    table.add_row({"entrypoint", entry});
  }
  std::string ports;
  for (int p : f.expose) ports += (ports.empty() ? "" : ", ") + std::to_string(p);
  if (!ports.empty()) table.add_row({"ports", ports});
  table.add_row({"context", std::to_string(c.index.file_count) + " entries, " +
                                std::to_string(c.index.total_bytes) + " bytes"});
  table.print(context.out());
}

std::string build_id_for(Context& context, const CheckedContext& c) {
  const std::string owner = owner_if_known(context);
  if (owner.empty()) return {};
  auto id = ff::build_id(owner, ff::effective_name(c.parsed.formfile, c.index.formfile_text));
  return id.is_ok() ? *id : std::string{};
}

int pack_validate(Context& context, const Args& args) {
  const fs::path dir = context_dir(args.positional);
  CheckedContext c = check_context(dir);
  if (!valid(c)) {
    print_problems(context, dir, c);
    return static_cast<int>(Exit::kInvalid);
  }
  print_summary(context, c, build_id_for(context, c));
  return 0;
}

int pack_build(Context& context, const Args& args) {
  const fs::path dir = context_dir(args.positional);
  const bool quiet = args.has("quiet");
  if (args.has("no-wait")) {
    auto started = start_build(context, dir, quiet);
    if (!started) return static_cast<int>(Exit::kInvalid);
    if (context.json())
      print_raw_json(context.out(), started->accepted.body);
    else
      context.out() << started->build_id << '\n';
    return 0;
  }
  const std::string build_id = build_context_dir(context, dir, quiet);
  if (build_id.empty()) return static_cast<int>(Exit::kInvalid);
  if (context.json()) {
    Response build = context.api().call(Request::get("/v1/builds/" + build_id, Auth::kSigned));
    print_raw_json(context.out(), build.body);
  } else {
    context.out() << build_id << '\n';
  }
  return 0;
}

void print_build(Context& context, const Response& response) {
  print_object(context, response, [&](const rapidjson::Value& doc, Table& table) {
    table.add_row({"build id", scalar(doc, "build_id")});
    table.add_row({"name", scalar(doc, "name")});
    table.add_row({"state", scalar(doc, "state")});
    if (!scalar(doc, "reason").empty()) table.add_row({"reason", scalar(doc, "reason")});
    if (doc.HasMember("manifest") && doc["manifest"].IsObject()) {
      const auto& manifest = doc["manifest"];
      if (manifest.HasMember("resources")) {
        const auto& r = manifest["resources"];
        table.add_row({"resources", scalar(r, "vcpus") + " vCPU, " + scalar(r, "memory_mb") +
                                        " MB memory, " + scalar(r, "disk_gb") + " GB disk"});
      }
      if (manifest.HasMember("artifacts") && manifest["artifacts"].IsObject()) {
        for (const auto& a : manifest["artifacts"].GetObject()) {
          table.add_row({std::string("artifact ") + a.name.GetString(),
                         scalar(a.value, "file") + " (" + scalar(a.value, "bytes") + " bytes)"});
        }
      }
    }
    table.add_row({"updated", scalar(doc, "updated_at")});
  });
}

int pack_status(Context& context, const Args& args) {
  const std::string& id = args.positional[0];
  Response response = context.api().send(Request::get("/v1/builds/" + id, Auth::kSigned));
  if (response.status == 404) {
    CliError base = api_error(response);
    throw CliError(base.code(), base.what(),
                   "no build " + id + " of yours; 'form pack list' shows your builds");
  }
  if (response.status >= 400) throw api_error(response);
  print_build(context, response);
  return 0;
}

int pack_list(Context& context, const Args&) {
  Response response = context.api().call(Request::get("/v1/builds", Auth::kSigned));
  if (context.json()) {
    print_raw_json(context.out(), response.body);
    return 0;
  }
  rapidjson::Document doc = parse_object(response);
  Table table({"build id", "name", "state", "updated"});
  if (doc.HasMember("builds") && doc["builds"].IsArray()) {
    for (const auto& b : doc["builds"].GetArray())
      table.add_row(
          {scalar(b, "build_id"), scalar(b, "name"), scalar(b, "state"), scalar(b, "updated_at")});
  }
  if (table.empty())
    context.err() << "no builds yet; 'form pack build DIR' makes one\n";
  else
    table.print(context.out());
  return 0;
}

const Registrar kPackValidate([] {
  Command c;
  c.name = "pack validate";
  c.summary = "Check a Formfile and its build context offline";
  c.usage =
      "pack validate [DIR]\n"
      "\n"
      "Parses DIR/Formfile (default: ./Formfile) and checks the folder as the server would\n"
      "(.formignore applied, no device files, no symlinks leaving it, COPY sources present).\n"
      "Prints every error as FILE:LINE:COLUMN: message and exits 5, or prints a summary of\n"
      "what will be built (with the build id when your key file is at hand).";
  c.max_args = 1;
  c.handler = pack_validate;
  return c;
}());

const Registrar kPackBuild([] {
  Command c;
  c.name = "pack build";
  c.summary = "Build a Formfile on the network (upload the context, follow the build)";
  c.usage =
      "pack build [DIR] [--no-wait] [--quiet]\n"
      "\n"
      "Validates DIR like 'form pack validate', packs it into a compressed tar (respecting\n"
      "DIR/.formignore), uploads it to POST /v1/builds signed with your key, and follows the\n"
      "build's operation, printing progress on stderr. Prints the build id on stdout. The\n"
      "same NAME built again by the same key replaces the previous build.";
  c.options = {{"no-wait", "", "print the build id once uploaded, without waiting"},
               {"quiet", "", "no progress on stderr"}};
  c.max_args = 1;
  c.handler = pack_build;
  return c;
}());

const Registrar kPackStatus([] {
  Command c;
  c.name = "pack status";
  c.summary = "Show a build: state, manifest and artifacts";
  c.usage =
      "pack status BUILD_ID\n"
      "\n"
      "GET /v1/builds/BUILD_ID. Only the owner of a build (or an admin) can see it.";
  c.min_args = 1;
  c.max_args = 1;
  c.handler = pack_status;
  return c;
}());

const Registrar kPackList([] {
  Command c;
  c.name = "pack list";
  c.summary = "List your builds";
  c.usage =
      "pack list\n"
      "\n"
      "GET /v1/builds: the builds owned by your key.";
  c.handler = pack_list;
  return c;
}());

}  // namespace
}  // namespace form

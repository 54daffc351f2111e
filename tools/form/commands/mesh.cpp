// form mesh join | up | down | peers | leave: this machine as a device of the mesh
// (docs/mesh.md; docs/cli.md, "form mesh"). The WireGuard private key is made here and only
// ever written to the 0600 wg-quick config; the API sees the public key alone.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "api_client.hpp"
#include "arguments.hpp"
#include "cli.hpp"
#include "json_reply.hpp"
#include "output.hpp"
#include "paged_list.hpp"
#include "util/private_file.hpp"
#include "wireguard.hpp"

extern char** environ;

namespace form {
namespace {

namespace fs = std::filesystem;
namespace wg = wireguard;
using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr const char* kDefaultInterface = "formdev0";
constexpr const char* kInstallHint =
    "install WireGuard's tools: apt-get install wireguard-tools wireguard-go";

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value && *value ? value : "";
}

// The same folder the default key file lives in (docs/cli.md, "Global options").
fs::path form_home() {
  std::string config_home = env_or_empty("XDG_CONFIG_HOME");
  if (config_home.empty()) config_home = env_or_empty("HOME") + "/.config";
  return fs::path(config_home) / "formation";
}

// Where one interface's files are: the wg-quick config, and next to it what later commands
// need to know (the peer id). wg-quick names the interface after the config file, so the
// two cannot disagree.
struct Local {
  std::string interface;
  fs::path config;
  fs::path state;
};

Local local_files(const Args& args) {
  Local local;
  const bool named = args.values.count("interface") != 0;
  local.interface = args.get("interface", kDefaultInterface);
  if (!wg::valid_interface_name(local.interface))
    throw usage_error("invalid --interface '" + local.interface +
                          "': expected 1 to 15 of the characters a-z A-Z 0-9 _ = + . -",
                      std::string("the default is ") + kDefaultInterface);
  if (args.values.count("config")) {
    const fs::path config = args.get("config");
    const std::string file = config.filename().string();
    const std::string stem = file.size() > 5 && file.ends_with(".conf")
                                 ? file.substr(0, file.size() - 5)
                                 : std::string();
    if (!wg::valid_interface_name(stem))
      throw usage_error("invalid --config '" + config.string() +
                            "': wg-quick needs a file named INTERFACE.conf (INTERFACE: 1 to 15 "
                            "of a-z A-Z 0-9 _ = + . -)",
                        "for example --config /etc/wireguard/formdev0.conf");
    if (named && stem != local.interface)
      throw usage_error("--config " + config.string() + " is the configuration of interface '" +
                            stem + "', not '" + local.interface + "'",
                        "wg-quick names the interface after the file; give one of the two");
    local.interface = stem;
    local.config = fs::absolute(config);
  } else {
    local.config = form_home() / "mesh" / (local.interface + ".conf");
  }
  local.state = fs::path(local.config).replace_extension(".json");
  return local;
}

CliError local_error(const std::string& message, std::string hint = {}) {
  return CliError(Exit::kApiError, message, std::move(hint));
}

// The folder is made 0700 when missing, since the config holds a private key.
void write_private(const fs::path& path, const std::string& content) {
  if (auto st = formation::host::write_private_file(path, content); !st.is_ok())
    throw local_error(st.message());
}

std::optional<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct State {
  std::string peer_id;
  std::string address;  // with the mesh's prefix length
  std::string api;
  std::string name;
};

std::string state_json(const State& state, const Local& local) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("peer_id");
  w.String(state.peer_id.c_str());
  w.Key("address");
  w.String(state.address.c_str());
  w.Key("interface");
  w.String(local.interface.c_str());
  w.Key("config");
  w.String(local.config.string().c_str());
  w.Key("api");
  w.String(state.api.c_str());
  if (!state.name.empty()) {
    w.Key("name");
    w.String(state.name.c_str());
  }
  w.EndObject();
  return std::string(buffer.GetString()) + "\n";
}

State read_state(const Local& local) {
  const std::optional<std::string> read = read_file(local.state);
  if (!read || !read_file(local.config))
    throw usage_error("this machine has not joined the mesh as '" + local.interface + "' (no " +
                          (read ? local.config : local.state).string() + ")",
                      "'form mesh join' first (or --interface NAME for another one)");
  rapidjson::Document doc;
  const std::string& text = *read;
  doc.Parse(text.c_str(), text.size());
  State state;
  state.peer_id = scalar(doc, "peer_id");
  state.address = scalar(doc, "address");
  state.api = scalar(doc, "api");
  state.name = scalar(doc, "name");
  if (state.peer_id.empty())
    throw local_error(local.state.string() + " is damaged: no peer_id",
                      "'form mesh peers' shows your peers; remove the file and join again");
  return state;
}

std::string string_member(const rapidjson::Value& object, const char* name) {
  return object.IsObject() && object.HasMember(name) && object[name].IsString()
             ? object[name].GetString()
             : "";
}

// A config answer (docs/mesh.md, `config`). Everything in it ends up in a file wg-quick
// runs as root, so a value that could carry anything but what its key means is refused.
struct MeshConfig {
  std::string peer_id;
  std::string address;
  std::string cidr;
  int prefix = 0;
  std::vector<wg::Peer> peers;
};

CliError bad_answer(const std::string& what) {
  return CliError(Exit::kApiError, "unexpected answer from the mesh API: " + what,
                  "is --api the address of a formationd with the mesh enabled?");
}

MeshConfig parse_config(const rapidjson::Value& config) {
  if (!config.IsObject()) throw bad_answer("no config");
  MeshConfig mesh;
  mesh.peer_id = scalar(config, "peer_id");
  mesh.address = string_member(config, "address");
  mesh.cidr = string_member(config, "cidr");
  if (mesh.peer_id.empty()) throw bad_answer("no peer_id");
  if (!wg::valid_ipv4(mesh.address)) throw bad_answer("address '" + mesh.address + "'");
  auto prefix = wg::ipv4_prefix_length(mesh.cidr);
  if (!prefix) throw bad_answer("cidr '" + mesh.cidr + "'");
  mesh.prefix = *prefix;
  if (!config.HasMember("peers") || !config["peers"].IsArray()) throw bad_answer("no peers");
  for (const auto& item : config["peers"].GetArray()) {
    wg::Peer peer;
    peer.peer_id = scalar(item, "peer_id");
    peer.public_key = string_member(item, "public_key");
    peer.endpoint = string_member(item, "endpoint");
    if (!wg::is_key(peer.public_key)) throw bad_answer("a peer's public_key");
    for (char c : peer.peer_id)
      if (c == '\n' || c == '\r') throw bad_answer("a peer_id");
    if (!peer.endpoint.empty() && !wg::valid_endpoint(peer.endpoint))
      throw bad_answer("endpoint '" + peer.endpoint + "'");
    if (item.HasMember("allowed_ips") && item["allowed_ips"].IsArray()) {
      for (const auto& ip : item["allowed_ips"].GetArray()) {
        const std::string text = ip.IsString() ? ip.GetString() : "";
        if (!wg::valid_cidr(text)) throw bad_answer("allowed_ips '" + text + "'");
        peer.allowed_ips.push_back(text);
      }
    }
    if (peer.allowed_ips.empty()) throw bad_answer("a peer without allowed_ips");
    if (item.HasMember("persistent_keepalive") && item["persistent_keepalive"].IsInt())
      peer.persistent_keepalive =
          std::max(0, std::min(65535, item["persistent_keepalive"].GetInt()));
    mesh.peers.push_back(std::move(peer));
  }
  return mesh;
}

std::string address_with_prefix(const MeshConfig& mesh) {
  return mesh.address + "/" + std::to_string(mesh.prefix);
}

std::string mesh_body(const char* key, const std::string& value) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key(key);
  w.String(value.c_str());
  w.EndObject();
  return buffer.GetString();
}

// What to do about an error answer of the mesh routes.
CliError mesh_error(const Response& response, const std::string& verb) {
  CliError base = api_error(response);
  std::string hint = base.hint();
  switch (response.status) {
    case 404:
      hint = verb == "join" ? "this formationd has no mesh routes; ask its operator"
                            : "the API does not know this peer any more (left elsewhere?); "
                              "'form mesh peers' shows yours, 'form mesh join' joins again";
      break;
    case 409:
      if (verb == "join") hint = "the key is already in the mesh, or the mesh's range is full";
      break;
    case 501: hint = "this formationd has no mesh plugin enabled; ask its operator"; break;
    default: break;
  }
  return {base.code(), base.what(), hint};
}

Response mesh_call(Context& context, Request request, const std::string& verb) {
  Response response = context.api().send(std::move(request));
  if (response.status >= 400) throw mesh_error(response, verb);
  return response;
}

std::optional<std::string> find_on_path(const std::string& program) {
  const std::string path = env_or_empty("PATH");
  std::istringstream dirs(path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

std::string wg_quick_or_throw() {
  auto found = find_on_path("wg-quick");
  if (!found) throw local_error("wg-quick is not installed (not found on PATH)", kInstallHint);
  return *found;
}

// wg-quick's own output goes to stderr: stdout stays form's data.
void run_wg_quick(const std::string& program, const std::string& verb, const Local& local) {
  std::vector<std::string> env_text;
  for (char** e = environ; e && *e; ++e) {
    if (std::string_view(*e).starts_with("WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=")) continue;
    env_text.emplace_back(*e);
  }
  // wireguard-go refuses to run on Linux without it; wg-quick only uses wireguard-go when
  // the kernel has no WireGuard.
  env_text.emplace_back("WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1");
  std::vector<char*> envp;
  envp.reserve(env_text.size() + 1);
  for (auto& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);
  // The files and the signing key are the user's, so form runs as the user; wg-quick
  // needs root. Through sudo the variable would be dropped (env_reset), hence `env`.
  std::vector<std::string> words;
  std::string binary = program;
  const auto sudo = ::geteuid() != 0 ? find_on_path("sudo") : std::nullopt;
  if (sudo) {
    binary = *sudo;
    words = {"sudo", "--", "env", "WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1", program};
  } else {
    words = {"wg-quick"};
  }
  words.push_back(verb);
  words.push_back(local.config.string());
  std::vector<char*> argv;
  argv.reserve(words.size() + 1);
  for (auto& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
  pid_t pid = 0;
  const int spawned =
      posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0)
    throw local_error("cannot run " + binary + ": " + std::strerror(spawned), kInstallHint);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  const std::string how = WIFEXITED(status)
                              ? "exit code " + std::to_string(WEXITSTATUS(status))
                              : "killed by signal " + std::to_string(WTERMSIG(status));
  std::string hint =
      ::geteuid() != 0 && !sudo ? "wg-quick needs root, and sudo is not installed" : "";
  if (verb == "up" && hint.empty())
    hint = "see wg-quick's output above; 'wg-quick down " + local.config.string() +
           "' first if the interface is already up";
  throw local_error("wg-quick " + verb + " " + local.config.string() + " failed (" + how + ")",
                    hint);
}

bool interface_exists(const std::string& name) {
  std::error_code ec;
  return fs::exists(fs::path("/sys/class/net") / name, ec);
}

int mesh_join(Context& context, const Args& args) {
  const Local local = local_files(args);
  const std::vector<std::string> endpoints = args.all("endpoint");
  for (const auto& endpoint : endpoints) {
    if (!wg::valid_endpoint(endpoint))
      throw usage_error("invalid --endpoint '" + endpoint +
                            "': expected IP:PORT (IPv4, or [IPv6]:PORT; port 1 to 65535)",
                        "for example --endpoint 203.0.113.5:51820; behind NAT, give none");
  }
  const std::string name = args.get("name");
  if (args.values.count("name") && name.empty()) throw usage_error("--name must not be empty");
  for (char c : name)
    if (c == '\n' || c == '\r') throw usage_error("--name must be one line");
  std::error_code ec;
  if (fs::exists(local.config, ec) || fs::exists(local.state, ec))
    throw usage_error("this machine has already joined the mesh as '" + local.interface + "' (" +
                          local.config.string() + ")",
                      "'form mesh leave' first, or --interface NAME for another device");

  const wg::KeyPair keys = wg::generate_key_pair();
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("kind");
  w.String("device");
  w.Key("public_key");
  w.String(keys.public_key.c_str());
  if (!endpoints.empty()) {
    w.Key("endpoints");
    w.StartArray();
    for (const auto& endpoint : endpoints) w.String(endpoint.c_str());
    w.EndArray();
  }
  w.EndObject();
  Response response =
      mesh_call(context, Request::with_body("POST", "/v1/mesh/join", buffer.GetString()), "join");
  rapidjson::Document doc = parse_object(response);
  const rapidjson::Value& answer = doc.HasMember("config") ? doc["config"] : doc;

  // A device with a fixed endpoint must listen on its port; without one, any port will do.
  int listen_port = 0;
  if (!endpoints.empty()) listen_port = std::stoi(endpoints[0].substr(endpoints[0].rfind(':') + 1));
  MeshConfig mesh;
  State state;
  std::string config;
  try {
    mesh = parse_config(answer);
    state = {mesh.peer_id, address_with_prefix(mesh), context.options().api, name};
    std::string comment = "formation mesh: peer " + mesh.peer_id + " via " + state.api;
    if (!name.empty()) comment += " (" + name + ")";
    config = wg::interface_section(keys.private_key, state.address, listen_port, comment) +
             wg::peer_sections(mesh.peers);
    write_private(local.config, config);
    write_private(local.state, state_json(state, local));
  } catch (const CliError& e) {
    OPENSSL_cleanse(config.data(), config.size());
    // Without the file the key is lost and the peer would be a dead one: undo the join.
    const std::string peer_id = scalar(answer, "peer_id");
    if (!peer_id.empty()) {
      try {
        context.api().send(
            Request::with_body("POST", "/v1/mesh/leave", mesh_body("peer_id", peer_id)));
      } catch (const CliError&) {  // the first error is the one worth reporting
      }
    }
    fs::remove(local.config, ec);
    fs::remove(local.state, ec);
    throw CliError(e.code(), std::string(e.what()) + " (the join was undone)", e.hint());
  }
  OPENSSL_cleanse(config.data(), config.size());

  if (context.json()) {
    print_raw_json(context.out(), response.body);
    return 0;
  }
  Table table;
  table.add_row({"peer", mesh.peer_id});
  table.add_row({"address", state.address});
  table.add_row({"interface", local.interface});
  table.add_row({"peers", std::to_string(mesh.peers.size())});
  table.add_row({"config", local.config.string()});
  table.print(context.out());
  context.out() << "next: 'form mesh up" +
                       (args.values.count("interface") || args.values.count("config")
                            ? " --config " + local.config.string()
                            : std::string()) +
                       "' brings the interface up\n";
  return 0;
}

// Rewrites the [Peer] sections from the API's current view; the [Interface] part, and so
// the private key, stays as it is.
void refresh_peers(Context& context, const Local& local, const State& state) {
  Response response;
  try {
    response = context.api().send(
        Request::get("/v1/mesh/peers/" + percent_encode(state.peer_id) + "/config", Auth::kSigned));
  } catch (const CliError& e) {
    if (e.code() != Exit::kUnreachable) throw;
    context.err() << "warning: " << e.what() << "; using the peers of " << local.config.string()
                  << '\n';
    return;
  }
  if (response.status >= 500) {
    context.err() << "warning: the API answered HTTP " << response.status << "; using the peers of "
                  << local.config.string() << '\n';
    return;
  }
  if (response.status >= 400) throw mesh_error(response, "up");
  rapidjson::Document doc = parse_object(response);
  const MeshConfig mesh = parse_config(doc.HasMember("config") ? doc["config"] : doc);
  auto old = read_file(local.config);
  if (!old) throw local_error("cannot read " + local.config.string());
  std::string head = wg::interface_part(*old);
  OPENSSL_cleanse(old->data(), old->size());
  if (wg::private_key_in(head).empty())
    throw local_error(local.config.string() + " has no PrivateKey in its [Interface] section",
                      "'form mesh leave' and 'form mesh join' make a new one");
  std::string config = head + wg::peer_sections(mesh.peers);
  OPENSSL_cleanse(head.data(), head.size());
  write_private(local.config, config);
  OPENSSL_cleanse(config.data(), config.size());
}

// -o json: {"interface", "address", "config", "up"}.
void print_state_change(Context& context, const Local& local, const State& state, bool up) {
  if (!context.json()) {
    context.out() << local.interface << (up ? " is up: " + state.address : " is down") << '\n';
    return;
  }
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("interface");
  w.String(local.interface.c_str());
  w.Key("address");
  w.String(state.address.c_str());
  w.Key("config");
  w.String(local.config.string().c_str());
  w.Key("up");
  w.Bool(up);
  w.EndObject();
  context.out() << buffer.GetString() << '\n';
}

int mesh_up(Context& context, const Args& args) {
  const Local local = local_files(args);
  const State state = read_state(local);
  const std::string program = wg_quick_or_throw();
  refresh_peers(context, local, state);
  run_wg_quick(program, "up", local);
  print_state_change(context, local, state, true);
  return 0;
}

int mesh_down(Context& context, const Args& args) {
  const Local local = local_files(args);
  const State state = read_state(local);
  run_wg_quick(wg_quick_or_throw(), "down", local);
  print_state_change(context, local, state, false);
  return 0;
}

std::string joined(const rapidjson::Value& peer, const char* member) {
  std::string text;
  if (!peer.HasMember(member) || !peer[member].IsArray()) return "-";
  for (const auto& v : peer[member].GetArray())
    if (v.IsString()) text += (text.empty() ? "" : ",") + std::string(v.GetString());
  return text.empty() ? "-" : text;
}

std::string or_dash(std::string text) { return text.empty() ? "-" : text; }

int mesh_peers(Context& context, const Args&) {
  // Peers are few per tenant, so every page is fetched; one page is passed through as sent.
  ListRequest request{"/v1/mesh/peers", "peers"};
  request.all = true;
  PagedList list = fetch_list(request, [&](const std::string& target) {
    return mesh_call(context, Request::get(target, Auth::kSigned), "peers");
  });
  if (context.json()) {
    print_list_json(context, list, list.pages == 1);
    return 0;
  }
  Table table({"id", "kind", "address", "endpoints", "node", "instance"});
  for (const auto& peer : list.items.GetArray())
    table.add_row({scalar(peer, "id"), scalar(peer, "kind"), or_dash(scalar(peer, "address")),
                   joined(peer, "endpoints"), or_dash(scalar(peer, "node_id")),
                   or_dash(scalar(peer, "instance_id"))});
  if (table.empty())
    context.err() << "no mesh peers yet; 'form mesh join' adds this machine\n";
  else
    table.print(context.out());
  return 0;
}

int mesh_leave(Context& context, const Args& args) {
  const Local local = local_files(args);
  const State state = read_state(local);
  if (interface_exists(local.interface))
    throw usage_error("the interface " + local.interface + " is up",
                      "'form mesh down' first: wg-quick needs the config to take it down");
  mesh_call(context,
            Request::with_body("POST", "/v1/mesh/leave", mesh_body("peer_id", state.peer_id)),
            "leave");
  std::error_code ec;
  fs::remove(local.config, ec);
  fs::remove(local.state, ec);
  if (context.json())
    context.out() << mesh_body("peer_id", state.peer_id).insert(1, "\"left\":true,") << '\n';
  else
    context.out() << "left the mesh: peer " << state.peer_id << " (" << state.address
                  << "); removed " << local.config.string() << '\n';
  return 0;
}

const OptionSpec kInterfaceOption = {"interface", "NAME",
                                     "WireGuard interface, 1 to 15 of a-z A-Z 0-9 _ = + . - "
                                     "(default formdev0)"};
const OptionSpec kConfigOption = {
    "config", "PATH",
    "the wg-quick config, named INTERFACE.conf (default ~/.config/formation/mesh/)"};

Command mesh_command(const char* name, const char* summary, const char* usage, Handler handler) {
  Command c;
  c.name = name;
  c.summary = summary;
  c.usage = usage;
  c.options = {kInterfaceOption, kConfigOption};
  c.handler = std::move(handler);
  return c;
}

const Registrar kMeshJoin([] {
  Command c = mesh_command(
      "mesh join", "Join the mesh (formnet) as a device: a WireGuard key and config",
      "mesh join [--name NAME] [--endpoint IP:PORT]... [--interface NAME] [--config PATH]\n"
      "\n"
      "Makes a WireGuard key pair here (the private key never leaves this machine), sends\n"
      "the public key with POST /v1/mesh/join (kind device), and writes a wg-quick config\n"
      "(mode 0600; default ~/.config/formation/mesh/INTERFACE.conf) with the address the\n"
      "mesh gave this machine and one [Peer] per instance or node it may reach; the peer id\n"
      "is kept next to it in INTERFACE.json. --endpoint says where other peers can reach\n"
      "this machine (repeat for several; the first one's port becomes ListenPort); behind\n"
      "NAT give none. Then 'form mesh up'. --output json prints the server's answer.",
      mesh_join);
  c.options.insert(c.options.begin(),
                   {{"name", "NAME", "a label for this device, kept in the local config"},
                    {"endpoint", "IP:PORT", "where peers reach this machine; repeat for several"}});
  return c;
}());

const Registrar kMeshUp(mesh_command(
    "mesh up", "Bring the mesh interface up (wg-quick up), with fresh peers",
    "mesh up [--interface NAME] [--config PATH]\n"
    "\n"
    "Re-reads the peer list (GET /v1/mesh/peers/{id}/config) and rewrites the config's\n"
    "[Peer] sections, keeping its [Interface] part and private key; when the API cannot be\n"
    "reached it warns and uses the file as it is. Then runs 'wg-quick up CONFIG' (through\n"
    "sudo unless root; wireguard-go is used when the kernel has no WireGuard).",
    mesh_up));

const Registrar kMeshDown(
    mesh_command("mesh down", "Take the mesh interface down (wg-quick down)",
                 "mesh down [--interface NAME] [--config PATH]\n"
                 "\n"
                 "Runs 'wg-quick down CONFIG' (through sudo unless root). The config and\n"
                 "the membership stay: 'form mesh up' brings it back.",
                 mesh_down));

const Registrar kMeshPeers([] {
  Command c;
  c.name = "mesh peers";
  c.summary = "List your mesh peers (devices, instances, and the nodes hosting them)";
  c.usage =
      "mesh peers\n"
      "\n"
      "GET /v1/mesh/peers, every page: ID KIND ADDRESS ENDPOINTS NODE INSTANCE.";
  c.handler = mesh_peers;
  return c;
}());

const Registrar kMeshLeave(mesh_command(
    "mesh leave", "Leave the mesh: remove this device's peer and its local config",
    "mesh leave [--interface NAME] [--config PATH]\n"
    "\n"
    "POST /v1/mesh/leave with the peer id of the local config; once the API has removed the\n"
    "peer (and freed its address), deletes INTERFACE.conf and INTERFACE.json. Refused while\n"
    "the interface is up: 'form mesh down' first.",
    mesh_leave));

}  // namespace
}  // namespace form

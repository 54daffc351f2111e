#include "signed_daemon.hpp"

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <thread>

#include "build_context.hpp"

#include "plugins/plugin_library.hpp"
#include "support/raw_http_client.hpp"

namespace formation::testing {

namespace id = formation::identity;

std::mt19937_64& rng() {
  static std::mt19937_64 engine{std::random_device{}()};
  return engine;
}

std::string random_hex(std::size_t bytes) {
  std::vector<std::uint8_t> b(bytes);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng()());
  return id::to_hex(b);
}

Key key_from(const std::string& hex) {
  Key k;
  k.key = *id::parse_private_key(hex);
  k.address = *id::address_from_private_key(k.key);
  return k;
}

Key random_key() {
  for (;;) {
    if (auto parsed = id::parse_private_key(random_hex(32)); parsed.is_ok()) {
      Key k;
      k.key = *parsed;
      k.address = *id::address_from_private_key(k.key);
      return k;
    }
  }
}

long long now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Headers sign(const Key& k, const std::string& method, const std::string& target,
             const std::string& body, long long timestamp, const std::string& signed_target) {
  const std::string ts = std::to_string(timestamp);
  const std::string nonce = random_hex(16);
  const auto text = id::canonical_request_text(
      method, signed_target.empty() ? target : signed_target, ts, nonce, body);
  const auto signature = *id::sign_personal(k.key, text);
  return {{"X-Formation-Address", k.address},
          {"X-Formation-Timestamp", ts},
          {"X-Formation-Nonce", nonce},
          {"X-Formation-Signature", "0x" + id::to_hex(signature)},
          {"Content-Type", "application/json"}};
}

std::string Reply::str(const char* key) const {
  return json->IsObject() && json->HasMember(key) && (*json)[key].IsString()
             ? (*json)[key].GetString()
             : "";
}

InProcessStore::InProcessStore(const std::filesystem::path& db_file)
    : data_dir(db_file.parent_path()),
      runtime{events,
              timers,
              pool,
              metrics,
              [](const Route&, const std::string&) { return Status::ok(); },
              [](PluginKind, std::string_view) -> Plugin* { return nullptr; },
              data_dir} {
  auto lib = host::load_plugin_library(kPlugins / "state-sqlite.so");
  if (!lib.is_ok()) {
    error = lib.status().to_string();
    return;
  }
  auto params = std::make_shared<rapidjson::Document>();
  params->Parse(("{\"path\": \"" + db_file.string() + "\"}").c_str());
  host::PreparedInstance prepared{"test", "state-sqlite", "test", params, *lib};
  registry = std::make_unique<host::PluginRegistry>(runtime);
  std::vector<host::PreparedInstance> all;
  all.push_back(std::move(prepared));
  if (auto st = registry->create_and_start(std::move(all)); !st.is_ok()) {
    error = st.to_string();
    return;
  }
  store = static_cast<StateStore*>(registry->find(PluginKind::state_store, "test"));
  if (store == nullptr) {
    error = "no store";
    return;
  }
  if (auto v = store->migrate(); !v.is_ok()) error = v.status().to_string();
}

InProcessStore::~InProcessStore() {
  if (registry) registry->stop_all();
  registry.reset();
  timers.shutdown();
  events.shutdown();
  pool.shutdown();
}

void SignedDaemonTest::make_config(const std::string& extra_json) {
  admin_ = new Key(key_from(kAdminKey));
  std::string extra = "\"admins\": [\"" + admin_->address + "\"]";
  if (!extra_json.empty()) extra += ", " + extra_json;
  config_ = new TempConfig({kPlugins}, extra);
  db_file_ = new std::filesystem::path(config_->dir() / "state.sqlite3");
  config_->add_plugin_file("state-sqlite.json",
                           "{\"plugin\": \"state-sqlite\", \"parameters\": {\"path\": \"" +
                               db_file_->string() + "\"}}\n");
}

void SignedDaemonTest::start_daemon() {
  daemon_ = new DaemonProcess(config_->dir());
  if (daemon_->started()) store_ = new InProcessStore(*db_file_);
}

void SignedDaemonTest::add_instance_plugins() {
  const auto base = config_->dir() / "base.qcow2";
  const std::string make_base = "qemu-img create -q -f qcow2 " + base.string() + " 1G";
  EXPECT_EQ(std::system(make_base.c_str()), 0) << make_base;
  config_->add_plugin_file("builder-cloudinit.json",
                           "{\"plugin\": \"builder-cloudinit\", \"parameters\": "
                           "{\"base_image\": \"" +
                               base.string() + "\"}}\n");
  config_->add_plugin_file("vmm-libvirt.json",
                           "{\"plugin\": \"vmm-libvirt\", \"parameters\": {\"uri\": "
                           "\"test:///default\", \"domain_type\": \"qemu\", \"network\": "
                           "{\"type\": \"none\"}}}\n");
}

std::string SignedDaemonTest::build_image(const Key& k) {
  const auto dir = config_->dir() / ("context-" + random_hex(4));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "Formfile") << "NAME test-image\nUSER username:dev passwd:secret\n";
  const auto archive = config_->dir() / ("context-" + random_hex(4) + ".tgz");
  auto index = build_context::pack_directory(dir, archive, ContextLimits{});
  EXPECT_TRUE(index.is_ok()) << index.status().to_string();
  std::ifstream in(archive, std::ios::binary);
  const std::string body{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  auto accepted = call(k, "POST", "/v1/builds", body);
  EXPECT_EQ(accepted.status, 202) << accepted.body;
  if (accepted.status != 202) return "";
  auto done = wait_operation(k, (*accepted.json)["operation"]["id"].GetString());
  EXPECT_EQ(done.str("state"), "succeeded") << done.body;
  if (done.str("state") != "succeeded") return "";
  return (*accepted.json)["build_id"].GetString();
}

std::string SignedDaemonTest::create_instance(const Key& k) {
  const std::string build_id = build_image(k);
  if (build_id.empty()) return "";
  auto created = call(k, "POST", "/v1/instances", R"({"build_id": ")" + build_id + R"("})");
  EXPECT_EQ(created.status, 202) << created.body;
  if (created.status != 202) return "";
  auto done = wait_operation(k, (*created.json)["operation"]["id"].GetString());
  EXPECT_EQ(done.str("state"), "succeeded") << done.body;
  if (done.str("state") != "succeeded") return "";
  return (*created.json)["instance"]["id"].GetString();
}

Reply SignedDaemonTest::wait_operation(const Key& k, const std::string& id) {
  Reply r;
  for (int i = 0; i < 600; ++i) {
    r = call(k, "GET", "/v1/operations/" + id);
    if (r.status != 200) return r;
    if (r.str("state") == "succeeded" || r.str("state") == "failed") return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return r;
}

void SignedDaemonTest::TearDownTestSuite() {
  delete store_;
  delete daemon_;
  delete db_file_;
  delete config_;
  delete admin_;
  store_ = nullptr;
  daemon_ = nullptr;
  db_file_ = nullptr;
  config_ = nullptr;
  admin_ = nullptr;
}

void SignedDaemonTest::SetUp() {
  ASSERT_TRUE(daemon_->started()) << daemon_->startup_output();
  ASSERT_NE(store_, nullptr);
  ASSERT_TRUE(store_->error.empty()) << store_->error;
}

Reply SignedDaemonTest::send(const std::string& method, const std::string& target,
                             const std::string& body, const Headers& headers) {
  Reply r;
  auto response = test::http_request(daemon_->port(), method, target, body, headers);
  if (!response) return r;
  r.status = response->status;
  r.body = response->body;
  r.json->Parse(r.body.c_str());
  if (!r.json->HasParseError() && r.json->IsObject() && r.json->HasMember("error")) {
    const auto& e = (*r.json)["error"];
    if (e.HasMember("code") && e["code"].IsString()) r.code = e["code"].GetString();
    if (e.HasMember("message") && e["message"].IsString()) r.message = e["message"].GetString();
  }
  return r;
}

Reply SignedDaemonTest::call(const Key& k, const std::string& method, const std::string& target,
                             const std::string& body) {
  return send(method, target, body, sign(k, method, target, body));
}

Reply SignedDaemonTest::call_with(const Key& k, const std::string& method,
                                  const std::string& target, const std::string& body,
                                  const Headers& extra) {
  Headers headers = sign(k, method, target, body);
  headers.insert(headers.end(), extra.begin(), extra.end());
  return send(method, target, body, headers);
}

}  // namespace formation::testing

#include "node/node_identity.hpp"

#include <openssl/rand.h>

#include <fstream>
#include <iterator>
#include <system_error>

#include "identity/signing.hpp"
#include "util/private_file.hpp"

namespace formation::host {
namespace {

namespace fs = std::filesystem;
namespace id = identity;

Result<id::PrivateKey> new_key() {
  id::PrivateKey key{};
  for (int attempt = 0; attempt < 16; ++attempt) {
    if (RAND_priv_bytes(key.data(), static_cast<int>(key.size())) != 1) break;
    if (id::is_valid_private_key(key)) return key;
  }
  return Status::unavailable("no randomness for the node key (RAND_priv_bytes failed)");
}

}  // namespace

Result<std::string> node_id(const std::string& configured, const fs::path& data_dir) {
  if (!configured.empty()) return configured;
  const fs::path file = data_dir / "node.key";
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    fs::create_directories(data_dir, ec);
    auto key = new_key();
    if (!key.is_ok()) return key.status();
    if (auto st = write_private_file(file, id::to_hex(*key) + "\n"); !st.is_ok()) return st;
  }
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  auto key = id::parse_private_key(text);
  if (!key.is_ok()) {
    return Status::invalid(file.string() + ": not a node key (" + key.status().message() +
                           "); remove it to generate a new one, or set node.id");
  }
  return id::address_from_private_key(*key);
}

}  // namespace formation::host

#include "node/node_identity.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <system_error>

#include "identity/signing.hpp"

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

// Written to a temporary file at 0600 and renamed, so a crash never leaves half a key.
Status write_key(const fs::path& file, const id::PrivateKey& key) {
  const fs::path tmp = file.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::unavailable("cannot write " + tmp.string());
  const std::string text = id::to_hex(key) + "\n";
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  std::error_code ec;
  if (!written || !synced) {
    fs::remove(tmp, ec);
    return Status::unavailable("cannot write " + tmp.string());
  }
  fs::rename(tmp, file, ec);
  if (ec) return Status::unavailable("cannot rename " + tmp.string() + ": " + ec.message());
  return Status::ok();
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
    if (auto st = write_key(file, *key); !st.is_ok()) return st;
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

// The signing hook (DESIGN.md §5, "Request signing"): every request marked Auth::kSigned
// gets X-Formation-Address/-Timestamp/-Nonce/-Signature, a personal_sign over
//   formation-request-v1\n<METHOD>\n<request.target_as_sent>\n<ts>\n<nonce>\n<sha256(body)>
// The key file is read and decrypted once, on the first signed request.
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>
#include <ctime>
#include <memory>
#include <optional>

#include "api_client.hpp"
#include "keystore.hpp"

namespace form {
namespace {

namespace id = formation::identity;

struct LoadedKey {
  PrivateKey key{};
  std::string address;
  ~LoadedKey() { OPENSSL_cleanse(key.data(), key.size()); }
};

}  // namespace

RequestSigner make_request_signer(const GlobalOptions& options) {
  auto loaded = std::make_shared<std::optional<LoadedKey>>();
  return [key_file = options.key_file, loaded](Request& request) {
    if (!loaded->has_value()) {
      const std::string json = read_key_file(key_file);
      const std::string address = key_file_address(json, key_file);
      auto& entry = loaded->emplace();
      entry.key =
          decrypt_key(json, read_passphrase("Passphrase for " + key_file + ": ", false), key_file);
      entry.address = address;
    }
    const LoadedKey& key = **loaded;

    std::array<std::uint8_t, 16> nonce_bytes{};
    if (RAND_bytes(nonce_bytes.data(), static_cast<int>(nonce_bytes.size())) != 1)
      throw CliError(Exit::kAuth, "the system's random number generator failed");
    const std::string nonce = id::to_hex(nonce_bytes);
    const std::string timestamp = std::to_string(static_cast<long long>(std::time(nullptr)));
    const std::string text = id::canonical_request_text(request.method, request.target_as_sent,
                                                        timestamp, nonce, request.body);
    auto signature = id::sign_personal(key.key, text);
    if (!signature.is_ok())
      throw CliError(Exit::kAuth, "cannot sign: " + signature.status().message());
    request.headers["X-Formation-Address"] = key.address;
    request.headers["X-Formation-Timestamp"] = timestamp;
    request.headers["X-Formation-Nonce"] = nonce;
    request.headers["X-Formation-Signature"] = "0x" + id::to_hex(*signature);
  };
}

}  // namespace form

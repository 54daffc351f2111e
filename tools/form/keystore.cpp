#include "keystore.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <system_error>

#include "cli.hpp"
#include "util/private_file.hpp"

namespace form {
namespace {

namespace id = formation::identity;

constexpr const char* kFormat = "formation-key-v1";
constexpr std::uint64_t kScryptN = 1u << 15;
constexpr std::uint64_t kScryptR = 8;
constexpr std::uint64_t kScryptP = 1;

CliError key_error(const std::string& message, std::string hint = {}) {
  return CliError(Exit::kAuth, message, std::move(hint));
}

std::string random_bytes_hex(std::size_t n) {
  std::vector<std::uint8_t> bytes(n);
  if (RAND_bytes(bytes.data(), static_cast<int>(n)) != 1)
    throw key_error("the system's random number generator failed");
  return id::to_hex(bytes);
}

// Associated data of the AES-GCM encryption: the file format and the address, so a key
// file whose declared address was edited no longer decrypts.
std::string associated_data(const std::string& address) {
  std::string lower = address;
  for (char& c : lower)
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  return std::string(kFormat) + "\n" + lower;
}

struct Derived {
  std::array<unsigned char, 32> key{};
  ~Derived() { OPENSSL_cleanse(key.data(), key.size()); }
};

bool scrypt(const std::string& passphrase, const id::Bytes& salt, std::uint64_t n, std::uint64_t r,
            std::uint64_t p, Derived& out) {
  // 128 * r * (N + p + 2) bytes, with room to spare (OpenSSL's default cap is 32 MiB).
  const std::uint64_t maxmem = 128 * r * (n + p + 2) + (1u << 20);
  return EVP_PBE_scrypt(passphrase.data(), passphrase.size(), salt.data(), salt.size(), n, r, p,
                        maxmem, out.key.data(), out.key.size()) == 1;
}

struct CipherCtx {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  ~CipherCtx() { EVP_CIPHER_CTX_free(ctx); }
};

std::string member_string(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return {};
  auto it = object.FindMember(name);
  return it != object.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

std::uint64_t member_uint(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return 0;
  auto it = object.FindMember(name);
  return it != object.MemberEnd() && it->value.IsUint64() ? it->value.GetUint64() : 0;
}

std::string read_tty_line(int fd, const std::string& prompt) {
  if (::write(fd, prompt.data(), prompt.size()) < 0) return {};
  termios saved{};
  const bool is_terminal = ::tcgetattr(fd, &saved) == 0;
  if (is_terminal) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  std::string line;
  char c = 0;
  while (::read(fd, &c, 1) == 1 && c != '\n') line.push_back(c);
  if (is_terminal) ::tcsetattr(fd, TCSAFLUSH, &saved);
  if (::write(fd, "\n", 1) < 0) return line;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

std::string read_passphrase(const std::string& prompt, bool confirm) {
  if (const char* env = std::getenv("FORM_PASSPHRASE"); env && *env) return env;
  const int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    throw key_error("no passphrase for the key file",
                    "set FORM_PASSPHRASE, or run form on a terminal to be asked for it");
  std::string first = read_tty_line(fd, prompt);
  if (confirm && !first.empty()) {
    std::string second = read_tty_line(fd, "Repeat the passphrase: ");
    if (second != first) {
      ::close(fd);
      throw key_error("the two passphrases differ; nothing was written");
    }
  }
  ::close(fd);
  if (first.empty()) throw key_error("an empty passphrase is not accepted");
  return first;
}

std::string encrypt_key(const PrivateKey& key, const std::string& passphrase) {
  auto address = id::address_from_private_key(key);
  if (!address.is_ok()) throw key_error(address.status().message());
  const std::string checksummed = *id::checksum_address(*address);

  const std::string salt_hex = random_bytes_hex(16);
  const std::string iv_hex = random_bytes_hex(12);
  const id::Bytes salt = *id::from_hex(salt_hex);
  const id::Bytes iv = *id::from_hex(iv_hex);
  Derived derived;
  if (!scrypt(passphrase, salt, kScryptN, kScryptR, kScryptP, derived))
    throw key_error("scrypt failed (out of memory?)");

  const std::string aad = associated_data(checksummed);
  std::array<unsigned char, 32> ciphertext{};
  std::array<unsigned char, 16> tag{};
  CipherCtx c;
  int len = 0;
  if (!c.ctx || EVP_EncryptInit_ex(c.ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size()), nullptr) !=
          1 ||
      EVP_EncryptInit_ex(c.ctx, nullptr, nullptr, derived.key.data(), iv.data()) != 1 ||
      EVP_EncryptUpdate(c.ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(c.ctx, ciphertext.data(), &len, key.data(), static_cast<int>(key.size())) !=
          1 ||
      EVP_EncryptFinal_ex(c.ctx, ciphertext.data() + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag.size()), tag.data()) !=
          1)
    throw key_error("AES-256-GCM encryption failed");

  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("format");
  w.String(kFormat);
  w.Key("address");
  w.String(checksummed.c_str());
  w.Key("crypto");
  w.StartObject();
  w.Key("kdf");
  w.String("scrypt");
  w.Key("kdfparams");
  w.StartObject();
  w.Key("n");
  w.Uint64(kScryptN);
  w.Key("r");
  w.Uint64(kScryptR);
  w.Key("p");
  w.Uint64(kScryptP);
  w.Key("dklen");
  w.Uint(32);
  w.Key("salt");
  w.String(salt_hex.c_str());
  w.EndObject();
  w.Key("cipher");
  w.String("aes-256-gcm");
  w.Key("iv");
  w.String(iv_hex.c_str());
  w.Key("ciphertext");
  w.String(id::to_hex(ciphertext).c_str());
  w.Key("tag");
  w.String(id::to_hex(tag).c_str());
  w.EndObject();
  w.EndObject();
  OPENSSL_cleanse(ciphertext.data(), ciphertext.size());
  return std::string(buffer.GetString()) + "\n";
}

std::string key_file_address(const std::string& json, const std::string& path) {
  rapidjson::Document doc;
  doc.Parse(json.c_str(), json.size());
  if (doc.HasParseError() || !doc.IsObject() || member_string(doc, "format") != kFormat)
    throw key_error(path + " is not a form key file (" + kFormat + ")",
                    "create one with 'form key new' or 'form key import'");
  auto address = id::checksum_address(member_string(doc, "address"));
  if (!address.is_ok()) throw key_error(path + ": the key file's address is malformed");
  return *address;
}

PrivateKey decrypt_key(const std::string& json, const std::string& passphrase,
                       const std::string& path) {
  const std::string address = key_file_address(json, path);
  rapidjson::Document doc;
  doc.Parse(json.c_str(), json.size());
  const auto crypto = doc.FindMember("crypto");
  if (crypto == doc.MemberEnd() || !crypto->value.IsObject())
    throw key_error(path + ": the key file has no crypto section");
  const rapidjson::Value& cr = crypto->value;
  const auto params = cr.FindMember("kdfparams");
  const rapidjson::Value empty;
  const rapidjson::Value& kp = params != cr.MemberEnd() ? params->value : empty;
  const std::uint64_t n = member_uint(kp, "n");
  const std::uint64_t r = member_uint(kp, "r");
  const std::uint64_t p = member_uint(kp, "p");
  const auto salt = id::from_hex(member_string(kp, "salt"));
  const auto iv = id::from_hex(member_string(cr, "iv"));
  const auto ciphertext = id::from_hex(member_string(cr, "ciphertext"));
  const auto tag = id::from_hex(member_string(cr, "tag"));
  // Bounds keep a hostile file from asking for gigabytes of scrypt memory.
  const bool params_ok =
      member_string(cr, "kdf") == "scrypt" && member_string(cr, "cipher") == "aes-256-gcm" &&
      n >= 2 && n <= (1u << 20) && (n & (n - 1)) == 0 && r >= 1 && r <= 16 && p >= 1 && p <= 4 &&
      128 * n * r <= (256u << 20) && salt && !salt->empty() && iv && iv->size() == 12 &&
      ciphertext && ciphertext->size() == 32 && tag && tag->size() == 16;
  if (!params_ok)
    throw key_error(path + ": unsupported or damaged key file (expected scrypt + aes-256-gcm)");

  Derived derived;
  if (!scrypt(passphrase, *salt, n, r, p, derived)) throw key_error("scrypt failed");
  const std::string aad = associated_data(address);
  PrivateKey key{};
  CipherCtx c;
  int len = 0;
  std::array<unsigned char, 16> expected_tag{};
  std::memcpy(expected_tag.data(), tag->data(), expected_tag.size());
  const bool ok =
      c.ctx && EVP_DecryptInit_ex(c.ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) == 1 &&
      EVP_DecryptInit_ex(c.ctx, nullptr, nullptr, derived.key.data(), iv->data()) == 1 &&
      EVP_DecryptUpdate(c.ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) == 1 &&
      EVP_DecryptUpdate(c.ctx, key.data(), &len, ciphertext->data(),
                        static_cast<int>(ciphertext->size())) == 1 &&
      EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_TAG, 16, expected_tag.data()) == 1 &&
      EVP_DecryptFinal_ex(c.ctx, key.data() + len, &len) == 1;
  if (!ok) {
    OPENSSL_cleanse(key.data(), key.size());
    throw key_error("wrong passphrase for the key file " + path + " (or the file is damaged)",
                    "check FORM_PASSPHRASE, or the passphrase you typed");
  }
  auto derived_address = id::address_from_private_key(key);
  if (!derived_address.is_ok() || *id::checksum_address(*derived_address) != address) {
    OPENSSL_cleanse(key.data(), key.size());
    throw key_error(path + ": the key does not match the file's address " + address);
  }
  return key;
}

std::string read_key_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw key_error("no key file at " + path,
                    "create one with 'form key new', or pass --key FILE (or set FORM_KEY)");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  if (!in) throw key_error("cannot read the key file " + path + ": " + std::strerror(errno));
  return content.str();
}

void write_key_file(const std::string& path, const std::string& json, bool force) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!force && fs::exists(path, ec))
    throw CliError(Exit::kUsage, "a key file already exists at " + path + "; nothing was written",
                   "pass --force to replace it (the key in it is lost unless you kept a copy), "
                   "or choose another file with --key");
  // link(), under kCreateNew, refuses to replace a file: no race with another `form key new`.
  const formation::Status written = formation::host::write_private_file(
      path, json,
      force ? formation::host::Placement::kReplace : formation::host::Placement::kCreateNew);
  if (written.code() == formation::StatusCode::conflict)
    throw CliError(Exit::kUsage, "a key file already exists at " + path,
                   "pass --force to replace it");
  if (!written.is_ok()) throw key_error(written.message());
}

}  // namespace form

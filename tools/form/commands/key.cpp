// form key new | import | show: the signing key in its encrypted key file (docs/cli.md).
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cctype>
#include <fstream>
#include <iostream>
#include <iterator>
#include <ostream>

#include "cli.hpp"
#include "keystore.hpp"
#include "output.hpp"

namespace form {
namespace {

namespace id = formation::identity;

void print_key(Context& context, const std::string& address, const std::string& key_file) {
  if (context.json()) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    w.StartObject();
    w.Key("address");
    w.String(address.c_str());
    if (!key_file.empty()) {
      w.Key("key_file");
      w.String(key_file.c_str());
    }
    w.EndObject();
    context.out() << buffer.GetString() << '\n';
  } else if (key_file.empty()) {
    context.out() << address << '\n';
  } else {
    Table table;
    table.add_row({"address", address});
    table.add_row({"key file", key_file});
    table.print(context.out());
  }
}

void store_key(Context& context, const PrivateKey& key, bool force) {
  const std::string& path = context.options().key_file;
  // Refuse early, before asking for a passphrase (write_key_file checks again, atomically).
  if (!force && std::ifstream(path).good())
    throw CliError(Exit::kUsage, "a key file already exists at " + path + "; nothing was written",
                   "pass --force to replace it (the key in it is lost unless you kept a copy), "
                   "or choose another file with --key");
  const std::string passphrase = read_passphrase("Passphrase for the new key file: ", true);
  const std::string json = encrypt_key(key, passphrase);
  write_key_file(path, json, force);
  print_key(context, key_file_address(json, path), path);
}

int key_new(Context& context, const Args& args) {
  PrivateKey key{};
  do {
    if (RAND_priv_bytes(key.data(), static_cast<int>(key.size())) != 1)
      throw CliError(Exit::kAuth, "the system's random number generator failed");
  } while (!id::is_valid_private_key(key));
  store_key(context, key, args.has("force"));
  OPENSSL_cleanse(key.data(), key.size());
  return 0;
}

int key_import(Context& context, const Args& args) {
  std::string text;
  if (args.values.count("private-key-file")) {
    const std::string file = args.get("private-key-file");
    std::ifstream in(file, std::ios::binary);
    if (!in) throw usage_error("cannot read " + file);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } else {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  std::string hex;
  for (char c : text)
    if (!std::isspace(static_cast<unsigned char>(c))) hex.push_back(c);
  OPENSSL_cleanse(text.data(), text.size());
  auto key = id::parse_private_key(hex);
  OPENSSL_cleanse(hex.data(), hex.size());
  if (!key.is_ok())
    throw usage_error("not a private key: " + key.status().message(),
                      "give 64 hex digits (optionally after 0x) on stdin or in "
                      "--private-key-file");
  store_key(context, *key, args.has("force"));
  OPENSSL_cleanse(key->data(), key->size());
  return 0;
}

int key_show(Context& context, const Args& args) {
  const std::string& path = context.options().key_file;
  const std::string json = read_key_file(path);
  const std::string address = key_file_address(json, path);
  if (args.has("check")) {
    PrivateKey key =
        decrypt_key(json, read_passphrase("Passphrase for " + path + ": ", false), path);
    OPENSSL_cleanse(key.data(), key.size());
  }
  print_key(context, address, {});
  return 0;
}

const Registrar kKeyNew([] {
  Command c;
  c.name = "key new";
  c.summary = "Create a new signing key in an encrypted key file";
  c.usage =
      "key new [--force]\n"
      "\n"
      "Generates a secp256k1 key and writes it to the key file (--key, FORM_KEY, default\n"
      "~/.config/formation/key.json) with mode 0600, encrypted with a passphrase (scrypt +\n"
      "AES-256-GCM). The passphrase is $FORM_PASSPHRASE, or asked twice on the terminal.\n"
      "Prints the key's address. Refuses to replace an existing file without --force.";
  c.options = {{"force", "", "replace an existing key file"}};
  c.handler = key_new;
  return c;
}());

const Registrar kKeyImport([] {
  Command c;
  c.name = "key import";
  c.summary = "Store an existing private key (hex) in an encrypted key file";
  c.usage =
      "key import [--private-key-file FILE] [--force]\n"
      "\n"
      "Reads a private key as 64 hex digits (optionally after 0x) from stdin or FILE and\n"
      "writes it to the key file, encrypted like 'form key new'. Prints the address.";
  c.options = {{"private-key-file", "FILE", "read the key from FILE instead of stdin"},
               {"force", "", "replace an existing key file"}};
  c.handler = key_import;
  return c;
}());

const Registrar kKeyShow([] {
  Command c;
  c.name = "key show";
  c.summary = "Show the address of the key file";
  c.usage =
      "key show [--check]\n"
      "\n"
      "Prints the address of the key file (--output json: {\"address\": ...}). It is read\n"
      "from the file without the passphrase; --check also decrypts the key and confirms it\n"
      "matches (exit 4 on a wrong passphrase). Never prints the private key.";
  c.options = {{"check", "", "decrypt the key to confirm the passphrase"}};
  c.handler = key_show;
  return c;
}());

}  // namespace
}  // namespace form

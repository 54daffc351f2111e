// The key file of `form` (docs/cli.md, "Key file"): a secp256k1 private key encrypted with
// a passphrase (scrypt N=2^15 r=8 p=1 -> AES-256-GCM), and where the passphrase comes from.
#pragma once

#include <string>

#include "identity/signing.hpp"

namespace form {

using formation::identity::PrivateKey;

// The passphrase: $FORM_PASSPHRASE when set and not empty, otherwise asked on the terminal
// with echo off (twice when `confirm`). Throws CliError(kAuth) when neither is possible,
// or when the two entries differ.
std::string read_passphrase(const std::string& prompt, bool confirm);

// The keystore JSON of `key` (fresh salt and IV every time).
std::string encrypt_key(const PrivateKey& key, const std::string& passphrase);

// The address a key file declares (EIP-55), without decrypting. Throws CliError(kAuth)
// naming `path` when the document is not a key file.
std::string key_file_address(const std::string& json, const std::string& path);

// Decrypts a key file; throws CliError(kAuth) for a wrong passphrase (or a damaged file)
// and for a key that does not match the declared address.
PrivateKey decrypt_key(const std::string& json, const std::string& passphrase,
                       const std::string& path);

// Reads a key file; CliError(kAuth) with a hint when it is missing or unreadable.
std::string read_key_file(const std::string& path);

// Writes a key file with mode 0600, creating its directory with mode 0700 when missing.
// Without `force` an existing file is left alone (CliError). Atomic: a temporary file in
// the same directory is renamed (or linked) into place.
void write_key_file(const std::string& path, const std::string& json, bool force);

}  // namespace form

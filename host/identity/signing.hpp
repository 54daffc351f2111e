// The client and server halves of the request-signing contract (DESIGN.md §5): Keccak-256,
// EIP-191 personal_sign hashing, secp256k1 signing and recovery (libsecp256k1), Ethereum
// addresses and EIP-55 checksums, and the canonical request text.
//
// No Boost and nothing of the host: `form` links this library too. Addresses are returned
// as "0x" + 40 lower-case hex; checksum_address() formats one for people (EIP-55).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "formation/status.hpp"

namespace formation::identity {

using Bytes = std::vector<std::uint8_t>;
using Hash256 = std::array<std::uint8_t, 32>;
using PrivateKey = std::array<std::uint8_t, 32>;
using Signature = std::array<std::uint8_t, 65>;  // r || s || v

// ---- hashes ----------------------------------------------------------------------------

// Keccak-256 as Ethereum uses it (the original Keccak padding 0x01, not SHA3-256's 0x06).
Hash256 keccak256(std::span<const std::uint8_t> data);
Hash256 keccak256(std::string_view data);
Hash256 sha256(std::string_view data);

// keccak256("\x19Ethereum Signed Message:\n" + decimal length + message).
Hash256 eip191_hash(std::string_view message);

// ---- hex -------------------------------------------------------------------------------

// Lower-case hex, no prefix.
std::string to_hex(std::span<const std::uint8_t> bytes);
// Hex digits (either case, an optional "0x"/"0X" prefix) to bytes; nullopt when the text
// is not an even number of hex digits.
std::optional<Bytes> from_hex(std::string_view text);
bool is_hex(std::string_view text);

// ---- the canonical request text --------------------------------------------------------

// "formation-request-v1\nMETHOD\nTARGET\nTIMESTAMP\nNONCE\nhex(sha256(body))", no trailing
// newline. The method is used as given (callers send it upper case).
std::string canonical_request_text(std::string_view method, std::string_view target,
                                   std::string_view timestamp, std::string_view nonce,
                                   std::string_view body);

// ---- keys, addresses, signatures -------------------------------------------------------

// True when the 32 bytes are a valid secp256k1 secret key (0 < k < n).
bool is_valid_private_key(const PrivateKey& key);
// invalid when the text is not 64 hex digits (optional 0x) or not a valid key.
Result<PrivateKey> parse_private_key(std::string_view hex);

// The address of a key: "0x" + 40 lower-case hex. invalid for an invalid key.
Result<std::string> address_from_private_key(const PrivateKey& key);

// EIP-55 mixed-case form of an address (given with or without 0x, any case). invalid when
// it is not 40 hex digits.
Result<std::string> checksum_address(std::string_view address);

// personal_sign: a 65-byte r || s || v over eip191_hash(message), v in {27, 28}, low-s
// (RFC 6979 deterministic nonce, as ethers and web3 do).
Result<Signature> sign_personal(const PrivateKey& key, std::string_view message);
Result<Signature> sign_hash(const PrivateKey& key, const Hash256& hash);

// The signer's address ("0x" + lower-case hex) of a personal_sign signature. Accepts v in
// {0, 1, 27, 28}. invalid for a malformed signature (r or s out of range, v unknown), a
// high-s signature (s > n/2), or one no public key matches.
Result<std::string> recover_address(std::string_view message, const Signature& signature);
Result<std::string> recover_address_from_hash(const Hash256& hash, const Signature& signature);

}  // namespace formation::identity

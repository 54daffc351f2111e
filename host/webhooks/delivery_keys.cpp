#include "webhooks/delivery_keys.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <rapidjson/document.h>

#include <array>
#include <stdexcept>
#include <vector>

namespace formation::host::webhooks {
namespace {

std::string hex(const unsigned char* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 0xf];
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
  return hex(digest.data(), digest.size());
}

std::string member_text(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return {};
  const auto it = object.FindMember(name);
  if (it == object.MemberEnd()) return {};
  if (it->value.IsString()) return {it->value.GetString(), it->value.GetStringLength()};
  if (it->value.IsInt64()) return std::to_string(it->value.GetInt64());
  return {};
}

}  // namespace

std::string sign_body(std::string_view secret, std::string_view body) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac.data(), &size);
  return hex(mac.data(), size);
}

std::string idempotency_key(std::string_view webhook_id, const Event& event) {
  rapidjson::Document doc;
  doc.Parse(event.payload_json.data(), event.payload_json.size());
  std::string identity;
  if (!doc.HasParseError()) {
    // An account threshold has no instance: the account is its subject.
    std::string subject = member_text(doc, "instance_id");
    if (subject.empty() && event.type.starts_with("threshold.")) {
      subject = member_text(doc, "user_id");
    }
    std::string start;
    if (doc.IsObject() && doc.HasMember("period")) start = member_text(doc["period"], "start");
    // Several thresholds, on several resources, may fire on the same period.
    const std::string resource = member_text(doc, "resource");
    const std::string threshold = member_text(doc, "threshold");
    if (!subject.empty() && !start.empty()) {
      identity = subject + "\n" + start + "\n" + resource;
      if (!threshold.empty()) identity += "\n" + threshold;
    }
  }
  if (identity.empty()) identity = event.payload_json;
  return sha256_hex(std::string(webhook_id) + "\n" + event.type + "\n" + identity);
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  return hex(buf.data(), buf.size());
}

}  // namespace formation::host::webhooks

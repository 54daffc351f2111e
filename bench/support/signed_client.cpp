#include "signed_client.hpp"

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace formation::bench {
namespace {

namespace id = formation::identity;

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

}  // namespace

SignedClient::SignedClient(std::string base, const std::string& key_hex) : base_(std::move(base)) {
  auto key = id::parse_private_key(key_hex);
  if (!key.is_ok()) throw std::runtime_error("--key: " + key.status().message());
  key_ = *key;
  address_ = *id::address_from_private_key(key_);
  curl_ = curl_easy_init();
  if (curl_ == nullptr) throw std::runtime_error("curl_easy_init failed");
}

SignedClient::~SignedClient() { curl_easy_cleanup(curl_); }

Reply SignedClient::call(const std::string& method, const std::string& target,
                         const std::string& body) {
  const std::string ts = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count());
  std::vector<std::uint8_t> raw(16);
  for (auto& b : raw) b = static_cast<std::uint8_t>(rng_());
  const std::string nonce = id::to_hex(raw);
  auto sig = id::sign_personal(key_, id::canonical_request_text(method, target, ts, nonce, body));
  if (!sig.is_ok()) throw std::runtime_error("signing: " + sig.status().message());
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, ("X-Formation-Address: " + address_).c_str());
  headers = curl_slist_append(headers, ("X-Formation-Timestamp: " + ts).c_str());
  headers = curl_slist_append(headers, ("X-Formation-Nonce: " + nonce).c_str());
  headers = curl_slist_append(headers, ("X-Formation-Signature: 0x" + id::to_hex(*sig)).c_str());
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Expect:");
  Reply reply;
  const std::string url = base_ + target;
  curl_easy_reset(curl_);  // keeps the connection
  curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, method.c_str());
  // A GET or DELETE without a body sends none (POSTFIELDS would make curl send one).
  if (!body.empty() || method == "POST") {
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &reply.body);
  const CURLcode rc = curl_easy_perform(curl_);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) throw std::runtime_error(url + ": " + curl_easy_strerror(rc));
  curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &reply.status);
  return reply;
}

}  // namespace formation::bench

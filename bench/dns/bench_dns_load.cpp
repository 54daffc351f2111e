// bench_dns_load: puts DNS records into a running formationd through its API, for
// bench/dns/run (see README.md). `form dns add` would do the same one process at a time,
// each decrypting the key file (scrypt), which for a thousand names takes minutes; this
// signs each request itself and keeps one connection open.
//   bench_dns_load --api URL --key HEX RECORDS_FILE
// RECORDS_FILE has one record per line: `FQDN TYPE VALUE` (e.g. `host-1.bench.test A
// 10.0.0.1`). Each becomes PUT /v1/dns/records/FQDN {"type": TYPE, "values": [VALUE]}.
// Prints how many were written and how long it took; exits 1 at the first refusal, with the
// API's answer.
#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "identity/signing.hpp"

namespace {

namespace id = formation::identity;

struct Reply {
  long status = 0;
  std::string body;
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// One signed request at a time over one kept-alive connection (DESIGN.md §5 signing).
class SignedClient {
 public:
  SignedClient(std::string base, const std::string& key_hex) : base_(std::move(base)) {
    auto key = id::parse_private_key(key_hex);
    if (!key.is_ok()) throw std::runtime_error("--key: " + key.status().message());
    key_ = *key;
    address_ = *id::address_from_private_key(key_);
    curl_ = curl_easy_init();
    if (curl_ == nullptr) throw std::runtime_error("curl_easy_init failed");
  }
  ~SignedClient() { curl_easy_cleanup(curl_); }
  SignedClient(const SignedClient&) = delete;
  SignedClient& operator=(const SignedClient&) = delete;

  Reply call(const std::string& method, const std::string& target, const std::string& body) {
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
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &reply.body);
    const CURLcode rc = curl_easy_perform(curl_);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK) throw std::runtime_error(url + ": " + curl_easy_strerror(rc));
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &reply.status);
    return reply;
  }

 private:
  std::string base_, address_;
  id::PrivateKey key_{};
  CURL* curl_ = nullptr;
  std::mt19937_64 rng_{std::random_device{}()};
};

// A JSON string literal; the values here are names and addresses, but quote properly anyway.
std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;  // no control characters in records
    out += c;
  }
  return out + "\"";
}

int load(const std::string& api, const std::string& key_hex, const std::string& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error(file + ": cannot open");
  SignedClient client(api, key_hex);
  std::string line;
  int line_no = 0;
  int written = 0;
  const auto t0 = std::chrono::steady_clock::now();
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string fqdn, type, value;
    if (!(fields >> fqdn >> type >> value)) {
      throw std::runtime_error(file + ":" + std::to_string(line_no) +
                               ": expected `FQDN TYPE VALUE`, got `" + line + "`");
    }
    const std::string body =
        "{\"type\":" + json_string(type) + ",\"values\":[" + json_string(value) + "]}";
    const Reply r = client.call("PUT", "/v1/dns/records/" + fqdn, body);
    if (r.status != 200 && r.status != 201) {
      throw std::runtime_error("PUT /v1/dns/records/" + fqdn + " answered " +
                               std::to_string(r.status) + ": " + r.body);
    }
    ++written;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "loaded " << written << " records through the API in " << seconds << " s\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  std::string api, key_hex, file;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--api" && i + 1 < args.size()) {
      api = args[++i];
    } else if (args[i] == "--key" && i + 1 < args.size()) {
      key_hex = args[++i];
    } else if (file.empty() && !args[i].starts_with("--")) {
      file = args[i];
    } else {
      file.clear();
      break;
    }
  }
  if (api.empty() || key_hex.empty() || file.empty()) {
    std::cerr << "usage: bench_dns_load --api URL --key HEX RECORDS_FILE\n";
    return 2;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  try {
    return load(api, key_hex, file);
  } catch (const std::exception& e) {
    std::cerr << "bench_dns_load: " << e.what() << "\n";
    return 1;
  }
}

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
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "signed_client.hpp"

namespace {

using formation::bench::Reply;
using formation::bench::SignedClient;

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

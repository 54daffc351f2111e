// bench_auth_presign: writes K pre-signed requests for one method and target (DESIGN.md §5),
// one per line: "<timestamp> <nonce> <signature>", for bench/auth/signed-http to replay
// with wrk. Nonces are unique (a random 64-bit run prefix and a counter); the timestamp is
// the time of the run, so the requests stay valid for the server's skew window (300 s).
//
//   bench_auth_presign KEY_HEX METHOD TARGET COUNT OUT_FILE [THREADS]
#include <algorithm>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "identity/signing.hpp"

namespace {

namespace id = formation::identity;

std::string hex64(std::uint64_t value) {
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016" PRIx64, value);
  return buffer;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6 || argc > 7) {
    std::cerr << "usage: bench_auth_presign KEY_HEX METHOD TARGET COUNT OUT_FILE [THREADS]\n";
    return 2;
  }
  auto key = id::parse_private_key(argv[1]);
  if (!key.is_ok()) {
    std::cerr << "bench_auth_presign: bad key: " << key.status().message() << '\n';
    return 2;
  }
  const std::string method = argv[2];
  const std::string target = argv[3];
  const long long count = std::stoll(argv[4]);
  const std::string out_file = argv[5];
  unsigned threads = argc == 7 ? static_cast<unsigned>(std::stoul(argv[6]))
                               : std::max(1U, std::thread::hardware_concurrency());
  if (count <= 0 || threads == 0) {
    std::cerr << "bench_auth_presign: COUNT and THREADS must be positive\n";
    return 2;
  }

  const std::string timestamp = std::to_string(static_cast<long long>(std::time(nullptr)));
  std::random_device rd;
  const std::uint64_t prefix = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  const std::string prefix_hex = hex64(prefix);

  std::vector<std::string> chunks(threads);
  std::vector<std::thread> workers;
  std::vector<char> worker_failed(threads, 0);
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::string& out = chunks[t];
      for (long long i = t; i < count; i += threads) {
        const std::string nonce = prefix_hex + hex64(static_cast<std::uint64_t>(i));
        const std::string text = id::canonical_request_text(method, target, timestamp, nonce, "");
        auto signature = id::sign_personal(*key, text);
        if (!signature.is_ok()) {
          worker_failed[t] = 1;
          return;
        }
        out += timestamp + ' ' + nonce + " 0x" + id::to_hex(*signature) + '\n';
      }
    });
  }
  for (auto& w : workers) w.join();
  bool failed = false;
  for (char f : worker_failed) failed = failed || f != 0;
  if (failed) {
    std::cerr << "bench_auth_presign: signing failed\n";
    return 1;
  }
  std::ofstream out(out_file, std::ios::binary | std::ios::trunc);
  for (const auto& chunk : chunks) out << chunk;
  out.close();
  if (!out) {
    std::cerr << "bench_auth_presign: cannot write " << out_file << '\n';
    return 1;
  }
  return 0;
}

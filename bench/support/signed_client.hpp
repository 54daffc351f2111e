// A client for formationd's API that signs each request itself (DESIGN.md §5 signing), for
// benchmark programs: `form` would decrypt the key file (scrypt) once per process, which for
// thousands of requests takes minutes. One request at a time over one kept-alive connection.
// The caller runs curl_global_init() once first.
#pragma once

#include <curl/curl.h>

#include <random>
#include <string>

#include "identity/signing.hpp"

namespace formation::bench {

struct Reply {
  long status = 0;  // the HTTP status
  std::string body;
};

class SignedClient {
 public:
  // `base` is the API's URL without a path ("http://127.0.0.1:8080"); `key_hex` the private
  // key that signs. Throws std::runtime_error when the key does not parse.
  SignedClient(std::string base, const std::string& key_hex);
  ~SignedClient();
  SignedClient(const SignedClient&) = delete;
  SignedClient& operator=(const SignedClient&) = delete;

  // Sends `method` `target` (a path and query) with `body` (JSON; none for a GET or DELETE
  // when empty) and returns the answer, whatever its status. Throws std::runtime_error when
  // signing fails or no answer came.
  Reply call(const std::string& method, const std::string& target, const std::string& body = "");

 private:
  std::string base_, address_;
  identity::PrivateKey key_{};
  CURL* curl_ = nullptr;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace formation::bench

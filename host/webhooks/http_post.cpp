#include "webhooks/http_post.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <memory>

#include "webhooks/url_check.hpp"

namespace formation::host::webhooks {
namespace {

// The receiver's answer body is not used; reading (and dropping) it keeps the connection
// well-behaved.
size_t discard(char* /*data*/, size_t size, size_t count, void* /*user*/) { return size * count; }

curl_socket_t open_checked(void* /*user*/, curlsocktype /*purpose*/, curl_sockaddr* address) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (address->family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&address->addr);
    ::inet_ntop(AF_INET, &in->sin_addr, text.data(), text.size());
  } else if (address->family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address->addr);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, text.data(), text.size());
  }
  if (is_forbidden_address(text.data())) return CURL_SOCKET_BAD;
  return ::socket(address->family, address->socktype, address->protocol);
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct ListDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

PostOutcome http_post(const std::string& url,
                      const std::vector<std::pair<std::string, std::string>>& headers,
                      const std::string& body, PostTimeouts timeouts) {
  static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  if (!initialised) return {0, "libcurl could not be initialised"};
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return {0, "libcurl could not make a handle"};
  curl_slist* raw = nullptr;
  raw = curl_slist_append(raw, "Content-Type: application/json");
  raw = curl_slist_append(raw, "Expect:");
  for (const auto& [name, value] : headers)
    raw = curl_slist_append(raw, (name + ": " + value).c_str());
  std::unique_ptr<curl_slist, ListDeleter> list(raw);
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeouts.connect.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeouts.total.count()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &discard);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, &open_checked);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "formationd-webhooks/1");
  const CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    if (rc == CURLE_OPERATION_TIMEDOUT) {
      return {0, "timeout after " + std::to_string(timeouts.total.count()) + " ms"};
    }
    return {0, curl_easy_strerror(rc)};
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  return {static_cast<int>(status),
          status >= 200 && status < 300 ? "" : std::to_string(status) + " from receiver"};
}

}  // namespace formation::host::webhooks

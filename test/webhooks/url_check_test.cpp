// Which webhook URLs and POST /v1/webhooks bodies are accepted, and what a refusal says.
#include <gtest/gtest.h>

#include <string>

#include "webhooks/url_check.hpp"
#include "webhooks/webhook_body.hpp"

namespace formation::host::webhooks {
namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(WebhookUrl, AcceptsHttpAndHttpsIncludingLoopback) {
  for (const char* url : {"http://127.0.0.1:8080/hook", "https://example.org/x?y=1",
                          "http://[::1]:9000/", "HTTPS://Hooks.Example.ORG", "http://localhost/"}) {
    auto parsed = parse_webhook_url(url);
    EXPECT_TRUE(parsed.is_ok()) << url << ": " << parsed.status().to_string();
  }
  auto p = parse_webhook_url("https://Example.org/a");
  ASSERT_TRUE(p.is_ok());
  EXPECT_EQ(p->endpoint(), "example.org:443");
  EXPECT_EQ(parse_webhook_url("http://[::1]:9000/")->endpoint(), "[::1]:9000");
}

TEST(WebhookUrl, RefusesWithTheReason) {
  struct Case {
    std::string url;
    const char* says;
  };
  const Case cases[] = {
      {"", "must not be empty"},
      {"ftp://example.org/", "scheme 'ftp' is not allowed"},
      {"file:///etc/passwd", "scheme 'file' is not allowed"},
      {"example.org/hook", "must start with http:// or https://"},
      {"http://" + std::string(2100, 'a') + ".org/", "at most 2048"},
      {"http:///path", "has no host"},
      {"http://user:pw@example.org/", "user name or password"},
      {"http://example.org:0/", "port '0'"},
      {"http://example.org:99999/", "port '99999'"},
      {"http://example.org:8o/", "port '8o'"},
      {"http://exa mple.org/", "offset 10"},
      {"http://169.254.169.254/latest/meta-data", "link-local or cloud metadata"},
      {"http://169.254.10.1/", "link-local"},
      {"http://[fe80::1]/", "link-local"},
      {"http://[fd00:ec2::254]/", "metadata"},
      {"http://[::ffff:169.254.169.254]/", "metadata"},
      {"http://metadata.google.internal/computeMetadata/v1/", "cloud metadata service"},
      {"http://METADATA.google.internal./", "cloud metadata service"},
      {"http://[::1/", "unclosed '['"},
      {"http://[nope]/", "not an IPv6 address"},
  };
  for (const auto& c : cases) {
    auto parsed = parse_webhook_url(c.url, "url");
    ASSERT_FALSE(parsed.is_ok()) << c.url;
    EXPECT_EQ(parsed.status().code(), StatusCode::invalid);
    EXPECT_TRUE(has(parsed.status().message(), c.says))
        << c.url << " -> " << parsed.status().message();
    EXPECT_TRUE(parsed.status().message().starts_with("url")) << parsed.status().message();
  }
}

TEST(WebhookBody, ParsesUrlAndEventsWithoutDuplicates) {
  auto body = parse_webhook_request(
      R"({"url": "http://127.0.0.1:1/h", "events": ["usage", "threshold", "usage"]})");
  ASSERT_TRUE(body.is_ok()) << body.status().to_string();
  EXPECT_EQ(body->url, "http://127.0.0.1:1/h");
  EXPECT_EQ(body->events, (std::vector<std::string>{"usage", "threshold"}));
}

TEST(WebhookBody, NamesTheFieldThatIsWrong) {
  struct Case {
    const char* body;
    const char* says;
  };
  const Case cases[] = {
      {"", "body: invalid JSON at offset 0"},
      {"[1]", "body: must be a JSON object"},
      {R"({"events": ["usage"]})", "field 'url' is required"},
      {R"({"url": 5, "events": ["usage"]})", "field 'url' must be a string"},
      {R"({"url": "gopher://x", "events": ["usage"]})", "body: field 'url': scheme 'gopher'"},
      {R"({"url": "http://x"})", "field 'events' is required"},
      {R"({"url": "http://x", "events": "usage"})", "field 'events' must be an array"},
      {R"({"url": "http://x", "events": []})", "field 'events' must not be empty"},
      {R"({"url": "http://x", "events": ["usage", 3]})", "field 'events[1]' must be a string"},
      {R"({"url": "http://x", "events": ["usage.*"]})",
       "field 'events[0]' 'usage.*' is not an event"},
      {R"({"url": "http://x", "events": ["usage"], "secret": "s"})", "unknown field 'secret'"},
      {R"({"url": "http://x", "events": ["usage","usage","usage","usage","usage","usage","usage","usage","usage"]})",
       "at most 8"},
  };
  for (const auto& c : cases) {
    auto body = parse_webhook_request(c.body);
    ASSERT_FALSE(body.is_ok()) << c.body;
    EXPECT_TRUE(has(body.status().message(), c.says))
        << c.body << " -> " << body.status().message();
  }
}

}  // namespace
}  // namespace formation::host::webhooks

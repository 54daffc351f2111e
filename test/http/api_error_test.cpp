#include "http/api_error.hpp"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "http/request_parsing.hpp"

namespace formation::host {
namespace {

TEST(ApiError, MapsEveryStatusCode) {
  EXPECT_EQ(http_status_for(StatusCode::ok), 200);
  EXPECT_EQ(http_status_for(StatusCode::not_found), 404);
  EXPECT_EQ(http_status_for(StatusCode::invalid), 400);
  EXPECT_EQ(http_status_for(StatusCode::conflict), 409);
  EXPECT_EQ(http_status_for(StatusCode::unavailable), 503);
  EXPECT_EQ(http_status_for(StatusCode::unsupported), 501);
  EXPECT_EQ(http_status_for(StatusCode::permission_denied), 403);
  EXPECT_EQ(http_status_for(StatusCode::internal), 500);
}

TEST(ApiError, FromStatusUsesTheCodeName) {
  auto e = from_status(Status::unsupported("no hot resize"));
  EXPECT_EQ(e.http_status, 501);
  EXPECT_EQ(e.code, "unsupported");
  EXPECT_EQ(e.message, "no hot resize");
}

TEST(ApiError, EnvelopeIsValidJsonWithEscaping) {
  const std::string message =
      "quote \" backslash \\ newline \n nul-free \x01 bad utf8 \xff\xfe end";
  auto json = error_envelope_json({400, "invalid", message}, "req-1");
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(json.c_str(), json.size());
  ASSERT_FALSE(doc.HasParseError()) << json;
  const auto& error = doc["error"];
  EXPECT_STREQ(error["code"].GetString(), "invalid");
  EXPECT_STREQ(error["request_id"].GetString(), "req-1");
  std::string got = error["message"].GetString();
  EXPECT_EQ(got.substr(0, 34), message.substr(0, 34));
  EXPECT_NE(got.find("\xEF\xBF\xBD"), std::string::npos);  // U+FFFD for the bad bytes
  EXPECT_EQ(json.rfind("{\"error\":{\"code\":\"invalid\",\"message\":", 0), 0u) << json;
}

// The parsing path the fuzz target drives, with a few fixed inputs.
TEST(ParseRequestForFuzzing, ClassifiesRequests) {
  Router router;
  ASSERT_TRUE(router
                  .add(Route{"GET", "/v1/echo/{word}",
                             [](const HttpRequest& r) -> Result<HttpResponse> {
                               return HttpResponse::text(200, std::string(r.path_param("word")));
                             },
                             RouteAccess::anonymous, RouteExecution::io_thread},
                       "host")
                  .is_ok());
  auto ok = parse_request_for_fuzzing("GET /v1/echo/hi HTTP/1.1\r\nHost: x\r\n\r\n", 100, router);
  EXPECT_TRUE(ok.complete);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.route, "/v1/echo/{word}");
  EXPECT_EQ(parse_request_for_fuzzing("GET /v1/nope HTTP/1.1\r\n\r\n", 100, router).status, 404);
  EXPECT_EQ(parse_request_for_fuzzing("GET /v1/echo/%zz HTTP/1.1\r\n\r\n", 100, router).status,
            400);
  EXPECT_EQ(parse_request_for_fuzzing("BLAH\r\n\r\n", 100, router).status, 400);
  EXPECT_EQ(parse_request_for_fuzzing("POST /v1/echo/a HTTP/1.1\r\nContent-Length: 101\r\n\r\n",
                                      100, router)
                .status,
            413);
  auto partial = parse_request_for_fuzzing("GET /v1/echo/hi HTTP/1.1\r\nHo", 100, router);
  EXPECT_FALSE(partial.complete);
  EXPECT_EQ(partial.status, 0);
  EXPECT_EQ(parse_request_for_fuzzing("GET / HTTP/1.1\r\nX: " + std::string(200, 'a') + "\r\n\r\n",
                                      100, router, 64)
                .status,
            431);
}

}  // namespace
}  // namespace formation::host

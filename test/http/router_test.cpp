#include "http/router.hpp"

#include <gtest/gtest.h>

namespace formation::host {
namespace {

RouteHandler ok_handler(std::string body = "{}") {
  return
      [body](const HttpRequest&) -> Result<HttpResponse> { return HttpResponse::json(200, body); };
}

Route route(std::string method, std::string pattern, RouteAccess access = RouteAccess::anonymous) {
  return Route{std::move(method), std::move(pattern), ok_handler(), access,
               RouteExecution::io_thread};
}

TEST(Router, MatchesLiteralRoute) {
  Router r;
  ASSERT_TRUE(r.add(route("GET", "/v1/health"), "host").is_ok());
  auto m = r.match("GET", "/v1/health");
  ASSERT_TRUE(m.route);
  EXPECT_EQ(m.pattern, "/v1/health");
  EXPECT_FALSE(m.error);
}

TEST(Router, ExtractsAndDecodesPathParams) {
  Router r;
  ASSERT_TRUE(r.add(route("POST", "/v1/instances/{id}/grants/{address}"), "host").is_ok());
  auto m = r.match("POST", "/v1/instances/ab%2Fc/grants/0x%41b");
  ASSERT_TRUE(m.route);
  EXPECT_EQ(m.pattern, "/v1/instances/{id}/grants/{address}");
  EXPECT_EQ(m.path_params.at("id"), "ab/c");
  EXPECT_EQ(m.path_params.at("address"), "0xAb");
}

TEST(Router, EmptyParamSegmentDoesNotMatch) {
  Router r;
  ASSERT_TRUE(r.add(route("GET", "/v1/instances/{id}"), "host").is_ok());
  auto m = r.match("GET", "/v1/instances/");
  EXPECT_FALSE(m.route);
  ASSERT_TRUE(m.error);
  EXPECT_EQ(m.error->http_status, 404);
}

TEST(Router, LiteralSegmentWinsOverParam) {
  Router r;
  ASSERT_TRUE(r.add(route("GET", "/v1/dns/records/{fqdn}"), "host").is_ok());
  ASSERT_TRUE(r.add(route("GET", "/v1/dns/records/special"), "dns-powerdns/default").is_ok());
  ASSERT_TRUE(r.add(route("GET", "/v1/{kind}/records/x"), "host").is_ok());
  EXPECT_EQ(r.match("GET", "/v1/dns/records/special").pattern, "/v1/dns/records/special");
  EXPECT_EQ(r.match("GET", "/v1/dns/records/other").pattern, "/v1/dns/records/{fqdn}");
  // At the first differing segment the literal wins, whatever follows.
  EXPECT_EQ(r.match("GET", "/v1/dns/records/x").pattern, "/v1/dns/records/{fqdn}");
  EXPECT_EQ(r.match("GET", "/v1/mesh/records/x").pattern, "/v1/{kind}/records/x");
}

TEST(Router, LiteralRouteWithoutTheMethodFallsBackToParamRoute) {
  Router r;
  ASSERT_TRUE(r.add(route("GET", "/v1/a/{x}"), "host").is_ok());
  ASSERT_TRUE(r.add(route("POST", "/v1/a/b"), "host").is_ok());
  EXPECT_EQ(r.match("GET", "/v1/a/b").pattern, "/v1/a/{x}");
  EXPECT_EQ(r.match("POST", "/v1/a/b").pattern, "/v1/a/b");
}

TEST(Router, OtherMethodGives405WithAllow) {
  Router r;
  ASSERT_TRUE(r.add(route("GET", "/v1/instances/{id}"), "host").is_ok());
  ASSERT_TRUE(r.add(route("DELETE", "/v1/instances/{id}"), "host").is_ok());
  auto m = r.match("POST", "/v1/instances/abc");
  EXPECT_FALSE(m.route);
  ASSERT_TRUE(m.error);
  EXPECT_EQ(m.error->http_status, 405);
  EXPECT_EQ(m.error->code, "method_not_allowed");
  ASSERT_EQ(m.headers.size(), 1u);
  EXPECT_EQ(m.headers[0].first, "Allow");
  EXPECT_EQ(m.headers[0].second, "DELETE, GET, HEAD");
  EXPECT_EQ(m.pattern, "unmatched");
}

TEST(Router, HeadIsAnsweredByGetRoute) {
  Router r;
  ASSERT_TRUE(r.add(route("GET", "/v1/health"), "host").is_ok());
  EXPECT_TRUE(r.match("HEAD", "/v1/health").route);
}

TEST(Router, UnknownPathGives404) {
  Router r;
  ASSERT_TRUE(r.add(route("GET", "/v1/health"), "host").is_ok());
  for (auto path : {"/v1/nothing", "/v1/health/", "/v1", "/", "/v1/health/x"}) {
    auto m = r.match("GET", path);
    ASSERT_TRUE(m.error) << path;
    EXPECT_EQ(m.error->http_status, 404) << path;
    EXPECT_EQ(m.error->code, "not_found") << path;
  }
}

TEST(Router, RejectsDotDotNulAndBadEscapesAs400) {
  Router r;
  ASSERT_TRUE(r.add(route("GET", "/v1/files/{name}"), "host").is_ok());
  for (auto path : {"/v1/files/..", "/v1/files/%2e%2E", "/v1/../v1/files/x", "/v1/files/a%00b",
                    "/v1/files/%zz", "/v1/files/%4", "v1/files/x", "*"}) {
    auto m = r.match("GET", path);
    EXPECT_FALSE(m.route) << path;
    ASSERT_TRUE(m.error) << path;
    EXPECT_EQ(m.error->http_status, 400) << path;
    EXPECT_EQ(m.error->code, "bad_request") << path;
  }
}

TEST(Router, SameMethodAndPatternConflictNamingBothOwners) {
  Router r;
  ASSERT_TRUE(r.add(route("GET", "/v1/echo/{id}"), "example-echo/a").is_ok());
  auto st = r.add(route("GET", "/v1/echo/{name}"), "example-echo/b");
  EXPECT_EQ(st.code(), StatusCode::conflict);
  EXPECT_NE(st.message().find("example-echo/a"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("example-echo/b"), std::string::npos) << st.message();
  EXPECT_TRUE(r.add(route("POST", "/v1/echo/{id}"), "example-echo/b").is_ok());
}

TEST(Router, PluginPatternsMustStartWithV1) {
  Router r;
  auto st = r.add(route("GET", "/metrics"), "example-echo/default");
  EXPECT_EQ(st.code(), StatusCode::invalid);
  EXPECT_NE(st.message().find("example-echo/default"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("/metrics"), std::string::npos) << st.message();
  EXPECT_EQ(r.add(route("GET", "/v1"), "x/y").code(), StatusCode::invalid);
  EXPECT_EQ(r.add(route("GET", "/v2/a"), "x/y").code(), StatusCode::invalid);
  // The host may serve outside /v1.
  EXPECT_TRUE(r.add(route("GET", "/metrics"), "host").is_ok());
  EXPECT_TRUE(r.match("GET", "/metrics").route);
}

TEST(Router, RejectsBadMethodsPatternsAndHandlers) {
  Router r;
  EXPECT_EQ(r.add(route("OPTIONS", "/v1/a"), "host").code(), StatusCode::invalid);
  EXPECT_EQ(r.add(route("get", "/v1/a"), "host").code(), StatusCode::invalid);
  EXPECT_EQ(r.add(route("HEAD", "/v1/a"), "host").code(), StatusCode::invalid);
  for (auto pattern : {"/v1/", "/v1//a", "/v1/a/", "/v1/{}", "/v1/{a", "/v1/a{b}", "/v1/{a}/{a}",
                       "/v1/{1a}", "/v1/../a", "/v1/a b", "/v1/a%20", "/v1/a?b", "", "v1/a"}) {
    EXPECT_EQ(r.add(route("GET", pattern), "host").code(), StatusCode::invalid) << pattern;
  }
  Route no_handler = route("GET", "/v1/a");
  no_handler.handler = nullptr;
  EXPECT_EQ(r.add(no_handler, "host").code(), StatusCode::invalid);
  EXPECT_TRUE(r.routes().empty());
}

TEST(Router, FreezeRejectsLaterAdds) {
  Router r;
  ASSERT_TRUE(r.add(route("GET", "/v1/a"), "host").is_ok());
  EXPECT_FALSE(r.frozen());
  r.freeze();
  EXPECT_TRUE(r.frozen());
  auto st = r.add(route("GET", "/v1/b"), "late/plugin");
  EXPECT_EQ(st.code(), StatusCode::invalid);
  EXPECT_NE(st.message().find("late/plugin"), std::string::npos);
  EXPECT_TRUE(r.match("GET", "/v1/a").route);
}

TEST(Router, RoutesAreSortedByPatternThenMethod) {
  Router r;
  ASSERT_TRUE(r.add(route("POST", "/v1/b"), "host").is_ok());
  ASSERT_TRUE(r.add(route("GET", "/v1/b"), "p/i").is_ok());
  ASSERT_TRUE(r.add(route("DELETE", "/v1/a/{id}"), "host").is_ok());
  auto routes = r.routes();
  ASSERT_EQ(routes.size(), 3u);
  EXPECT_EQ(routes[0].pattern, "/v1/a/{id}");
  EXPECT_EQ(routes[1].method, "GET");
  EXPECT_EQ(routes[1].owner, "p/i");
  EXPECT_EQ(routes[2].method, "POST");
}

TEST(Router, SignedRouteWithoutAuthenticatorGives401) {
  Router r;
  ASSERT_TRUE(r.add(route("GET", "/v1/me", RouteAccess::signed_request), "host").is_ok());
  auto m = r.match("GET", "/v1/me");
  ASSERT_TRUE(m.route);
  HttpRequest req;
  auto error = r.authenticate(*m.route, req);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->http_status, 401);
  EXPECT_EQ(error->code, "signature_missing");
  EXPECT_NE(error->message.find("docs/api.md"), std::string::npos);
}

TEST(Router, AuthenticatorSetsCallerOrAnswersItsError) {
  Router r;
  ASSERT_TRUE(r.add(route("GET", "/v1/me", RouteAccess::signed_request), "host").is_ok());
  ASSERT_TRUE(r.add(route("GET", "/v1/public"), "host").is_ok());
  int calls = 0;
  r.set_authenticator([&](const HttpRequest& req) -> std::variant<std::string, ApiError> {
    ++calls;
    if (req.header("x-formation-signature").empty()) {
      return ApiError{401, "signature_invalid", "bad"};
    }
    return std::string("0x00000000000000000000000000000000000000aa");
  });
  auto signed_route = r.match("GET", "/v1/me").route;
  HttpRequest req;
  auto error = r.authenticate(*signed_route, req);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, "signature_invalid");
  EXPECT_FALSE(req.caller);
  req.headers["x-formation-signature"] = "0x1";
  EXPECT_FALSE(r.authenticate(*signed_route, req));
  EXPECT_EQ(req.caller.value_or(""), "0x00000000000000000000000000000000000000aa");
  HttpRequest anonymous;
  EXPECT_FALSE(r.authenticate(*r.match("GET", "/v1/public").route, anonymous));
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace formation::host

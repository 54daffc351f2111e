// example-echo: the smallest useful plugin, and the template for third parties.
// It adds GET /v1/echo, which answers the `message` query parameter with the configured
// greeting, and counts its calls in a metric. Copy this folder to start a plugin.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <formation/kinds/extension.hpp>
#include <formation/plugin.hpp>

#include <cctype>
#include <memory>
#include <string>

namespace {

using formation::HttpRequest;
using formation::HttpResponse;
using formation::Result;
using formation::Status;

// JSON Schema (draft-04) of this plugin's "parameters"; the host validates the operator's
// file against it and fills in the defaults before the factory runs.
constexpr const char* kParametersSchema = R"({
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "greeting": {"type": "string", "minLength": 1, "maxLength": 64, "default": "echo",
                 "description": "Word put before every echoed message."}
  }
})";

// Percent-decoding of one query value; malformed escapes are kept as written.
std::string decode_component(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out += ' ';
    } else if (in[i] == '%' && i + 2 < in.size() &&
               std::isxdigit(static_cast<unsigned char>(in[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

std::string query_value(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) == key) {
      return eq == std::string_view::npos ? std::string{} : decode_component(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

class EchoPlugin final : public formation::Extension {
 public:
  explicit EchoPlugin(formation::HostServices& host)
      : host_(host),
        greeting_(host.parameters()["greeting"].GetString()),
        calls_(host.metrics().counter("formation_echo_requests_total",
                                      "Requests answered by GET /v1/echo.",
                                      {{"instance", std::string(host.instance_name())}})) {}

  Status start() override {
    formation::Route route;
    route.method = "GET";
    route.pattern = "/v1/echo";
    // Public on purpose: it only reflects its input. Real plugins keep the default,
    // RouteAccess::signed_request.
    route.access = formation::RouteAccess::anonymous;
    route.execution = formation::RouteExecution::io_thread;  // cheap, never blocks
    route.handler = [this](const HttpRequest& request) { return echo(request); };
    return host_.add_route(std::move(route));
  }

 private:
  Result<HttpResponse> echo(const HttpRequest& request) {
    auto message = query_value(request.query, "message");
    if (message.size() > 1024) {
      return Status::invalid("query parameter 'message' is longer than 1024 bytes");
    }
    calls_.inc();
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> json(buffer);
    json.StartObject();
    json.Key("greeting");
    json.String(greeting_.c_str());
    json.Key("message");
    json.String(message.c_str(), static_cast<rapidjson::SizeType>(message.size()));
    json.Key("request_id");
    json.String(request.request_id.c_str());
    json.EndObject();
    return HttpResponse::json(200, buffer.GetString());
  }

  formation::HostServices& host_;
  std::string greeting_;
  formation::Counter& calls_;
};

Result<std::unique_ptr<formation::Plugin>> create(formation::HostServices& host) {
  return std::unique_ptr<formation::Plugin>(std::make_unique<EchoPlugin>(host));
}

const formation::PluginDescriptor* describe() {
  static const formation::PluginDescriptor descriptor{
      .abi = FORMATION_PLUGIN_ABI,
      .name = "example-echo",
      .kind = formation::PluginKind::extension,
      .version = "0.1.0",
      .description = "Adds GET /v1/echo; the template for third-party plugins",
      .parameters_schema = kParametersSchema,
      .depends_on = {},
      .create = &create,
  };
  return &descriptor;
}

}  // namespace

FORMATION_PLUGIN(describe)

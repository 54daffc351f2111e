// form version: this client's version and the server's.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <ostream>

#include "api_client.hpp"
#include "cli.hpp"
#include "formation/abi.hpp"
#include "output.hpp"

namespace form {
namespace {

int version(Context& context, const Args&) {
  const std::string client = FORMATION_VERSION;
  if (!context.json()) context.out() << "client  " << client << '\n' << std::flush;

  // Without a server the client line above still stands; the error says why (exit 3).
  Response response = context.api().call(Request::get("/v1/health"));
  rapidjson::Document doc;
  doc.Parse(response.body.c_str(), response.body.size());
  std::string server;
  if (!doc.HasParseError() && doc.IsObject() && doc.HasMember("version") &&
      doc["version"].IsString())
    server = doc["version"].GetString();
  if (server.empty())
    throw CliError(Exit::kApiError,
                   "the server at " + context.api().base_url() + " did not say its version");

  if (context.json()) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    w.StartObject();
    w.Key("client_version");
    w.String(client.c_str());
    w.Key("server_version");
    w.String(server.c_str());
    w.Key("api");
    w.String(context.api().base_url().c_str());
    w.EndObject();
    context.out() << buffer.GetString() << '\n';
  } else {
    context.out() << "server  " << server << " (" << context.api().base_url() << ")\n";
  }
  return 0;
}

const Registrar kVersion([] {
  Command c;
  c.name = "version";
  c.summary = "Show the version of form and of the formationd it talks to";
  c.usage =
      "version\n"
      "\n"
      "Prints the client version, then asks GET /v1/health for the server's.\n"
      "'form --version' prints the client version only, without contacting the API.";
  c.handler = version;
  return c;
}());

}  // namespace
}  // namespace form

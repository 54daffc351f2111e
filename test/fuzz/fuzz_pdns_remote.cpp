// Fuzz target for the PowerDNS remote-backend protocol: arbitrary bytes through
// RemoteProtocol::handle() over a fixed zone. Must never crash, and every reply must be a
// JSON object with a "result" member (pdns throws without one). The bytes also go through
// the protocol's fast name canonicaliser, which must agree with dns::normalise_name.
#include <rapidjson/document.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "dns_names.hpp"
#include "remote_protocol.hpp"
#include "tests/fixed_zone_view_for_tests.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace pdns = formation::dns_powerdns;
  static const pdns::testing::FixedZoneViewForTests view;
  static const auto log =
      std::make_shared<spdlog::logger>("fuzz", std::make_shared<spdlog::sinks::null_sink_mt>());
  static pdns::RemoteProtocol protocol(view, log);
  static std::string reply;

  const std::string_view input(reinterpret_cast<const char*>(data), size);
  protocol.handle(input, reply);
  rapidjson::Document doc;
  doc.Parse(reply.data(), reply.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("result")) std::abort();

  static std::string canonical;
  const auto expected = formation::dns::normalise_name(input);
  const bool ok = pdns::canonical_name(input, canonical);
  if (ok != expected.is_ok() || (ok && canonical != *expected)) std::abort();
  return 0;
}

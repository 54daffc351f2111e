#include "api/dns_record_input.hpp"

#include <arpa/inet.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "dns/dns_names.hpp"

namespace formation::host::api {
namespace {

constexpr std::string_view kFields = "type, values, instance_id, ttl";

// Up to 40 characters of outside text for a message, control bytes shown as '?'.
std::string shown(std::string_view text) {
  constexpr std::size_t kShown = 40;
  std::string out;
  for (char c : text.substr(0, kShown)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (text.size() > kShown) out += "...";
  return out;
}

// The standard text of an address (inet_ntop): "2001:DB8::1" and "2001:db8:0::1" are
// one AAAA value, so they must be stored as one.
std::optional<std::string> canonical_address(int family, const std::string& text) {
  std::array<unsigned char, 16> bytes{};
  if (::inet_pton(family, text.c_str(), bytes.data()) != 1) return std::nullopt;
  std::array<char, INET6_ADDRSTRLEN> out{};
  if (::inet_ntop(family, bytes.data(), out.data(), out.size()) == nullptr) return std::nullopt;
  return std::string(out.data());
}

Result<std::string> validate_value(DnsRecordType type, const std::string& value,
                                   std::size_t index) {
  const std::string where = "values[" + std::to_string(index) + "]";
  switch (type) {
    case DnsRecordType::a:
      if (value.find('\0') == std::string::npos) {
        if (auto a = canonical_address(AF_INET, value)) return *a;
      }
      return Status::invalid(where + ": '" + shown(value) +
                             "' is not an IPv4 address (A records hold addresses like 192.0.2.1)");
    case DnsRecordType::aaaa:
      if (value.find('\0') == std::string::npos) {
        if (auto a = canonical_address(AF_INET6, value)) return *a;
      }
      return Status::invalid(
          where + ": '" + shown(value) +
          "' is not an IPv6 address (AAAA records hold addresses like 2001:db8::1)");
    case DnsRecordType::cname: {
      auto name = dns::normalise_name(value);
      if (!name.is_ok()) return Status::invalid(where + ": " + name.status().message());
      return *name;
    }
    case DnsRecordType::txt:
      if (value.size() > kMaxTxtBytes) {
        return Status::invalid(where + ": a TXT string is " + std::to_string(value.size()) +
                               " bytes long; at most " + std::to_string(kMaxTxtBytes) +
                               " are allowed (split it into several values)");
      }
      // Printable ASCII only: what every resolver and zone tool shows the same way.
      for (char c : value) {
        if (c < 0x20 || c > 0x7e) {
          return Status::invalid(where + ": TXT strings may hold printable ASCII characters only");
        }
      }
      return value;
  }
  return Status::invalid(where + ": unknown record type");
}

}  // namespace

Result<std::string> resolve_record_name(std::string_view name, std::string_view zone) {
  if (name.find('.') == std::string_view::npos && !name.empty()) {
    return dns::normalise_name(std::string(name) + "." + std::string(zone));
  }
  return dns::normalise_name(name);
}

Result<DnsRecordType> parse_record_type(std::string_view text) {
  std::string upper(text);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (auto type = parse_dns_record_type(upper)) return *type;
  return Status::invalid("type: '" + shown(text) +
                         "' is not a record type Formation serves (expected A, AAAA, CNAME or "
                         "TXT)");
}

Result<std::vector<std::string>> validate_values(DnsRecordType type,
                                                 const std::vector<std::string>& values) {
  if (values.empty()) return Status::invalid("values: give at least one value");
  if (values.size() > kMaxDnsValues) {
    return Status::invalid("values: " + std::to_string(values.size()) + " given; at most " +
                           std::to_string(kMaxDnsValues) + " are allowed in one record");
  }
  if (type == DnsRecordType::cname && values.size() != 1) {
    return Status::invalid("values: a CNAME record holds exactly one name");
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    auto value = validate_value(type, values[i], i);
    if (!value.is_ok()) return value.status();
    if (std::find(out.begin(), out.end(), *value) == out.end()) out.push_back(*value);
  }
  return out;
}

Result<RecordInput> parse_record_input(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError()) {
    return Status::invalid("body: invalid JSON at offset " + std::to_string(doc.GetErrorOffset()) +
                           ": " + rapidjson::GetParseError_En(doc.GetParseError()));
  }
  if (!doc.IsObject()) return Status::invalid("body: must be a JSON object");
  RecordInput input;
  std::optional<std::string> type_text;
  std::optional<std::vector<std::string>> values;
  for (const auto& member : doc.GetObject()) {
    const std::string name(member.name.GetString(), member.name.GetStringLength());
    const auto& v = member.value;
    if (name == "type") {
      if (!v.IsString()) return Status::invalid("body: field 'type' must be a string");
      type_text = std::string(v.GetString(), v.GetStringLength());
    } else if (name == "values") {
      if (!v.IsArray()) return Status::invalid("body: field 'values' must be an array of strings");
      values.emplace();
      for (const auto& item : v.GetArray()) {
        if (!item.IsString()) {
          return Status::invalid("body: field 'values' must be an array of strings");
        }
        values->emplace_back(item.GetString(), item.GetStringLength());
      }
    } else if (name == "instance_id") {
      if (!v.IsString() || v.GetStringLength() == 0) {
        return Status::invalid("body: field 'instance_id' must be a non-empty string");
      }
      input.instance_id = std::string(v.GetString(), v.GetStringLength());
    } else if (name == "ttl") {
      if (!v.IsInt64()) return Status::invalid("body: field 'ttl' must be an integer");
      input.ttl = v.GetInt64();
      if (input.ttl < kMinDnsTtl || input.ttl > kMaxDnsTtl) {
        return Status::invalid("ttl: must be from " + std::to_string(kMinDnsTtl) + " to " +
                               std::to_string(kMaxDnsTtl) + " seconds");
      }
    } else {
      return Status::invalid("body: unknown field '" + shown(name) +
                             "' (expected one of: " + std::string(kFields) + ")");
    }
  }
  if (!type_text) return Status::invalid("body: field 'type' is required");
  auto type = parse_record_type(*type_text);
  if (!type.is_ok()) return type.status();
  input.type = *type;
  if (input.instance_id) {
    if (values) {
      return Status::invalid(
          "body: give either 'values' or 'instance_id', not both (instance_id: the name follows "
          "that instance's addresses)");
    }
    if (input.type != DnsRecordType::a && input.type != DnsRecordType::aaaa) {
      return Status::invalid("type: a record that follows an instance must be A or AAAA");
    }
    return input;
  }
  if (!values) {
    return Status::invalid(
        "body: give 'values' (the record's data) or 'instance_id' (the name "
        "follows that instance)");
  }
  auto checked = validate_values(input.type, *values);
  if (!checked.is_ok()) return checked.status();
  input.values = std::move(*checked);
  return input;
}

}  // namespace formation::host::api

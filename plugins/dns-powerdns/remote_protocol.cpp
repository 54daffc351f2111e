// The remote-backend protocol: parse one request, ask the ZoneView, write the reply.
//
// This runs for every DNS query pdns does not have cached, so it allocates nothing in the
// steady state: the request is parsed into a memory pool on a buffer the protocol owns
// (cleared, not freed, between requests), names are canonicalised into reused strings,
// and the reply is written straight into the caller's string. Reply shapes follow what
// pdns 4.7 reads (modules/remotebackend/remotebackend.cc): RemoteBackend::get() for
// records, parseDomainInfo() for zones, Connector::recv() for the mandatory "result".
#include "remote_protocol.hpp"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "dns_names.hpp"

namespace formation::dns_powerdns {
namespace {

constexpr std::string_view kFalseReply = R"({"result":false})";
constexpr std::string_view kTrueReply = R"({"result":true})";

// A typical request and its parse stack fit here; a larger one (up to kMaxRequestBytes)
// makes the pool take heap chunks, freed by the next request's Clear().
constexpr std::size_t kValueBufferBytes = std::size_t{16} * 1024;
constexpr std::size_t kStackBufferBytes = std::size_t{4} * 1024;

using Pool = rapidjson::MemoryPoolAllocator<rapidjson::CrtAllocator>;
using Document = rapidjson::GenericDocument<rapidjson::UTF8<>, Pool, Pool>;
using Value = Document::ValueType;

// Iterative parsing: a deeply nested request cannot exhaust the thread's stack.
constexpr unsigned kParseFlags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;

// A RapidJSON output stream that appends to a std::string the caller owns.
struct StringSink {
  using Ch = char;
  std::string* out = nullptr;
  void Put(char c) { out->push_back(c); }
  void Flush() {}
};
using Writer = rapidjson::Writer<StringSink>;

// "an array", "a number": for messages saying what was sent instead.
std::string_view type_name(const Value& value) {
  static constexpr std::array<std::string_view, 7> kNames = {
      "null", "a boolean", "a boolean", "an object", "an array", "a string", "a number"};
  return kNames.at(static_cast<std::size_t>(value.GetType()));
}

// pdns sends QType::toString(): "A", "SOA", "ANY", "TYPE65534"; upper-cased for the view.
bool canonical_qtype(std::string_view qtype, std::string& out) {
  constexpr std::size_t kLongestMnemonic = 16;
  out.clear();
  if (qtype.empty() || qtype.size() > kLongestMnemonic) return false;
  for (char c : qtype) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
    out.push_back(c);
  }
  return true;
}

// At most one warning a second per connection: a peer sending garbage in a loop must not
// turn into a disk-filling log. The next warning says how many were dropped.
class WarningLimiter {
 public:
  bool allow(std::size_t& suppressed) {
    const auto now = std::chrono::steady_clock::now();
    if (logged_ && now - last_ < std::chrono::seconds(1)) {
      ++suppressed_;
      return false;
    }
    logged_ = true;
    last_ = now;
    suppressed = std::exchange(suppressed_, 0);
    return true;
  }

 private:
  bool logged_ = false;
  std::chrono::steady_clock::time_point last_;
  std::size_t suppressed_ = 0;
};

// The member `key` of `object`, or nullptr (also when `object` is).
const Value* find_member(const Value* object, const char* key) {
  if (object == nullptr) return nullptr;
  auto it = object->FindMember(key);
  return it == object->MemberEnd() ? nullptr : &it->value;
}

// Reads the members of "parameters", remembering the first that is missing or mistyped.
class Params {
 public:
  Params(const Value* object, std::string_view method) : object_(object), method_(method) {}

  std::string_view string(const char* key, bool required) {
    const Value* value = find(key);
    if (value == nullptr) {
      if (required) fail(key, "is missing");
      return {};
    }
    if (!value->IsString()) {
      fail(key, "is not a string", value);
      return {};
    }
    return {value->GetString(), value->GetStringLength()};
  }
  void optional_number(const char* key) {
    const Value* value = find(key);
    if (value != nullptr && !value->IsNumber()) fail(key, "is not a number", value);
  }
  void optional_bool(const char* key) {
    const Value* value = find(key);
    if (value != nullptr && !value->IsBool()) fail(key, "is not a boolean", value);
  }

  [[nodiscard]] bool ok() const { return problem_ == nullptr; }
  // "lookup: parameter 'qname' is not a string (a number)"
  [[nodiscard]] std::string problem() const {
    return fmt::format("{}: parameter '{}' {}{}{}{}", method_, key_, problem_,
                       got_.empty() ? "" : " (", got_, got_.empty() ? "" : ")");
  }

 private:
  const Value* find(const char* key) const { return find_member(object_, key); }
  void fail(const char* key, const char* problem, const Value* got = nullptr) {
    if (problem_ != nullptr) return;
    key_ = key;
    problem_ = problem;
    if (got != nullptr) got_ = type_name(*got);
  }

  const Value* object_;
  std::string_view method_;
  const char* key_ = nullptr;
  const char* problem_ = nullptr;
  std::string_view got_;
};

}  // namespace

bool canonical_name(std::string_view name, std::string& out) {
  return dns::canonicalise(name, out);
}

struct RemoteProtocol::State {
  State(const ZoneView& zone_view, std::shared_ptr<spdlog::logger> logger)
      : view(zone_view), log(std::move(logger)), writer(sink) {}

  const ZoneView& view;
  std::shared_ptr<spdlog::logger> log;
  alignas(std::max_align_t) std::array<char, kValueBufferBytes> value_buffer{};
  alignas(std::max_align_t) std::array<char, kStackBufferBytes> stack_buffer{};
  Pool values{value_buffer.data(), value_buffer.size()};
  Pool stack{stack_buffer.data(), stack_buffer.size()};
  std::string name;          // the canonical qname / zone name of the request
  std::string qtype_buffer;  // upper case
  std::string dotted;        // a name as pdns wants it back, with the trailing dot
  std::vector<Answer> answers;
  std::vector<ZoneInfo> zones;
  StringSink sink;
  Writer writer;
  WarningLimiter limiter;

  template <typename... Args>
  void reject(std::string& reply, fmt::format_string<Args...> format, Args&&... args) {
    reply.assign(kFalseReply);
    std::size_t suppressed = 0;
    if (!limiter.allow(suppressed)) return;
    std::string what = fmt::format(format, std::forward<Args>(args)...);
    if (suppressed > 0) {
      log->warn(
          "answering false to a malformed PowerDNS remote-backend request: {} ({} more "
          "like it in the last second not logged)",
          what, suppressed);
    } else {
      log->warn("answering false to a malformed PowerDNS remote-backend request: {}", what);
    }
  }

  // Starts {"result": ... in `reply`; the caller writes the value and calls end_result().
  void begin_result(std::string& reply) {
    reply.clear();
    sink.out = &reply;
    writer.Reset(sink);
    writer.StartObject();
    writer.Key("result");
  }
  void end_result() { writer.EndObject(); }

  void write_name(std::string_view canonical) {
    dotted.assign(canonical);
    dotted.push_back('.');
    writer.String(dotted.data(), static_cast<rapidjson::SizeType>(dotted.size()));
  }
  void write_string(std::string_view text) {
    writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  }

  // Field names and types as RemoteBackend::get() reads them.
  void write_answers(std::string& reply) {
    begin_result(reply);
    writer.StartArray();
    for (const Answer& answer : answers) {
      writer.StartObject();
      writer.Key("qtype");
      write_string(answer.type);
      writer.Key("qname");
      write_name(answer.name);
      writer.Key("content");
      write_string(answer.content);
      writer.Key("ttl");
      writer.Int(static_cast<int>(
          std::clamp<std::int64_t>(answer.ttl, 0, std::numeric_limits<std::int32_t>::max())));
      writer.Key("domain_id");
      writer.Int(answer.zone_id);
      writer.Key("scopeMask");
      writer.Int(answer.scope_prefix);
      writer.Key("auth");
      writer.Int(1);
      writer.EndObject();
    }
    writer.EndArray();
    end_result();
  }

  // Field names and types as RemoteBackend::parseDomainInfo() reads them.
  void write_domain_info(const ZoneInfo& zone) {
    writer.StartObject();
    writer.Key("id");
    writer.Int(zone.id);
    writer.Key("zone");
    write_name(zone.name);
    writer.Key("serial");
    writer.Uint(zone.serial);
    writer.Key("notified_serial");
    writer.Uint(zone.serial);
    writer.Key("last_check");
    writer.Int(0);
    writer.Key("kind");
    writer.String("native");
    writer.Key("masters");
    writer.StartArray();
    writer.EndArray();
    writer.EndObject();
  }

  // The hot path: no logging unless the request is malformed.
  void lookup(Params& params, std::string& reply) {
    const std::string_view qname = params.string("qname", true);
    const std::string_view qtype = params.string("qtype", true);
    ClientInfo client;
    client.remote = params.string("remote", false);
    client.real_remote = params.string("real-remote", false);
    params.string("local", false);
    params.optional_number("zone-id");
    if (!params.ok()) return reject(reply, "{}", params.problem());
    if (!canonical_qtype(qtype, qtype_buffer)) {
      return reject(reply, "lookup: parameter 'qtype' is not a record type mnemonic");
    }
    // pdns asks for names no zone of ours can hold (the root, "*.zone" for wildcards): no data.
    if (!canonical_name(qname, name)) {
      reply.assign(kFalseReply);
      return;
    }
    answers.clear();
    view.lookup(name, qtype_buffer, client, answers);
    if (answers.empty()) {
      reply.assign(kFalseReply);
      return;
    }
    write_answers(reply);
  }
};

RemoteProtocol::RemoteProtocol(const ZoneView& view, std::shared_ptr<spdlog::logger> log)
    : state_(std::make_unique<State>(view, std::move(log))) {}

RemoteProtocol::~RemoteProtocol() = default;

void RemoteProtocol::handle(std::string_view request, std::string& reply) {
  State& s = *state_;
  try {
    if (request.size() > kMaxRequestBytes) {
      return s.reject(reply, "the request is {} bytes long; at most {} are accepted",
                      request.size(), kMaxRequestBytes);
    }
    s.values.Clear();
    s.stack.Clear();
    Document doc(&s.values, kStackBufferBytes / 2, &s.stack);
    doc.Parse<kParseFlags>(request.data(), request.size());
    if (doc.HasParseError()) {
      return s.reject(reply, "the request is not JSON: {} (at byte {})",
                      rapidjson::GetParseError_En(doc.GetParseError()), doc.GetErrorOffset());
    }
    if (!doc.IsObject()) {
      return s.reject(reply, "the request is {}, not a JSON object", type_name(doc));
    }
    const Value* method_value = find_member(&doc, "method");
    if (method_value == nullptr || !method_value->IsString()) {
      return s.reject(reply, "member 'method' is {}",
                      method_value == nullptr
                          ? std::string("missing")
                          : fmt::format("{}, not a string", type_name(*method_value)));
    }
    const std::string_view method(method_value->GetString(), method_value->GetStringLength());
    const Value* parameters = find_member(&doc, "parameters");
    if (parameters != nullptr && !parameters->IsObject()) {
      return s.reject(reply, "{}: member 'parameters' is {}, not an object", method,
                      type_name(*parameters));
    }
    Params params(parameters, method);

    if (method == "lookup") return s.lookup(params, reply);

    if (method == "initialize") {
      // pdns sends its connection-string options; nothing in them concerns us.
      s.log->debug("PowerDNS connected to the remote backend");
      reply.assign(kTrueReply);
      return;
    }

    if (method == "getAllDomains") {
      params.optional_bool("include_disabled");
      if (!params.ok()) return s.reject(reply, "{}", params.problem());
      s.zones.clear();
      s.view.zones(s.zones);
      s.begin_result(reply);
      s.writer.StartArray();
      for (const ZoneInfo& zone : s.zones) s.write_domain_info(zone);
      s.writer.EndArray();
      s.end_result();
      return;
    }

    if (method == "getDomainInfo" || method == "getAllDomainMetadata" ||
        method == "getDomainMetadata") {
      const std::string_view name = params.string("name", true);
      if (method == "getDomainMetadata") (void)params.string("kind", true);
      if (!params.ok()) return s.reject(reply, "{}", params.problem());
      ZoneInfo zone;
      // A name that is no valid DNS name (the root, a wildcard) is a zone we do not serve.
      if (!canonical_name(name, s.name) || !s.view.zone(s.name, zone)) {
        reply.assign(kFalseReply);
        return;
      }
      if (method == "getDomainInfo") {
        s.begin_result(reply);
        s.write_domain_info(zone);
        s.end_result();
      } else if (method == "getAllDomainMetadata") {
        reply.assign(R"({"result":{}})");  // a served zone has no metadata
      } else {
        reply.assign(R"({"result":[]})");
      }
      return;
    }

    if (method == "list") {
      const std::string_view zonename = params.string("zonename", true);
      params.optional_number("domain_id");
      params.optional_bool("include_disabled");
      if (!params.ok()) return s.reject(reply, "{}", params.problem());
      s.answers.clear();
      if (!canonical_name(zonename, s.name) || !s.view.list(s.name, s.answers) ||
          s.answers.empty()) {
        reply.assign(kFalseReply);
        return;
      }
      s.write_answers(reply);
      return;
    }

    if (method == "getUpdatedMasters" || method == "getUnfreshSlaveInfos") {
      // Every zone is native: none needs notifying or a transfer.
      reply.assign(R"({"result":[]})");
      return;
    }

    // pdns probes optional methods (DNSSEC keys, TSIG, updates): "no" is the answer.
    s.log->debug("PowerDNS called '{}', which this backend does not implement; answering false",
                 method);
    reply.assign(kFalseReply);
  } catch (const std::exception& e) {
    reply.assign(kFalseReply);
    s.log->error("answering false: handling a PowerDNS request failed: {}", e.what());
  } catch (...) {
    reply.assign(kFalseReply);
  }
}

}  // namespace formation::dns_powerdns

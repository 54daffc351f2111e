#include "config/schema_check.hpp"

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

#include <rapidjson/internal/regex.h>
#include <rapidjson/pointer.h>
#include <rapidjson/schema.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "config/json_file.hpp"

namespace formation::host {
namespace {

using rapidjson::Value;
using Pointer = rapidjson::SchemaDocument::PointerType;

constexpr std::size_t kMaxShownChars = 80;

// Compact JSON text of a value, shortened to about kMaxShownChars.
std::string json_text(const Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  std::string text(buffer.GetString(), buffer.GetSize());
  if (text.size() > kMaxShownChars) {
    std::size_t cut = kMaxShownChars;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text = text.substr(0, cut) + "...";
  }
  return text;
}

std::string quoted(std::string_view s) {
  Value v(rapidjson::StringRef(s.data(), static_cast<rapidjson::SizeType>(s.size())));
  return json_text(v);
}

std::string pointer_text(const Pointer& pointer) {
  if (!pointer.IsValid() || pointer.GetTokenCount() == 0) return "/";
  rapidjson::StringBuffer buffer;
  pointer.Stringify(buffer);
  return {buffer.GetString(), buffer.GetSize()};
}

std::string type_name(const Value& v) {
  if (v.IsNull()) return "null";
  if (v.IsBool()) return "boolean";
  if (v.IsObject()) return "object";
  if (v.IsArray()) return "array";
  if (v.IsString()) return "string";
  if (v.IsInt64() || v.IsUint64()) return "integer";
  return "number";
}

const Value* member(const Value* object, const char* name) {
  if (object == nullptr || !object->IsObject()) return nullptr;
  const auto it = object->FindMember(name);
  return it == object->MemberEnd() ? nullptr : &it->value;
}

bool flag(const Value* object, const char* name) {
  const Value* v = member(object, name);
  return v != nullptr && v->IsBool() && v->GetBool();
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += sep;
    out += item;
  }
  return out;
}

std::size_t code_points(const Value& s) {
  std::size_t n = 0;
  for (rapidjson::SizeType i = 0; i < s.GetStringLength(); ++i) {
    if ((static_cast<unsigned char>(s.GetString()[i]) & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::string got(const Value* value) { return value ? ", got " + json_text(*value) : ""; }

std::string shown(const Value* v) { return v ? json_text(*v) : std::string("?"); }

// "1 item", "3 items".
std::string count_of(const Value* bound, const char* unit) {
  const bool one = bound != nullptr && bound->IsUint64() && bound->GetUint64() == 1;
  return shown(bound) + " " + unit + (one ? "" : "s");
}

// The words for one violation: `keyword` is what the validator reports, `schema` the
// sub-schema it was checking, `value` the offending value.
std::string describe(std::string_view keyword, const Value* schema, const Value* value) {
  if (keyword == "type") {
    std::string expected = "?";
    if (const Value* t = member(schema, "type")) {
      if (t->IsString()) {
        expected = t->GetString();
      } else if (t->IsArray()) {
        std::vector<std::string> names;
        for (const auto& n : t->GetArray()) names.push_back(n.IsString() ? n.GetString() : "?");
        expected = join(names, " or ");
      }
    }
    return "expected type " + expected + (value ? ", got " + type_name(*value) : "");
  }
  if (keyword == "enum") {
    std::vector<std::string> options;
    if (const Value* e = member(schema, "enum"); e && e->IsArray()) {
      for (const auto& option : e->GetArray()) options.push_back(json_text(option));
    }
    return "expected one of " + join(options, ", ") + got(value);
  }
  if (keyword == "minimum") {
    const char* op = flag(schema, "exclusiveMinimum") ? "> " : ">= ";
    return "expected a value " + std::string(op) + shown(member(schema, "minimum")) + got(value);
  }
  if (keyword == "maximum") {
    const char* op = flag(schema, "exclusiveMaximum") ? "< " : "<= ";
    return "expected a value " + std::string(op) + shown(member(schema, "maximum")) + got(value);
  }
  if (keyword == "multipleOf") {
    return "expected a multiple of " + shown(member(schema, "multipleOf")) + got(value);
  }
  if (keyword == "minLength" || keyword == "maxLength") {
    const bool min = keyword == "minLength";
    std::string words = std::string("expected ") + (min ? "at least " : "at most ") +
                        count_of(member(schema, min ? "minLength" : "maxLength"), "character");
    if (value && value->IsString()) words += ", got " + std::to_string(code_points(*value));
    return words;
  }
  if (keyword == "pattern") {
    const Value* p = member(schema, "pattern");
    return "expected a string matching " + (p ? json_text(*p) : std::string("?")) + got(value);
  }
  if (keyword == "required") {
    if (const Value* r = member(schema, "required");
        r && r->IsArray() && value && value->IsObject()) {
      for (const auto& name : r->GetArray()) {
        if (name.IsString() && !value->HasMember(name)) {
          return "missing required key " + json_text(name);
        }
      }
    }
    return "missing a required key";
  }
  if (keyword == "minProperties" || keyword == "maxProperties") {
    const bool min = keyword == "minProperties";
    std::string words = std::string("expected ") + (min ? "at least " : "at most ") +
                        count_of(member(schema, min ? "minProperties" : "maxProperties"), "key");
    if (value && value->IsObject()) words += ", got " + std::to_string(value->MemberCount());
    return words;
  }
  if (keyword == "minItems" || keyword == "maxItems") {
    const bool min = keyword == "minItems";
    std::string words = std::string("expected ") + (min ? "at least " : "at most ") +
                        count_of(member(schema, min ? "minItems" : "maxItems"), "item");
    if (value && value->IsArray()) words += ", got " + std::to_string(value->Size());
    return words;
  }
  if (keyword == "items") {  // a tuple schema with "additionalItems": false
    const Value* items = member(schema, "items");
    return "expected at most " + std::to_string(items && items->IsArray() ? items->Size() : 0) +
           " items";
  }
  if (keyword == "uniqueItems")
    return "duplicate item " + (value ? json_text(*value) : "") + " (items must be unique)";
  if (keyword == "dependencies") {
    const Value* deps = member(schema, "dependencies");
    if (deps && deps->IsObject() && value && value->IsObject()) {
      for (const auto& dep : deps->GetObject()) {
        if (!value->HasMember(dep.name)) continue;
        if (dep.value.IsArray()) {
          for (const auto& needed : dep.value.GetArray()) {
            if (needed.IsString() && !value->HasMember(needed)) {
              return "key " + json_text(dep.name) + " requires key " + json_text(needed);
            }
          }
        }
      }
      for (const auto& dep : deps->GetObject()) {
        if (value->HasMember(dep.name) && dep.value.IsObject()) {
          return "key " + json_text(dep.name) +
                 " is present, so the object must match the schema under dependencies/" +
                 dep.name.GetString();
        }
      }
    }
    return "a dependency between keys is not met";
  }
  // These name no field; the schema's description is where its author says the rule.
  const Value* description = member(schema, "description");
  const std::string rule = description && description->IsString()
                               ? std::string(" (") + description->GetString() + ")"
                               : std::string();
  if (keyword == "allOf") return "does not match every schema listed under allOf" + rule;
  if (keyword == "anyOf") {
    const Value* list = member(schema, "anyOf");
    return "does not match any of the " +
           std::to_string(list && list->IsArray() ? list->Size() : 0) +
           " alternatives listed under anyOf" + rule;
  }
  if (keyword == "oneOf") {
    const Value* list = member(schema, "oneOf");
    return "must match exactly one of the " +
           std::to_string(list && list->IsArray() ? list->Size() : 0) +
           " alternatives listed under oneOf" + rule;
  }
  if (keyword == "not") return "matches the schema under \"not\", which it must not" + rule;
  if (keyword == "patternProperties") {
    return "does not match the schema for keys of this pattern (patternProperties)";
  }
  return "does not satisfy the schema keyword " + quoted(keyword);
}

// additionalProperties is reported with the unknown key as the last pointer token.
std::string unknown_key(std::string_view key, const Value* schema) {
  std::vector<std::string> allowed;
  if (const Value* props = member(schema, "properties"); props && props->IsObject()) {
    for (const auto& p : props->GetObject()) allowed.emplace_back(p.name.GetString());
  }
  if (const Value* pats = member(schema, "patternProperties"); pats && pats->IsObject()) {
    for (const auto& p : pats->GetObject()) {
      allowed.push_back("keys matching " + json_text(p.name));
    }
  }
  return "unknown key " + quoted(key) +
         (allowed.empty() ? " (no keys allowed)" : " (allowed: " + join(allowed, ", ") + ")");
}

// ---- compile_schema_text's checks -------------------------------------------------

class SchemaLint {
 public:
  explicit SchemaLint(const Value& root) : root_(root) {}

  // Empty when the schema is usable; else "<pointer>: <problem>".
  std::string check(const Value& s, const std::string& at) {
    if (!s.IsObject()) return where(at) + "a schema must be an object, got " + type_name(s);
    for (const auto& m : s.GetObject()) {
      const std::string key(m.name.GetString(), m.name.GetStringLength());
      const Value& v = m.value;
      const std::string here = at + "/" + escape(key);
      std::string err;
      if (key == "type") {
        err = check_type(v, here);
      } else if (key == "properties" || key == "patternProperties" || key == "definitions") {
        if (!v.IsObject()) return where(here) + "expected an object of schemas";
        for (const auto& p : v.GetObject()) {
          const std::string name(p.name.GetString(), p.name.GetStringLength());
          if (key == "patternProperties" && !regex_ok(name)) {
            return where(here) + "pattern " + json_text(p.name) + bad_regex;
          }
          err = check(p.value, here + "/" + escape(name));
          if (!err.empty()) break;
        }
      } else if (key == "additionalProperties" || key == "additionalItems") {
        if (!v.IsBool()) err = check(v, here);
      } else if (key == "items") {
        if (v.IsArray()) {
          for (rapidjson::SizeType i = 0; i < v.Size() && err.empty(); ++i) {
            err = check(v[i], here + "/" + std::to_string(i));
          }
        } else {
          err = check(v, here);
        }
      } else if (key == "allOf" || key == "anyOf" || key == "oneOf") {
        if (!v.IsArray() || v.Empty()) return where(here) + "expected a non-empty array of schemas";
        for (rapidjson::SizeType i = 0; i < v.Size() && err.empty(); ++i) {
          err = check(v[i], here + "/" + std::to_string(i));
        }
      } else if (key == "not") {
        err = check(v, here);
      } else if (key == "dependencies") {
        if (!v.IsObject()) return where(here) + "expected an object";
        for (const auto& d : v.GetObject()) {
          const std::string dhere = here + "/" + escape(d.name.GetString());
          if (d.value.IsArray()) {
            if (!all_strings(d.value)) return where(dhere) + "expected an array of key names";
          } else {
            err = check(d.value, dhere);
            if (!err.empty()) break;
          }
        }
      } else if (key == "required") {
        if (!v.IsArray() || !all_strings(v)) return where(here) + "expected an array of key names";
      } else if (key == "enum") {
        if (!v.IsArray() || v.Empty()) return where(here) + "expected a non-empty array";
      } else if (key == "minimum" || key == "maximum") {
        if (!v.IsNumber()) return where(here) + "expected a number";
      } else if (key == "multipleOf") {
        if (!v.IsNumber() || v.GetDouble() <= 0) return where(here) + "expected a number > 0";
      } else if (key == "exclusiveMinimum" || key == "exclusiveMaximum" || key == "uniqueItems") {
        if (!v.IsBool()) return where(here) + "expected a boolean";
      } else if (key == "minLength" || key == "maxLength" || key == "minItems" ||
                 key == "maxItems" || key == "minProperties" || key == "maxProperties") {
        if (!v.IsUint()) return where(here) + "expected a non-negative integer";
      } else if (key == "pattern") {
        if (!v.IsString()) return where(here) + "expected a string";
        if (!regex_ok(v.GetString())) return where(here) + "pattern " + json_text(v) + bad_regex;
      } else if (key == "$ref") {
        err = check_ref(v, here);
      }
      if (!err.empty()) return err;
    }
    return {};
  }

 private:
  static constexpr const char* bad_regex =
      " is not supported by RapidJSON's regex engine (it knows literals, ., [] classes, "
      "groups, |, ?, *, +, {n,m}, ^ and $; no \\d, \\w or \\s)";

  static std::string where(const std::string& at) { return (at.empty() ? "/" : at) + ": "; }

  static std::string escape(std::string_view token) {
    std::string out;
    for (char c : token) {
      if (c == '~') {
        out += "~0";
      } else if (c == '/') {
        out += "~1";
      } else {
        out += c;
      }
    }
    return out;
  }

  static bool all_strings(const Value& array) {
    return std::all_of(array.Begin(), array.End(), [](const Value& v) { return v.IsString(); });
  }

  static bool regex_ok(const char* pattern) {
    const rapidjson::internal::Regex regex(pattern);
    return regex.IsValid();
  }
  static bool regex_ok(const std::string& pattern) { return regex_ok(pattern.c_str()); }

  static std::string check_type(const Value& v, const std::string& here) {
    auto known = [](const Value& name) {
      static constexpr std::string_view kNames[] = {"null",   "boolean", "object", "array",
                                                    "number", "integer", "string"};
      return name.IsString() && std::find(std::begin(kNames), std::end(kNames),
                                          std::string_view(name.GetString())) != std::end(kNames);
    };
    if (v.IsString()) {
      if (!known(v)) return where(here) + "unknown type " + json_text(v);
      return {};
    }
    if (v.IsArray() && !v.Empty()) {
      for (const auto& n : v.GetArray()) {
        if (!known(n)) return where(here) + "unknown type " + json_text(n);
      }
      return {};
    }
    return where(here) + "expected a type name or a non-empty array of type names";
  }

  std::string check_ref(const Value& v, const std::string& here) {
    if (!v.IsString()) return where(here) + "expected a string";
    const std::string_view ref(v.GetString(), v.GetStringLength());
    if (!ref.starts_with("#")) {
      return where(here) + "only references inside this schema (\"#/...\") are supported, got " +
             json_text(v);
    }
    const rapidjson::Pointer pointer(ref.data() + 1, ref.size() - 1);
    if (!pointer.IsValid() || pointer.Get(root_) == nullptr) {
      return where(here) + "reference " + json_text(v) + " points to nothing in this schema";
    }
    return {};
  }

  const Value& root_;
};

}  // namespace

Status validate(const Value& instance, const Value& schema, const std::string& source) {
  const rapidjson::SchemaDocument schema_doc(schema);
  rapidjson::SchemaValidator validator(schema_doc);
  if (instance.Accept(validator) || validator.IsValid()) return Status::ok();

  const char* raw_keyword = validator.GetInvalidSchemaKeyword();
  const std::string_view keyword = raw_keyword ? raw_keyword : "";
  const Value* sub_schema = validator.GetInvalidSchemaPointer().Get(schema);
  const Pointer doc_pointer = validator.GetInvalidDocumentPointer();

  if (keyword == "additionalProperties" && doc_pointer.GetTokenCount() > 0) {
    const auto count = doc_pointer.GetTokenCount();
    const auto& last = doc_pointer.GetTokens()[count - 1];
    const Pointer parent(doc_pointer.GetTokens(), count - 1);
    return Status::invalid(source + ": " + pointer_text(parent) + ": " +
                           unknown_key(std::string_view(last.name, last.length), sub_schema));
  }
  const Value* value = doc_pointer.IsValid() ? doc_pointer.Get(instance) : nullptr;
  return Status::invalid(source + ": " + pointer_text(doc_pointer) + ": " +
                         describe(keyword, sub_schema, value));
}

Result<std::shared_ptr<const rapidjson::Document>> compile_schema_text(std::string_view json,
                                                                       const std::string& source) {
  auto parsed = parse_json(json, source);
  if (!parsed.is_ok()) return parsed.status();
  auto doc = std::make_shared<rapidjson::Document>(std::move(parsed).value());
  SchemaLint lint(*doc);
  if (std::string err = lint.check(*doc, ""); !err.empty()) {
    return Status::invalid(source + ": invalid JSON Schema: " + err);
  }
  return std::shared_ptr<const rapidjson::Document>(std::move(doc));
}

void apply_defaults(Value& instance, const Value& schema,
                    rapidjson::Document::AllocatorType& allocator) {
  if (!schema.IsObject()) return;
  if (instance.IsObject()) {
    const Value* props = member(&schema, "properties");
    if (props == nullptr || !props->IsObject()) return;
    for (const auto& prop : props->GetObject()) {
      if (!prop.value.IsObject()) continue;
      if (!instance.HasMember(prop.name)) {
        const Value* def = member(&prop.value, "default");
        if (def == nullptr) continue;
        instance.AddMember(Value(prop.name, allocator), Value(*def, allocator), allocator);
      }
      apply_defaults(instance[prop.name], prop.value, allocator);
    }
  } else if (instance.IsArray()) {
    const Value* items = member(&schema, "items");
    if (items == nullptr || !items->IsObject()) return;
    for (auto& element : instance.GetArray()) apply_defaults(element, *items, allocator);
  }
}

}  // namespace formation::host

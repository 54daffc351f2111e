#include "manifest.hpp"

#include <openssl/evp.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <array>
#include <fstream>
#include <memory>

namespace formation::cloudinit {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_string(Writer& w, std::string_view text) {
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

void write_file(Writer& w, const FileFacts& facts) {
  w.StartObject();
  w.Key("file");
  write_string(w, facts.file);
  w.Key("sha256");
  write_string(w, facts.sha256);
  w.Key("bytes");
  w.Int64(facts.bytes);
  w.EndObject();
}

}  // namespace

Result<FileFacts> file_facts(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::internal("cannot read " + path.string());
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return Status::internal("SHA-256 is not available");
  }
  FileFacts facts;
  facts.file = path.filename().string();
  std::array<char, 1 << 16> buffer{};
  while (in) {
    in.read(buffer.data(), buffer.size());
    auto n = in.gcount();
    if (n <= 0) break;
    EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<std::size_t>(n));
    facts.bytes += n;
  }
  if (in.bad()) return Status::internal("cannot read " + path.string());
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest.data(), &length);
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned int i = 0; i < length; ++i) {
    facts.sha256 += kHex[digest[i] >> 4];
    facts.sha256 += kHex[digest[i] & 15];
  }
  return facts;
}

Result<std::string> manifest_json(const ManifestInput& in) {
  const auto& f = *in.formfile;
  rapidjson::Document formfile_json;
  auto text = formfile::to_json(f);
  formfile_json.Parse(text.c_str(), text.size());
  if (formfile_json.HasParseError() || !formfile_json.IsObject()) {
    return Status::internal("formfile::to_json() did not give a JSON object");
  }

  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("build_id");
  write_string(w, in.build_id);
  w.Key("name");
  write_string(w, in.name);
  w.Key("owner");
  write_string(w, in.owner);
  w.Key("formfile");
  formfile_json.Accept(w);

  // The same resources object as the Formfile's JSON form, so the two never disagree.
  w.Key("resources");
  formfile_json["resources"].Accept(w);

  w.Key("ports");
  w.StartArray();
  for (int port : f.expose) w.Int(port);
  w.EndArray();

  w.Key("context");
  w.StartObject();
  w.Key("digest");
  write_string(w, in.context_digest);
  w.Key("bytes");
  w.Int64(in.context_bytes);
  w.Key("files");
  w.Int64(in.context_files);
  w.EndObject();

  w.Key("artifacts");
  w.StartObject();
  w.Key("seed_iso");
  write_file(w, in.seed_iso);
  w.Key("context_tarball");
  write_file(w, in.context_tarball);
  w.EndObject();

  w.Key("base_image");
  write_string(w, in.base_image);
  w.Key("builder");
  w.StartObject();
  w.Key("plugin");
  w.String("builder-cloudinit");
  w.Key("version");
  write_string(w, in.builder_version);
  w.EndObject();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace formation::cloudinit

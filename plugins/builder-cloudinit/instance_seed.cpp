#include "instance_seed.hpp"

#include <openssl/evp.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <system_error>

#include "build.hpp"
#include "seed_iso.hpp"
#include "user_data.hpp"

namespace formation::cloudinit {
namespace {

namespace fs = std::filesystem;

// Base64 bodies never hold a line starting with "--", so a fixed boundary cannot collide
// with a part's content.
constexpr std::string_view kBoundary = "==formation-instance-seed==";

// RFC 2045 base64: lines of at most 76 characters.
std::string base64_lines(std::string_view data) {
  std::string out;
  constexpr std::size_t kChunk = 57;  // 57 bytes encode to 76 characters
  for (std::size_t at = 0; at < data.size(); at += kChunk) {
    auto piece = data.substr(at, kChunk);
    std::string line(4 * ((piece.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(line.data()),
                            reinterpret_cast<const unsigned char*>(piece.data()),
                            static_cast<int>(piece.size()));
    line.resize(static_cast<std::size_t>(n));
    out += line;
    out += '\n';
  }
  return out;
}

void append_part(std::string& out, std::string_view filename, std::string_view body) {
  out += "--";
  out += kBoundary;
  out += "\nContent-Type: text/cloud-config; charset=\"utf-8\"\nMIME-Version: 1.0\n";
  out += "Content-Transfer-Encoding: base64\n";
  out += "Content-Disposition: attachment; filename=\"";
  out += filename;
  out += "\"\n\n";
  out += base64_lines(body);
  out += '\n';
}

bool valid_permissions(std::string_view p) {
  return (p.size() == 3 || p.size() == 4) &&
         std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '7'; });
}

Status check(const InstanceSeedRequest& request) {
  if (!valid_build_id(request.build_id)) {
    return Status::invalid("build id must be 16 to 128 lowercase hex digits");
  }
  if (request.output.empty() || !request.output.is_absolute()) {
    return Status::invalid("output must be an absolute path, not \"" + request.output.string() +
                           "\"");
  }
  for (std::size_t i = 0; i < request.files.size(); ++i) {
    const auto& file = request.files[i];
    const std::string where = "files[" + std::to_string(i) + "]";
    if (file.path.empty() || file.path.front() != '/') {
      return Status::invalid(where + ".path must be absolute, not \"" + file.path + "\"");
    }
    if (file.path.find('\0') != std::string::npos || file.path.find('\n') != std::string::npos) {
      return Status::invalid(where + ".path holds a NUL or newline character");
    }
    for (const auto& component : fs::path(file.path)) {
      if (component == "..") return Status::invalid(where + ".path must not contain \"..\"");
    }
    if (!valid_permissions(file.permissions)) {
      return Status::invalid(where + ".permissions must be 3 or 4 octal digits (\"0600\"), not \"" +
                             file.permissions + "\"");
    }
  }
  for (std::size_t i = 0; i < request.commands.size(); ++i) {
    if (request.commands[i].empty()) {
      return Status::invalid("commands[" + std::to_string(i) + "] is empty");
    }
  }
  return Status::ok();
}

Status read_text(const fs::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::internal("cannot read " + path.string());
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::internal("cannot read " + path.string());
  return Status::ok();
}

Status write_text(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) return Status::unavailable("cannot write " + path.string());
  return Status::ok();
}

// Removes the staging directory whatever happens after it was made.
struct Scratch {
  fs::path dir;
  Scratch() = default;
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() {
    std::error_code ec;
    if (!dir.empty()) fs::remove_all(dir, ec);
  }
};

}  // namespace

std::string instance_user_data(std::string_view build_user_data, const std::vector<SeedFile>& files,
                               const std::vector<std::string>& commands) {
  std::string out = "Content-Type: multipart/mixed; boundary=\"";
  out += kBoundary;
  out += "\"\nMIME-Version: 1.0\n\n";
  append_part(out, "build.cfg", build_user_data);
  append_part(out, "instance.cfg", instance_cloud_config(files, commands));
  out += "--";
  out += kBoundary;
  out += "--\n";
  return out;
}

Status write_instance_seed(const ArtifactStore& store, const InstanceSeedRequest& request) {
  if (auto st = check(request); !st.is_ok()) return st;
  const fs::path build = store.path_of(request.build_id);
  std::error_code ec;
  if (!fs::is_regular_file(build / "seed.iso", ec)) {
    return Status::not_found("build " + request.build_id + " has no artifacts");
  }
  const fs::path seed = build / "seed";
  if (!fs::is_regular_file(seed / "user-data", ec)) {
    return Status::not_found("build " + request.build_id +
                             " was made by a builder-cloudinit without instance seeds (its "
                             "artifacts have no seed/ directory); build it again");
  }

  const fs::path parent = request.output.parent_path();
  fs::create_directories(parent, ec);
  if (ec) return Status::unavailable("creating " + parent.string() + ": " + ec.message());
  Scratch scratch;
  std::string pattern = (parent / (request.output.filename().string() + ".tmp-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return Status::unavailable("creating a directory next to " + request.output.string() + ": " +
                               std::error_code(errno, std::generic_category()).message());
  }
  scratch.dir = pattern;

  std::string build_user_data;
  if (auto st = read_text(seed / "user-data", build_user_data); !st.is_ok()) return st;
  const std::vector<fs::path> files = {scratch.dir / "user-data", scratch.dir / "meta-data",
                                       scratch.dir / "network-config", build / "context.tar"};
  if (auto st = write_text(files[0],
                           instance_user_data(build_user_data, request.files, request.commands));
      !st.is_ok()) {
    return st;
  }
  for (const char* name : {"meta-data", "network-config"}) {
    fs::copy_file(seed / name, scratch.dir / name, ec);
    if (ec) return Status::internal("copying " + (seed / name).string() + ": " + ec.message());
  }
  const fs::path iso = scratch.dir / "seed.iso";
  if (auto st = write_seed_iso(files, iso); !st.is_ok()) return st;
  // The seed holds password hashes and the instance's secrets (its mesh join token).
  ::chmod(iso.c_str(), 0640);
  fs::rename(iso, request.output, ec);
  if (ec) {
    return Status::internal("moving the seed to " + request.output.string() + ": " + ec.message());
  }
  return Status::ok();
}

}  // namespace formation::cloudinit

// ImageBuilder conformance: what any builder must do with a tiny valid Formfile and
// context, with a broken Formfile, with rebuilds and with removals. It runs against a
// started builder with the operator's parameters; every build id is random and every
// build is removed at the end, so it may share an artifact directory with other runs.
#include <rapidjson/document.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "build_context.hpp"
#include "check_support.hpp"
#include "conformance.hpp"
#include "formation/kinds/image_builder.hpp"

namespace formation::conformance {
namespace {

namespace fs = std::filesystem;

// A scratch directory for contexts, archives and work dirs, removed with the suite.
class Scratch {
 public:
  Scratch()
      : root_(fs::temp_directory_path() / ("formation-builder-conformance-" + random_hex(12))) {
    fs::create_directories(root_);
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  // A request for `formfile` (packed with a one-file context by build_context's packer),
  // with a fresh, empty work dir.
  Result<BuildRequest> request(const std::string& build_id, const std::string& name,
                               const std::string& formfile, const ContextLimits& limits) {
    auto dir = root_ / ("run-" + std::to_string(++runs_));
    fs::create_directories(dir / "context/app");
    fs::create_directories(dir / "work");
    std::ofstream(dir / "context/Formfile") << formfile;
    std::ofstream(dir / "context/app/hello.txt") << "hello " << build_id << "\n";
    auto packed = build_context::pack_directory(dir / "context", dir / "context.tar.gz", limits);
    if (!packed.is_ok()) return packed.status();
    BuildRequest r;
    r.build_id = build_id;
    r.owner = "0x" + random_hex(40);
    r.name = name;
    r.formfile_text = formfile;
    r.context_archive = dir / "context.tar.gz";
    r.work_dir = dir / "work";
    return r;
  }

 private:
  fs::path root_;
  int runs_ = 0;
};

std::string tiny_formfile(const std::string& name, const std::string& description) {
  return "NAME " + name + "\nDESCRIPTION " + description +
         "\nUSER username:conformance passwd:conformance-Secret-9\n"
         "COPY app /app\nWORKDIR /app\nRUN cat hello.txt\n";
}

bool file_exists(const fs::path& p) {
  std::error_code ec;
  return !p.empty() && fs::exists(p, ec);
}

struct Built {
  Result<BuildArtifacts> result = Status::internal("not built");
  std::vector<int> progress;
};

Built build(ImageBuilder& builder, Scratch& scratch, const std::string& id,
            const std::string& formfile, const std::string& name) {
  Built built;
  auto request = scratch.request(id, name, formfile, builder.limits().context);
  if (!request.is_ok()) {
    built.result = request.status();
    return built;
  }
  built.result = builder.build(
      *request, [&](int percent, std::string_view) { built.progress.push_back(percent); });
  return built;
}

std::vector<CheckResult> image_builder_suite_impl(ImageBuilder& builder) {
  std::vector<CheckResult> out;
  Scratch scratch;
  std::vector<std::string> ids;
  auto new_id = [&] {
    ids.push_back(random_hex(64));
    return ids.back();
  };

  run_check(out, "limits() lie inside the spec's ranges", [&]() -> std::string {
    auto l = builder.limits();
    const auto& n = l.network;
    if (n.vcpus.min < 1 || n.vcpus.max > 128 || n.vcpus.min > n.vcpus.max) return "vcpus";
    if (n.memory_mb.min < 512 || n.memory_mb.max > 256000 || n.memory_mb.min > n.memory_mb.max)
      return "memory_mb";
    if (n.disk_gb.min < 5 || n.disk_gb.max > 65535 || n.disk_gb.min > n.disk_gb.max)
      return "disk_gb";
    if (n.max_gpus < 0 || n.max_gpus > 8) return "max_gpus";
    if (l.context.max_bytes <= 0 || l.context.max_files <= 0) return "context limits";
    return {};
  });

  const std::string name = "conformance-" + random_hex(8);
  const std::string id = new_id();
  Built first;
  run_check(out, "a tiny valid Formfile builds: artifacts exist, the manifest is JSON",
            [&]() -> std::string {
              first = build(builder, scratch, id, tiny_formfile(name, "first"), name);
              if (!first.result.is_ok()) return first.result.status().to_string();
              const auto& a = first.result.value();
              if (!file_exists(a.seed_iso)) return "seed_iso " + a.seed_iso.string() + " missing";
              if (!file_exists(a.context_tarball)) return "context_tarball missing";
              rapidjson::Document doc;
              doc.Parse(a.manifest_json.c_str(), a.manifest_json.size());
              if (doc.HasParseError() || !doc.IsObject()) return "manifest is not a JSON object";
              if (a.manifest_json.find("conformance-Secret-9") != std::string::npos) {
                return "the manifest holds the plaintext password";
              }
              if (a.vcpus != 1 || a.memory_mb != 512 || a.disk_gb != 5) {
                return "resources are not the Formfile's defaults (1, 512, 5)";
              }
              return {};
            });

  run_check(out, "progress never decreases and ends at 100", [&]() -> std::string {
    const auto& p = first.progress;
    if (!first.result.is_ok()) return "the build failed";
    if (p.empty()) return "no progress reported";
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (p[i] < 0 || p[i] > 100) return "progress " + std::to_string(p[i]) + " out of 0..100";
      if (i > 0 && p[i] < p[i - 1]) return "progress went back to " + std::to_string(p[i]);
    }
    if (p.back() != 100) return "last progress is " + std::to_string(p.back());
    return {};
  });

  run_check(out,
            "a Formfile with a syntax error is invalid, with its line, and keeps the "
            "previous build",
            [&]() -> std::string {
              auto bad =
                  build(builder, scratch, id, tiny_formfile(name, "broken") + "VCPU two\n", name);
              if (bad.result.is_ok()) return "the build succeeded";
              if (bad.result.status().code() != StatusCode::invalid) {
                return "expected invalid, got " + bad.result.status().to_string();
              }
              if (bad.result.status().message().find("Formfile:7:") == std::string::npos) {
                return "message does not name Formfile:7: " + bad.result.status().message();
              }
              if (first.result.is_ok() && !file_exists(first.result.value().seed_iso)) {
                return "the failed rebuild removed the previous build's seed ISO";
              }
              return {};
            });

  run_check(out, "building the same id again replaces the artifacts", [&]() -> std::string {
    auto second = build(builder, scratch, id, tiny_formfile(name, "second"), name);
    if (!second.result.is_ok()) return second.result.status().to_string();
    const auto& a = second.result.value();
    if (!file_exists(a.seed_iso) || !file_exists(a.context_tarball)) return "artifacts missing";
    if (a.manifest_json.find("second") == std::string::npos) {
      return "the manifest does not reflect the second Formfile";
    }
    if (first.result.is_ok()) {
      const auto& old = first.result.value();
      if (old.seed_iso != a.seed_iso && file_exists(old.seed_iso)) {
        return "the first build's seed ISO is still there beside the second's";
      }
    }
    first = std::move(second);
    return {};
  });

  run_check(out, "remove() deletes the artifacts and is idempotent", [&]() -> std::string {
    auto removed = builder.remove(id);
    if (!removed.is_ok()) return "remove: " + removed.to_string();
    if (first.result.is_ok() && file_exists(first.result.value().seed_iso)) {
      return "seed ISO still exists after remove()";
    }
    auto again = builder.remove(id);
    if (!again.is_ok()) return "second remove: " + again.to_string();
    auto never = builder.remove(new_id());
    if (!never.is_ok()) return "remove of an id never built: " + never.to_string();
    return {};
  });

  for (const auto& each : ids) (void)builder.remove(each);
  return out;
}

}  // namespace

std::vector<CheckResult> image_builder_suite(Subject& s) {
  return image_builder_suite_impl(static_cast<ImageBuilder&>(s.plugin));
}

}  // namespace formation::conformance

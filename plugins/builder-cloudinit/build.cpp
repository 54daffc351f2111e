#include "build.hpp"

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "build_context.hpp"
#include "context_tarball.hpp"
#include "formfile.hpp"
#include "manifest.hpp"
#include "password_hash.hpp"
#include "seed_iso.hpp"
#include "user_data.hpp"

namespace formation::cloudinit {
namespace {

namespace fs = std::filesystem;

// Keeps the reported percentage from going backwards whatever the steps say.
class Progress {
 public:
  explicit Progress(const ProgressCallback& callback) : callback_(callback) {}
  void operator()(int percent, std::string_view message) {
    last_ = std::clamp(std::max(percent, last_), 0, 100);
    if (callback_) callback_(last_, message);
  }

 private:
  const ProgressCallback& callback_;
  int last_ = 0;
};

Status invalid_from(const std::vector<formfile::Diagnostic>& diagnostics) {
  std::string message;
  for (const auto& d : diagnostics) {
    if (!message.empty()) message += '\n';
    message += formfile::format(d);
  }
  return Status::invalid(message);
}

Status write_text(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) return Status::unavailable("cannot write " + path.string());
  return Status::ok();
}

// The guest never receives the Formfile (it holds passwords): a COPY of it would fail in
// the guest, so it fails here instead, at its line.
std::vector<formfile::Diagnostic> copies_of_formfile(const formfile::Formfile& f) {
  std::vector<formfile::Diagnostic> out;
  for (const auto& step : f.steps) {
    if (step.kind == formfile::Step::Kind::copy && step.src == "Formfile") {
      out.push_back({step.at,
                     "COPY Formfile: the Formfile is not shipped to the guest (it "
                     "holds passwords); copy the files it names instead"});
    }
  }
  return out;
}

}  // namespace

bool valid_build_id(std::string_view id) {
  return id.size() >= 16 && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

Result<BuildArtifacts> run_build(const Settings& settings, ArtifactStore& store,
                                 const BuildRequest& request, const ProgressCallback& callback) {
  Progress progress(callback);
  progress(0, "parsing the Formfile");
  if (!valid_build_id(request.build_id)) {
    return Status::invalid("build id must be 16 to 128 lowercase hex digits");
  }
  auto parsed = formfile::parse(request.formfile_text);
  if (!parsed.ok()) return invalid_from(parsed.errors);
  const auto& f = parsed.formfile;
  if (auto limits = formfile::check_network_limits(f, settings.limits.network); !limits.empty()) {
    return invalid_from(limits);
  }
  if (auto copies = copies_of_formfile(f); !copies.empty()) return invalid_from(copies);
  const std::string name =
      request.name.empty() ? formfile::effective_name(f, request.formfile_text) : request.name;

  progress(5, "reading the build context");
  std::error_code ec;
  fs::create_directories(request.work_dir / "seed", ec);
  if (ec) return Status::unavailable("creating " + request.work_dir.string() + ": " + ec.message());
  const fs::path normalised = request.work_dir / "upload.tar";
  auto context =
      build_context::read_context(request.context_archive, settings.limits.context, normalised);
  if (!context.is_ok()) return context.status();
  if (auto missing = build_context::check_copy_sources(f, *context); !missing.empty()) {
    return invalid_from(missing);
  }
  progress(35, "preparing the context for the guest");
  const fs::path guest_context = request.work_dir / "context.tar";
  if (auto st = write_guest_context(normalised, guest_context); !st.is_ok()) return st;
  fs::remove(normalised, ec);

  progress(50, "hashing passwords");
  std::vector<std::string> hashes;
  for (const auto& user : f.users) {
    auto hash = hash_password(user.password);
    if (!hash.is_ok()) return hash.status();
    hashes.push_back(std::move(hash).value());
  }
  progress(55, "generating the cloud-init seed");
  const fs::path seed = request.work_dir / "seed";
  const std::vector<fs::path> seed_files = {seed / "user-data", seed / "meta-data",
                                            seed / "network-config", guest_context};
  for (auto st : {write_text(seed_files[0], user_data(f, name, hashes)),
                  write_text(seed_files[1], meta_data(request.build_id, name)),
                  write_text(seed_files[2], network_config())}) {
    if (!st.is_ok()) return st;
  }

  progress(60, "writing the seed ISO");
  const fs::path iso = request.work_dir / "seed.iso";
  if (auto st = write_seed_iso(seed_files, iso); !st.is_ok()) return st;

  progress(85, "writing the manifest");
  auto iso_facts = file_facts(iso);
  if (!iso_facts.is_ok()) return iso_facts.status();
  auto tar_facts = file_facts(guest_context);
  if (!tar_facts.is_ok()) return tar_facts.status();
  ManifestInput input{.build_id = request.build_id,
                      .name = name,
                      .owner = request.owner,
                      .formfile = &f,
                      .context_digest = "sha256:" + context->digest,
                      .context_bytes = context->total_bytes,
                      .context_files = context->file_count,
                      .seed_iso = *iso_facts,
                      .context_tarball = *tar_facts,
                      .base_image = settings.base_image.string(),
                      .builder_version = kVersion};
  auto manifest = manifest_json(input);
  if (!manifest.is_ok()) return manifest.status();
  const fs::path manifest_file = request.work_dir / "manifest.json";
  if (auto st = write_text(manifest_file, *manifest); !st.is_ok()) return st;

  progress(90, "publishing the artifacts");
  // The seed's files are kept beside the ISO: instance_seed() makes each instance's ISO
  // from them without reading the ISO back. A copy, so that the work dir still shows the
  // host (and the tests) what went into the ISO.
  const fs::path kept_seed = request.work_dir / "published" / "seed";
  fs::create_directories(kept_seed, ec);
  for (std::size_t i = 0; i < 3 && !ec; ++i) {
    fs::copy_file(seed_files[i], kept_seed / seed_files[i].filename(), ec);
  }
  if (ec) return Status::unavailable("copying the seed: " + ec.message());
  auto published = store.publish(request.build_id, {iso, guest_context, manifest_file, kept_seed});
  if (!published.is_ok()) return published.status();

  BuildArtifacts artifacts;
  artifacts.manifest_json = std::move(manifest).value();
  artifacts.seed_iso = *published / "seed.iso";
  artifacts.context_tarball = *published / "context.tar";
  artifacts.base_image = settings.base_image;
  artifacts.disk_gb = f.disk_gb;
  artifacts.vcpus = f.vcpus;
  artifacts.memory_mb = f.memory_mb;
  progress(100, "done");
  return artifacts;
}

}  // namespace formation::cloudinit

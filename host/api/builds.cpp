#include "api/builds.hpp"

#include <fstream>
#include <memory>
#include <system_error>
#include <utility>

#include "api/api_support.hpp"
#include "api/operations.hpp"
#include "build_context.hpp"
#include "build_id.hpp"
#include "formfile.hpp"

namespace formation::host::api {
namespace {

namespace fs = std::filesystem;

// A tar archive carries a 512-byte header per entry and pads data to 512 bytes, on top of
// the unpacked bytes the builder's cap counts; a compressed upload is smaller still.
std::size_t max_upload_bytes(const ContextLimits& limits) {
  constexpr std::int64_t kPerEntry = 2048;  // header, pax extension and padding
  constexpr std::int64_t kSlack = 1 << 20;
  return static_cast<std::size_t>(limits.max_bytes + limits.max_files * kPerEntry + kSlack);
}

bool is_build_id(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

void write_build(JsonWriter& w, const Build& b) {
  w.StartObject();
  put_string(w, "build_id", b.build_id);
  put_string(w, "name", b.name);
  put_string(w, "owner", b.owner);
  put_string(w, "state", to_string(b.state));
  w.Key("reason");
  if (b.reason.empty()) {
    w.Null();
  } else {
    w.String(b.reason.c_str(), static_cast<rapidjson::SizeType>(b.reason.size()));
  }
  // The manifest lists the artifacts by file name, size and digest; host paths stay private.
  w.Key("manifest");
  if (b.manifest_json.empty()) {
    w.Null();
  } else {
    w.RawValue(b.manifest_json.c_str(), b.manifest_json.size(), rapidjson::kObjectType);
  }
  put_string(w, "node_id", b.node_id);
  put_string(w, "created_at", rfc3339(b.created_at));
  put_string(w, "updated_at", rfc3339(b.updated_at));
  w.EndObject();
}

std::string build_json(const Build& b) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  write_build(w, b);
  return buffer.GetString();
}

std::string event_payload(const Build& b, const std::string& operation_id) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  put_string(w, "build_id", b.build_id);
  put_string(w, "owner", b.owner);
  put_string(w, "name", b.name);
  put_string(w, "operation_id", operation_id);
  put_string(w, "state", to_string(b.state));
  if (!b.reason.empty()) put_string(w, "reason", b.reason);
  w.EndObject();
  return buffer.GetString();
}

std::string join_diagnostics(const std::vector<formfile::Diagnostic>& diagnostics) {
  std::string out;
  for (const auto& d : diagnostics) {
    if (!out.empty()) out += '\n';
    out += formfile::format(d);
  }
  return out;
}

// The scratch folder of one upload; removed when the object goes unless kept.
class WorkDir {
 public:
  explicit WorkDir(fs::path path) : path_(std::move(path)) {}
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  ~WorkDir() { remove(); }
  void remove() {
    std::error_code ignored;
    if (!path_.empty()) fs::remove_all(path_, ignored);
    path_.clear();
  }
  [[nodiscard]] const fs::path& path() const { return path_; }
  // Hands the folder over to whoever removes it later.
  void release() { path_.clear(); }

 private:
  fs::path path_;
};

Status write_file(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return Status::unavailable("cannot write the upload to " + path.string());
  return Status::ok();
}

// What the synchronous part of POST /v1/builds learned about the upload.
struct Accepted {
  std::string formfile_text;
  std::string name;
  std::string build_id;
};

Result<Accepted> check_upload(ImageBuilder& builder, const fs::path& archive,
                              const std::string& owner) {
  const BuildLimits limits = builder.limits();
  auto index = build_context::read_context(archive, limits.context);
  if (!index.is_ok()) return index.status();
  auto parsed = formfile::parse(index->formfile_text);
  if (!parsed.ok()) return Status::invalid(join_diagnostics(parsed.errors));
  auto problems = formfile::check_network_limits(parsed.formfile, limits.network);
  auto missing = build_context::check_copy_sources(parsed.formfile, *index);
  problems.insert(problems.end(), missing.begin(), missing.end());
  if (!problems.empty()) return Status::invalid(join_diagnostics(problems));
  Accepted accepted;
  accepted.name = formfile::effective_name(parsed.formfile, index->formfile_text);
  auto id = formfile::build_id(owner, accepted.name);
  if (!id.is_ok()) return id.status();
  accepted.build_id = *id;
  accepted.formfile_text = std::move(index->formfile_text);
  return accepted;
}

// Records the Build (a rebuild reuses the row) and its Operation in one transaction.
Result<Operation> record_start(const BuildsContext& ctx, const Accepted& a,
                               const std::string& owner) {
  auto tx = begin(ctx.api);
  if (!tx.is_ok()) return tx.status();
  auto existing = (*tx)->builds().get(a.build_id);
  if (!existing.is_ok() && existing.status().code() != StatusCode::not_found) {
    return existing.status();
  }
  Build build;
  if (existing.is_ok()) {
    if (existing->state == BuildState::building) {
      return Status::conflict("build " + a.name + " (" + a.build_id +
                              ") is already in progress; wait for it to finish, then rebuild");
    }
    build = *existing;
  }
  build.build_id = a.build_id;
  build.owner = owner;
  build.name = a.name;
  build.state = BuildState::building;
  build.reason.clear();
  build.node_id = ctx.node_id;
  auto stored = existing.is_ok() ? (*tx)->builds().update(build) : (*tx)->builds().create(build);
  if (!stored.is_ok()) {
    if (stored.status().code() == StatusCode::conflict) {
      return Status::conflict("build " + a.name + " was started by another request just now");
    }
    return stored.status();
  }
  Operation op;
  op.id = new_operation_id();
  op.kind = "build";
  op.target_id = a.build_id;
  op.owner = owner;
  op.state = OperationState::pending;
  op.message = "queued";
  auto created = (*tx)->operations().create(op);
  if (!created.is_ok()) return created.status();
  if (auto st = (*tx)->commit(); !st.is_ok()) return st;
  return created;
}

// Moves the operation on; a failure to record progress must not fail the build itself.
void update_operation(const ApiContext& api, const std::string& id,
                      const std::function<void(Operation&)>& change) {
  auto tx = begin(api);
  if (!tx.is_ok()) return;
  auto op = (*tx)->operations().get(id);
  if (!op.is_ok()) return;
  change(*op);
  if ((*tx)->operations().update(*op).is_ok()) (void)(*tx)->commit();
}

Result<Build> finish_build(const ApiContext& api, const std::string& build_id,
                           const Result<BuildArtifacts>& outcome) {
  auto tx = begin(api);
  if (!tx.is_ok()) return tx.status();
  auto build = (*tx)->builds().get(build_id);
  if (!build.is_ok()) return build.status();
  if (outcome.is_ok()) {
    build->state = BuildState::built;
    build->reason.clear();
    build->manifest_json = outcome->manifest_json;
    build->artifacts = {outcome->seed_iso.string(), outcome->context_tarball.string(),
                        outcome->base_image.string()};
  } else {
    build->state = BuildState::failed;
    build->reason = outcome.status().message();
  }
  auto updated = (*tx)->builds().update(*build);
  if (!updated.is_ok()) return updated.status();
  if (auto st = (*tx)->commit(); !st.is_ok()) return st;
  return updated;
}

// The slow part, on the blocking pool after the 202.
void run_build(const BuildsContext& ctx, ImageBuilder& builder, BuildRequest request,
               const std::string& operation_id) {
  WorkDir scratch(request.work_dir.parent_path());
  update_operation(ctx.api, operation_id, [](Operation& op) {
    op.state = OperationState::running;
    op.message = "building";
  });
  int last_percent = -1;
  ProgressCallback progress = [&](int percent, std::string_view message) {
    if (percent <= last_percent) return;
    last_percent = percent;
    update_operation(ctx.api, operation_id, [&](Operation& op) {
      op.progress = std::min(percent, 99);  // 100 only once the record says Built
      op.message = std::string(message);
    });
  };
  Result<BuildArtifacts> outcome = Status::internal("the builder did not run");
  try {
    outcome = builder.build(request, progress);
  } catch (const std::exception& e) {
    outcome = Status::internal(std::string("the builder threw: ") + e.what());
  }
  scratch.remove();  // before anyone is told the build is over
  auto build = finish_build(ctx.api, request.build_id, outcome);
  update_operation(ctx.api, operation_id, [&](Operation& op) {
    if (outcome.is_ok() && build.is_ok()) {
      op.state = OperationState::succeeded;
      op.progress = 100;
      op.message = "built";
      op.result_json = build_json(*build);
    } else {
      const Status& failure = outcome.is_ok() ? build.status() : outcome.status();
      op.state = OperationState::failed;
      op.message = "failed";
      op.error_code = failure.code();
      op.error_message = failure.message();
    }
  });
  if (build.is_ok() && ctx.publish) {
    const bool ok = build->state == BuildState::built;
    ctx.publish(Event{ok ? "build.succeeded" : "build.failed", event_payload(*build, operation_id),
                      "host"});
  }
}

Result<HttpResponse> create_build(const BuildsContext& ctx, const HttpRequest& request) {
  ImageBuilder* builder = ctx.builder ? ctx.builder() : nullptr;
  if (builder == nullptr) {
    return Status::unsupported(
        "no image builder plugin is enabled on this node (enable builder-cloudinit in "
        "plugins.d/)");
  }
  if (request.body.empty()) {
    return Status::invalid(
        "body: expected the build context as a tar archive with the Formfile at its root "
        "(`form pack build DIR` makes one)");
  }
  const std::string& owner = caller_of(request);
  auto upload_dir = ctx.work_root / new_operation_id();
  std::error_code ec;
  fs::create_directories(upload_dir / "work", ec);
  if (ec) return Status::unavailable("cannot create " + upload_dir.string() + ": " + ec.message());
  WorkDir scratch(upload_dir);
  const fs::path archive = upload_dir / "context.upload";
  if (auto st = write_file(archive, request.body); !st.is_ok()) return st;

  auto accepted = check_upload(*builder, archive, owner);
  if (!accepted.is_ok()) return accepted.status();
  auto op = record_start(ctx, *accepted, owner);
  if (!op.is_ok()) return op.status();

  BuildRequest build_request{accepted->build_id,      owner,   accepted->name,
                             accepted->formfile_text, archive, upload_dir / "work"};
  if (ctx.publish) {
    Build started;
    started.build_id = accepted->build_id;
    started.owner = owner;
    started.name = accepted->name;
    ctx.publish(Event{"build.started", event_payload(started, op->id), "host"});
  }
  // The job owns the scratch folder from here on (run_build removes it).
  scratch.release();
  ctx.run_later([&ctx, builder, build_request = std::move(build_request), id = op->id] {
    run_build(ctx, *builder, build_request, id);
  });
  auto response = json_response(202, [&](JsonWriter& w) {
    w.StartObject();
    put_string(w, "build_id", accepted->build_id);
    put_string(w, "name", accepted->name);
    w.Key("operation");
    write_operation(w, *op);
    w.EndObject();
  });
  response.headers.emplace_back("Location", "/v1/operations/" + op->id);
  return response;
}

Result<HttpResponse> get_build(const BuildsContext& ctx, const HttpRequest& request) {
  std::string id(request.path_param("build_id"));
  if (!is_build_id(id)) {
    return Status::invalid("build_id: expected 64 lower-case hex digits, got '" + id + "'");
  }
  auto tx = begin(ctx.api);
  if (!tx.is_ok()) return tx.status();
  auto build = (*tx)->builds().get(id);
  const auto& caller = caller_of(request);
  if ((!build.is_ok() && build.status().code() == StatusCode::not_found) ||
      (build.is_ok() && build->owner != caller && !is_admin(ctx.api, caller))) {
    return Status::not_found("no build " + id);
  }
  if (!build.is_ok()) return build.status();
  return json_response(200, [&](JsonWriter& w) { write_build(w, *build); });
}

Result<HttpResponse> list_builds(const BuildsContext& ctx, const HttpRequest& request) {
  auto page = page_request(request.query);
  if (!page.is_ok()) return page.status();
  auto tx = begin(ctx.api);
  if (!tx.is_ok()) return tx.status();
  auto builds = (*tx)->builds().list(caller_of(request), *page);
  if (!builds.is_ok()) return builds.status();
  return json_response(200, [&](JsonWriter& w) {
    w.StartObject();
    w.Key("builds");
    w.StartArray();
    for (const auto& b : builds->items) write_build(w, b);
    w.EndArray();
    put_string(w, "next_page_token", builds->next_page_token);
    w.EndObject();
  });
}

}  // namespace

Status add_build_routes(Router& router, BuildsContext context) {
  auto shared = std::make_shared<const BuildsContext>(std::move(context));
  ImageBuilder* builder = shared->builder ? shared->builder() : nullptr;
  const BuildLimits limits = builder != nullptr ? builder->limits() : BuildLimits{};
  const RouteEntry<BuildsContext> routes[] = {
      {"POST", "/v1/builds", &create_build, max_upload_bytes(limits.context)},
      {"GET", "/v1/builds", &list_builds},
      {"GET", "/v1/builds/{build_id}", &get_build},
  };
  return add_routes(router, shared, routes);
}

Status recover_interrupted_builds(StateStore& store, const std::string& node_id) {
  auto tx = store.begin();
  if (!tx.is_ok()) return tx.status();
  PageRequest page;
  page.limit = 1000;
  const std::string reason = "interrupted: formationd stopped during the build; build again";
  do {
    auto builds = (*tx)->builds().list(std::nullopt, page);
    if (!builds.is_ok()) return builds.status();
    for (auto b : builds->items) {
      if (b.state != BuildState::building || b.node_id != node_id) continue;
      b.state = BuildState::failed;
      b.reason = reason;
      if (auto st = (*tx)->builds().update(b); !st.is_ok()) return st.status();
      OperationFilter filter;
      filter.target_id = b.build_id;
      auto ops = (*tx)->operations().list(filter, PageRequest{1000, ""});
      if (!ops.is_ok()) return ops.status();
      for (auto op : ops->items) {
        if (op.kind != "build" || is_finished(op.state)) continue;
        op.state = OperationState::failed;
        op.error_code = StatusCode::unavailable;
        op.error_message = reason;
        op.message = "failed";
        if (auto st = (*tx)->operations().update(op); !st.is_ok()) return st.status();
      }
    }
    page.page_token = builds->next_page_token;
  } while (!page.page_token.empty());
  return (*tx)->commit();
}

}  // namespace formation::host::api

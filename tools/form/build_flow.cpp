#include "build_flow.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <ostream>
#include <string>
#include <thread>
#include <utility>

#include "json_reply.hpp"

namespace form {
namespace {

namespace fs = std::filesystem;
namespace ff = formation::formfile;
namespace bc = formation::build_context;
using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// An upload of the largest context the default limits allow can take a while.
constexpr double kUploadTimeoutSeconds = 3600;
constexpr auto kPollInterval = std::chrono::milliseconds(500);

// Lines on stderr, only when something changed, so a log of the run stays readable.
class ProgressPrinter {
 public:
  explicit ProgressPrinter(std::ostream& err) : err_(err) {}
  void show(const std::string& what, int percent) {
    if (what == last_what_ && percent == last_percent_) return;
    last_what_ = what;
    last_percent_ = percent;
    err_ << what << ' ' << percent << "%\n" << std::flush;
  }

 private:
  std::ostream& err_;
  std::string last_what_;
  int last_percent_ = -1;
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A temporary file removed when the object goes.
class TempFile {
 public:
  TempFile() {
    std::string templ = (fs::temp_directory_path() / "form-context-XXXXXX").string();
    const int fd = ::mkstemp(templ.data());
    if (fd < 0) throw CliError(Exit::kApiError, "cannot create a temporary file in /tmp");
    ::close(fd);
    path_ = templ;
  }
  ~TempFile() {
    std::error_code ignored;
    fs::remove(path_, ignored);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// "progress" is 0-100 but may come as a float or be absent; a bad value is not worth failing.
int percent_of(const rapidjson::Value& operation) {
  const std::string text = scalar(operation, "progress");
  const long value = std::strtol(text.c_str(), nullptr, 10);
  return value < 0 ? 0 : (value > 100 ? 100 : static_cast<int>(value));
}

}  // namespace

fs::path context_dir(const std::vector<std::string>& positional) {
  fs::path dir = positional.empty() ? fs::path(".") : fs::path(positional[0]);
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw usage_error("'" + dir.string() + "' is not a directory",
                      "give the folder that holds the Formfile (default: the current folder)");
  if (!fs::exists(dir / "Formfile", ec))
    throw CliError(Exit::kInvalid, "no Formfile in " + dir.string(),
                   "a build context is a folder with a file named Formfile at its root "
                   "(docs/formfile.md)");
  return dir;
}

CheckedContext check_context(const fs::path& dir) {
  CheckedContext c;
  auto index = bc::index_directory(dir, formation::ContextLimits{});
  if (!index.is_ok()) {
    c.context_error = index.status().message();
    c.parsed = ff::parse(read_file(dir / "Formfile"));
    c.problems = c.parsed.errors;
    return c;
  }
  c.index = std::move(index).value();
  c.parsed = ff::parse(c.index.formfile_text);
  c.problems = c.parsed.errors;
  if (c.parsed.ok()) {
    c.problems = ff::check_network_limits(c.parsed.formfile, formation::NetworkLimits{});
    auto missing = bc::check_copy_sources(c.parsed.formfile, c.index);
    c.problems.insert(c.problems.end(), missing.begin(), missing.end());
  }
  return c;
}

bool valid(const CheckedContext& checked) {
  return checked.problems.empty() && checked.context_error.empty();
}

void print_problems(Context& context, const fs::path& dir, const CheckedContext& checked) {
  if (context.json()) {
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    w.Key("valid");
    w.Bool(false);
    w.Key("errors");
    w.StartArray();
    for (const auto& d : checked.problems) {
      w.StartObject();
      w.Key("file");
      w.String("Formfile");
      w.Key("line");
      w.Int(d.at.line);
      w.Key("column");
      w.Int(d.at.column);
      w.Key("message");
      w.String(d.message.c_str());
      w.EndObject();
    }
    if (!checked.context_error.empty()) {
      w.StartObject();
      w.Key("file");
      w.String("context");
      w.Key("message");
      w.String(checked.context_error.c_str());
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    context.out() << buffer.GetString() << '\n';
    return;
  }
  const std::string file = (dir / "Formfile").lexically_normal().string();
  for (const auto& d : checked.problems) context.err() << ff::format(d, file) << '\n';
  if (!checked.context_error.empty()) context.err() << checked.context_error << '\n';
}

std::optional<StartedBuild> start_build(Context& context, const fs::path& dir, bool quiet) {
  const CheckedContext checked = check_context(dir);
  if (!valid(checked)) {
    print_problems(context, dir, checked);
    return std::nullopt;
  }
  ProgressPrinter printer(context.err());
  TempFile archive;
  auto packed = bc::pack_directory(
      dir, archive.path(), formation::ContextLimits{}, [&](std::int64_t done, std::int64_t total) {
        if (!quiet && total > 0) printer.show("packing", static_cast<int>(done * 100 / total));
      });
  if (!packed.is_ok()) throw CliError(Exit::kInvalid, packed.status().message());

  Request upload = Request::with_body("POST", "/v1/builds", read_file(archive.path()));
  upload.content_type = "application/gzip";
  upload.timeout_seconds = kUploadTimeoutSeconds;
  if (!quiet) {
    upload.upload_progress = [&](long long sent, long long total) {
      if (total > 0) printer.show("uploading", static_cast<int>(sent * 100 / total));
    };
  }
  StartedBuild started;
  started.accepted = context.api().call(std::move(upload));
  rapidjson::Document doc = parse_object(started.accepted);
  started.build_id = scalar(doc, "build_id");
  if (doc.HasMember("operation")) started.operation_id = scalar(doc["operation"], "id");
  if (started.build_id.empty() || started.operation_id.empty())
    throw CliError(Exit::kApiError, "unexpected answer from POST /v1/builds: no build_id");
  if (!quiet) context.err() << "build " << started.build_id << " started\n";
  return started;
}

Response follow_operation(Context& context, const std::string& operation_id, bool quiet,
                          const std::string& failed, const std::string& hint) {
  ProgressPrinter printer(context.err());
  for (;;) {
    Response response =
        context.api().call(Request::get("/v1/operations/" + operation_id, Auth::kSigned));
    rapidjson::Document doc = parse_object(response);
    const std::string state = scalar(doc, "state");
    if (!quiet) {
      const std::string message = scalar(doc, "message");
      printer.show(message.empty() ? state : message, percent_of(doc));
    }
    if (state == "succeeded") return response;
    if (state == "failed") {
      std::string message = failed;
      if (doc.HasMember("error") && doc["error"].IsObject() &&
          !scalar(doc["error"], "message").empty())
        message += ": " + scalar(doc["error"], "message");
      throw CliError(Exit::kApiError, message, hint);
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

std::string build_context_dir(Context& context, const fs::path& dir, bool quiet) {
  auto started = start_build(context, dir, quiet);
  if (!started) return {};
  follow_operation(context, started->operation_id, quiet, "the build failed",
                   "fix the Formfile or the context, then run 'form pack build' again");
  return started->build_id;
}

}  // namespace form

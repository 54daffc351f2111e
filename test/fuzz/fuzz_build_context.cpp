// Fuzz target for uploaded build contexts: arbitrary bytes as the archive POST /v1/builds
// receives, through read_context with small caps, both checking only and writing the
// normalised tar. Must never crash, hang or leave the output behind on an error.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "build_context.hpp"

namespace {

const std::filesystem::path& scratch() {
  static const std::filesystem::path dir = [] {
    std::filesystem::path base = std::filesystem::exists("/dev/shm")
                                     ? std::filesystem::path("/dev/shm")
                                     : std::filesystem::temp_directory_path();
    auto d = base / ("fuzz-build-context-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = scratch() / "input";
  const auto output = scratch() / "normalised.tar";
  {
    std::ofstream out(input, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  formation::ContextLimits limits;
  limits.max_bytes = 1 << 20;
  limits.max_files = 64;
  (void)formation::build_context::read_context(input, limits);
  auto written = formation::build_context::read_context(input, limits, output);
  if (!written.is_ok() && std::filesystem::exists(output)) __builtin_trap();
  std::filesystem::remove(output);
  return 0;
}

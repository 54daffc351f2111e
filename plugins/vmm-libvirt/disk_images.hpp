// The instance's disks on the host: qcow2 files made with qemu-img (no shell) under
// <storage_dir>/<instance_id>/, and their removal.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "formation/status.hpp"

namespace formation::libvirt {

class DiskImages {
 public:
  DiskImages(std::filesystem::path storage_dir, std::string qemu_img)
      : storage_dir_(std::move(storage_dir)), qemu_img_(std::move(qemu_img)) {}

  [[nodiscard]] std::filesystem::path instance_dir(const std::string& instance_id) const {
    return storage_dir_ / instance_id;
  }
  [[nodiscard]] std::filesystem::path root_disk(const std::string& instance_id) const {
    return instance_dir(instance_id) / "root.qcow2";
  }
  [[nodiscard]] const std::filesystem::path& storage_dir() const { return storage_dir_; }

  // A qcow2 overlay of `base` grown to `size_gb`; invalid when the base is larger.
  Status create_overlay(const std::filesystem::path& base, const std::filesystem::path& overlay,
                        std::int64_t size_gb) const;
  // An empty qcow2 of `size_gb`.
  Status create_disk(const std::filesystem::path& file, std::int64_t size_gb) const;
  // Removes <storage_dir>/<instance_id>/ and everything in it; ok when absent.
  Status remove_instance(const std::string& instance_id) const;

 private:
  Status run(const std::vector<std::string>& args, const char* doing) const;

  std::filesystem::path storage_dir_;
  std::string qemu_img_;
};

struct ProcessOutput {
  int exit_code = -1;  // -1: could not run
  std::string output;  // stdout and stderr together
};

// Runs argv[0] from PATH without a shell and collects its output.
ProcessOutput run_program(const std::vector<std::string>& argv);

}  // namespace formation::libvirt

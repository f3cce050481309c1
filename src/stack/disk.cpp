// SPDX-License-Identifier: Apache-2.0
//
// The Docker data root's free space. The Engine names the folder (`GET /info`, DockerRootDir)
// but not its free space, so it is measured here with statvfs, which is only meaningful when
// the Engine shares this host's file systems: a remote Engine gives no figure.
#include <supactl/stack/disk.hpp>

#include <fmt/format.h>

#include <sys/statvfs.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace supactl::stack {

namespace {

std::string this_host() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0) return {};
  return name.data();
}

std::string gib(uint64_t bytes) {
  return fmt::format("{:.1f} GiB", static_cast<double>(bytes) / (1024.0 * 1024 * 1024));
}

}  // namespace

std::optional<DiskSpace> data_root_space(docker::Engine& engine) {
  const nlohmann::json info = engine.info();
  DiskSpace space{.path = info.value("DockerRootDir", std::string()), .free_bytes = 0, .total_bytes = 0};
  if (const char* injected = std::getenv("SUPACTL_TEST_DATA_ROOT_SPACE"); injected != nullptr) {
    std::istringstream in(injected);
    in >> space.free_bytes >> space.total_bytes;
    return space;
  }
  std::error_code ec;
  if (space.path.empty() || info.value("Name", std::string()) != this_host() ||
      !std::filesystem::is_directory(space.path, ec)) {
    return std::nullopt;
  }
  struct statvfs st {};
  if (statvfs(space.path.c_str(), &st) != 0) return std::nullopt;
  space.free_bytes = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  space.total_bytes = static_cast<uint64_t>(st.f_blocks) * st.f_frsize;
  return space;
}

bool low_on_space(const DiskSpace& space) {
  return space.total_bytes != 0 &&
         static_cast<double>(space.free_bytes) < k_low_disk_ratio * static_cast<double>(space.total_bytes);
}

std::string low_space_warning(const DiskSpace& space) {
  const double percent = space.total_bytes == 0
                             ? 0
                             : 100.0 * static_cast<double>(space.free_bytes) / static_cast<double>(space.total_bytes);
  return fmt::format(
      "the Docker data root {} has {:.0f}% free ({} of {}); free space (`docker system prune`, old backups) "
      "before containers, logs or the database fill it",
      space.path, percent, gib(space.free_bytes), gib(space.total_bytes));
}

}  // namespace supactl::stack

// SPDX-License-Identifier: Apache-2.0
#pragma once

// Free space on the Docker data root (images, containers, volumes and json-file logs all live
// there): `status` warns when it runs low and `metrics` exports it.

#include <supactl/docker/engine.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace supactl::stack {

struct DiskSpace {
  std::string path;  ///< the Engine's DockerRootDir
  uint64_t free_bytes = 0;
  uint64_t total_bytes = 0;
};

/// Below this share of free space `status` warns (and the alert rule fires).
inline constexpr double k_low_disk_ratio = 0.10;

/// The Engine's DockerRootDir (one `info` call), measured with statvfs when the Engine runs on
/// this host (its Name is this host's name and the folder exists here); nullopt for a remote
/// Engine. SUPACTL_TEST_DATA_ROOT_SPACE="FREE TOTAL" (bytes) replaces the measurement (tests).
std::optional<DiskSpace> data_root_space(docker::Engine& engine);

/// Whether less than k_low_disk_ratio of `space` is free.
bool low_on_space(const DiskSpace& space);

/// One line for `status`: "the Docker data root /var/lib/docker has 4% free (3.1 GiB of 80 GiB); ...".
std::string low_space_warning(const DiskSpace& space);

}  // namespace supactl::stack

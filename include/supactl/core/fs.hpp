// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>
#include <filesystem>
#include <string>
#include <string_view>

namespace supactl::core {

/// Reads a whole file. Throws supactl::Error naming the path on failure.
std::string read_file(const std::filesystem::path& path);

/// Writes `content` to `path` atomically: a temporary file in the same folder with `mode`,
/// fsync, then rename over the target. A reader sees the old file or the new one, never half.
/// Creates missing parent folders (0700). Throws supactl::Error on failure.
void write_file_atomic(const std::filesystem::path& path, std::string_view content, mode_t mode = 0644);

/// Value of an environment variable, or `fallback` when unset or empty.
std::string env_or(const char* name, std::string_view fallback = {});

}  // namespace supactl::core

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

namespace supactl::config {

/// supactl's data folder: `flag` (--home, which CLI11 already fills from SUPACTL_HOME) when
/// not empty, else SUPACTL_HOME, else $XDG_DATA_HOME/supactl, else ~/.local/share/supactl.
/// Throws supactl::Error(ExitCode::usage) when none can be determined (no HOME).
std::filesystem::path home_dir(const std::string& flag);

/// `home`/instances/`name`.
std::filesystem::path instance_dir(const std::filesystem::path& home, const std::string& name);

/// The longest instance name.
inline constexpr std::size_t k_max_name_length = 40;

/// Checks that `name` is a DNS label supactl accepts as instance (and compose project) name:
/// 1-40 characters, lower-case letters, digits and `-`, not starting or ending with `-`.
/// Throws supactl::Error(ExitCode::usage) whose message states the rule that was broken.
void validate_name(const std::string& name);

/// validate_name, and the name is not one of supactl's commands or home folders (`ls`, `up`,
/// `backups`, `instances`, ...). For instances about to be created.
void validate_new_name(const std::string& name);

}  // namespace supactl::config

// SPDX-License-Identifier: Apache-2.0
#pragma once

// Edge Functions of a project: they live in its `functions` volume, mounted at
// /home/deno/functions in the functions containers; `main` (the router) and `hello` are
// supactl's own, mounted read-only over it.

#include <supactl/docker/engine.hpp>
#include <supactl/docker/tar.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace supactl::stack {

inline constexpr const char* k_functions_dir = "/home/deno/functions";

/// Throws supactl::Error(usage), naming `command`, unless `name` can name a function: a letter
/// or digit, then letters, digits, '-' and '_' (at most 64).
void validate_function_name(const std::string& name, const std::string& command);

/// The functions of `dir` (sub-folders with an index.ts/js/tsx/mjs, plus `_shared`) and their
/// files, relative to `dir`. Throws supactl::Error(usage) naming the fix for a missing
/// folder, a bad name, supactl's own `main`/`hello`, a folder without an index, or no function.
std::map<std::string, std::vector<docker::TarFile>> collect_functions(const std::filesystem::path& dir);

struct DeployResult {
  std::vector<std::string> deployed;  ///< function names
  size_t files = 0;
  size_t restarted = 0;  ///< functions containers restarted
};

/// Replaces each function of `functions` whole in the volume (through the archive API of the
/// first running functions container: no host bind mount, so a remote Engine works too), then
/// restarts every functions container and waits (up to `ready_timeout_s`) until each passes
/// its health test. On a swarm the functions service rolls its tasks instead (a restarted
/// task container would be taken for a finished task), waited for up to 120 s or
/// `ready_timeout_s`, whichever is longer. Throws supactl::Error: not_found when no
/// functions container runs, unhealthy when one does not come back.
DeployResult deploy_functions(docker::Engine& engine, const std::string& project,
                              std::map<std::string, std::vector<docker::TarFile>> functions, int ready_timeout_s = 30);

/// Names of the functions the project's functions volume holds, sorted.
std::vector<std::string> list_functions(docker::Engine& engine, const std::string& project);

}  // namespace supactl::stack

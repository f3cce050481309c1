// SPDX-License-Identifier: Apache-2.0
#pragma once

// Edge Functions of an instance with their per-function settings (config/function_settings.hpp):
// a deploy takes each function's function.yaml and secrets file out of what goes into the
// volume and into the instance's functions.json, and `functions secrets` changes secrets there.
// After each change the router's copy (rendered/function-settings) is written again, so the
// next request sees it. The caller holds the instance lock.

#include <supactl/config/function_settings.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/docker/engine.hpp>
#include <supactl/stack/functions.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace supactl::instance {

struct FunctionsDeployResult {
  stack::DeployResult deploy;
  std::vector<std::string> with_settings;  ///< functions deployed with a function.yaml
};

/// Deploys the functions of `dir` into `inst` (stack::deploy_functions). For each function, its
/// function.yaml sets its verify_jwt and variables (none without one) and adds the secrets of its
/// secrets file; the secrets set by `functions secrets set` stay. Nothing is written when a
/// function folder or settings file is refused (supactl::Error, usage).
FunctionsDeployResult deploy_functions(docker::Engine& engine, const config::Instance& inst,
                                       const std::filesystem::path& dir);

/// Sets `values` as secrets of `function` (replacing ones of the same name). Throws
/// supactl::Error(usage) for a bad function or variable name.
void set_function_secrets(const config::Instance& inst, const std::string& function,
                          const std::map<std::string, secrets::Secret>& values);

/// Removes the secrets `names` of `function`; returns the names that were there.
std::vector<std::string> remove_function_secrets(const config::Instance& inst, const std::string& function,
                                                 const std::vector<std::string>& names);

/// The names of the secrets of `function`, sorted (never their values).
std::vector<std::string> function_secret_names(const config::Instance& inst, const std::string& function);

}  // namespace supactl::instance

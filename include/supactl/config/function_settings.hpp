// SPDX-License-Identifier: Apache-2.0
#pragma once

// Per-function settings of an instance's Edge Functions. Each function may have its own
// `verify_jwt`, plain environment variables and secrets; supactl's router (templates/functions/
// main) gives a function's worker only that function's own settings, read per request from
// rendered/function-settings/<function>.json, so a change needs no restart.
//
// Where they come from: `functions deploy` reads DIR/<function>/function.yaml when present
//
//   verify_jwt: false          # overrides functions.verify_jwt of instance.yaml
//   env:                       # plain variables
//     GREETING: hello
//   secrets_file: .env         # KEY=value lines, mode 0600, never deployed into the volume
//
// and `functions secrets set|rm` change the secrets. All of it is kept in the instance's
// functions.json (mode 0600), the one source render copies from.

#include <supactl/secrets/secret.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace supactl::config {

struct FunctionSettings {
  std::optional<bool> verify_jwt;  ///< unset: the instance's functions.verify_jwt
  std::map<std::string, std::string> env;
  std::map<std::string, secrets::Secret> secrets;

  bool empty() const { return !verify_jwt && env.empty() && secrets.empty(); }
};

/// By function name.
using FunctionSettingsMap = std::map<std::string, FunctionSettings>;

/// The folder of rendered/ the functions containers mount read-only, one JSON file per
/// function with settings (router_settings_json), mode 0600.
inline constexpr const char* k_function_settings_dir = "function-settings";

/// The name of a function's settings file inside its folder.
inline constexpr const char* k_function_file = "function.yaml";

/// Throws supactl::Error(usage) naming the fix unless `name` can be a function's variable:
/// letters, digits and '_', not starting with a digit, and not starting with SUPABASE_ (those
/// are the runtime's own, as in the Supabase CLI).
void validate_function_variable(const std::string& name, const std::string& where);

/// Reads `function_dir`/function.yaml. Returns nullopt when there is none. `files_read` gets the
/// paths (relative to `function_dir`) of the settings files, which are not deployed. Throws
/// supactl::Error(usage) naming file and key on a bad value, an unknown key, or a secrets file
/// that is missing or that other users may read.
std::optional<FunctionSettings> read_function_file(const std::filesystem::path& function_dir,
                                                   std::vector<std::string>* files_read);

/// The instance's functions.json at `path`; empty when there is none. Throws
/// supactl::Error(usage) when it does not parse or others may read it.
FunctionSettingsMap load_function_settings(const std::filesystem::path& path);

/// Writes functions.json atomically, mode 0600. Functions without any setting are left out.
void save_function_settings(const std::filesystem::path& path, const FunctionSettingsMap& settings);

/// What the router reads for one function: {"verify_jwt": bool (when set), "env": {name:
/// value}} with the secrets merged into env (a secret wins over a plain variable).
std::string router_settings_json(const FunctionSettings& settings);

}  // namespace supactl::config

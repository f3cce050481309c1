// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <supactl/config/function_settings.hpp>
#include <supactl/config/instance.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace supactl::render {

/// What render_instance wrote.
struct RenderResult {
  std::filesystem::path dir;           ///< the output folder
  std::filesystem::path compose_file;  ///< dir/compose.yml
  /// The compose interpolation variables (= the instance's secrets, clear values), exactly
  /// what dir/.env holds; pass them to compose::load.
  std::map<std::string, std::string> variables;
  std::vector<std::string> files;  ///< paths written, relative to `dir`, sorted
};

/// Public addresses of an instance, for `init`, `up` and `status` to print. Secret-free.
struct Endpoints {
  /// e.g. https://localhost:8443 (the gateway; /rest/v1, /auth/v1, ...); instance.yaml's
  /// `public_url` when set. Every public URL the rendered services use derives from it.
  std::string api_url;
  std::string studio_url;  ///< the dashboard behind basic auth (api_url + "/")
  std::string db_url;      ///< postgresql://postgres@127.0.0.1:PORT/postgres, or empty
};

/// The template files: the embedded ones, each replaced by the file of the same relative path
/// in `templates_override` when that folder is given and holds it (files only in the folder
/// are added). Relative path → content.
std::map<std::string, std::string> load_templates(const std::string& templates_override);

/// Images of `release` (service → repo:tag) from templates/images/RELEASE.yaml. Throws
/// supactl::Error(ExitCode::usage) when the release is unknown, listing the known ones.
std::map<std::string, std::string> release_images(const std::string& release, const std::string& templates_override);

/// The image each enabled service of `spec` runs: the release's, or instance.yaml's override,
/// prefixed with `REGISTRY/` when the spec names a registry mirror.
std::map<std::string, std::string> instance_images(const config::InstanceSpec& spec,
                                                   const std::string& templates_override);

/// Renders every template for `instance` into `out_dir` (created 0700 when missing):
/// compose.yml, kong.yml, kong-entrypoint.sh, Caddyfile, db/*.sql, functions/*, the optional
/// services' files, and `.env` (mode 0600, the only file holding secrets). `*.mustache` files
/// are rendered with the instance's data (mustache, no HTML escaping) and lose the suffix;
/// other files are copied. Files a previous render wrote and this one did not are removed.
/// The instance's per-function settings go to function-settings/ (write_function_settings).
/// Deterministic: the same spec and secrets give the same bytes. Throws supactl::Error.
RenderResult render_instance(const config::Instance& instance, const std::filesystem::path& out_dir,
                             const std::string& templates_override);

/// Writes `settings` into `out_dir`/function-settings (config::k_function_settings_dir, created 0700), replacing files
/// of functions that no longer have settings. The folder is mounted, not copied, so the router sees a change at its
/// next request.
void write_function_settings(const config::FunctionSettingsMap& settings, const std::filesystem::path& out_dir);

/// Renders one template (relative path, e.g. "compose.yml.mustache") for `instance` and returns
/// the text; used by tests and by `render --stdout`-like callers.
std::string render_template(const config::Instance& instance, const std::string& relative_path,
                            const std::string& templates_override);

/// The instance's public addresses (see Endpoints): `public_url` when the spec sets one, else
/// derived from `domain`, `tls.mode` and the ports.
Endpoints instance_endpoints(const config::InstanceSpec& spec);

/// Whether the instance is for this host only (no domain: `localhost` or a name under
/// `.localhost`): then Caddy's ports are published on 127.0.0.1, never on every address.
bool loopback_only(const config::InstanceSpec& spec);

}  // namespace supactl::render

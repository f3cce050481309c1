// SPDX-License-Identifier: Apache-2.0
//
// Edge Functions with per-function settings: see instance/functions.hpp.
#include <supactl/instance/functions.hpp>

#include <supactl/core/error.hpp>
#include <supactl/render/render.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace supactl::instance {

namespace fs = std::filesystem;

namespace {

/// Saves `settings` and, when the instance was rendered, the router's copy.
void store(const config::Instance& inst, const config::FunctionSettingsMap& settings) {
  config::save_function_settings(inst.function_settings_file(), settings);
  std::error_code ec;
  if (fs::is_directory(inst.rendered_dir(), ec)) render::write_function_settings(settings, inst.rendered_dir());
}

}  // namespace

FunctionsDeployResult deploy_functions(docker::Engine& engine, const config::Instance& inst, const fs::path& dir) {
  auto functions = stack::collect_functions(dir);
  config::FunctionSettingsMap settings = config::load_function_settings(inst.function_settings_file());
  FunctionsDeployResult result;
  for (auto& [fn, files] : functions) {
    if (fn == "_shared") continue;
    std::vector<std::string> settings_files;
    const std::optional<config::FunctionSettings> file = config::read_function_file(dir / fn, &settings_files);
    // The settings files stay on this host: neither function.yaml nor the secrets go into the volume.
    const fs::path folder = fn;  // a named copy: clang 14 cannot capture a structured binding
    std::erase_if(files, [&](const docker::TarFile& f) {
      return std::any_of(settings_files.begin(), settings_files.end(),
                         [&](const std::string& rel) { return f.path == (folder / rel).string(); });
    });
    config::FunctionSettings& s = settings[fn];
    s.verify_jwt = file ? file->verify_jwt : std::nullopt;
    s.env = file ? file->env : std::map<std::string, std::string>{};
    if (file) {
      for (const auto& [name, value] : file->secrets) s.secrets[name] = value;
      result.with_settings.push_back(fn);
    }
  }
  store(inst, settings);
  result.deploy = stack::deploy_functions(engine, inst.name, std::move(functions));
  return result;
}

void set_function_secrets(const config::Instance& inst, const std::string& function,
                          const std::map<std::string, secrets::Secret>& values) {
  stack::validate_function_name(function, "functions secrets set");
  for (const auto& [name, value] : values) config::validate_function_variable(name, "functions secrets set");
  config::FunctionSettingsMap settings = config::load_function_settings(inst.function_settings_file());
  for (const auto& [name, value] : values) settings[function].secrets[name] = value;
  store(inst, settings);
}

std::vector<std::string> remove_function_secrets(const config::Instance& inst, const std::string& function,
                                                 const std::vector<std::string>& names) {
  stack::validate_function_name(function, "functions secrets rm");
  config::FunctionSettingsMap settings = config::load_function_settings(inst.function_settings_file());
  std::vector<std::string> removed;
  auto it = settings.find(function);
  if (it == settings.end()) return removed;
  for (const std::string& name : names) {
    if (it->second.secrets.erase(name) != 0) removed.push_back(name);
  }
  if (!removed.empty()) store(inst, settings);
  return removed;
}

std::vector<std::string> function_secret_names(const config::Instance& inst, const std::string& function) {
  stack::validate_function_name(function, "functions secrets ls");
  const config::FunctionSettingsMap settings = config::load_function_settings(inst.function_settings_file());
  std::vector<std::string> names;
  if (auto it = settings.find(function); it != settings.end()) {
    for (const auto& [name, value] : it->second.secrets) names.push_back(name);
  }
  return names;
}

}  // namespace supactl::instance

// SPDX-License-Identifier: Apache-2.0
//
// Per-function settings of Edge Functions (see function_settings.hpp): function.yaml read at
// deploy, the instance's functions.json, and the one JSON document per function the router
// reads.
#include <supactl/config/function_settings.hpp>

#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/secrets/secrets_file.hpp>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include <regex>

namespace supactl::config {

namespace fs = std::filesystem;

void validate_function_variable(const std::string& name, const std::string& where) {
  static const std::regex k_variable("^[A-Za-z_][A-Za-z0-9_]*$");
  if (!std::regex_match(name, k_variable)) {
    throw Error(fmt::format("{}: `{}` is not a variable name", where, name), ExitCode::usage,
                "use letters, digits and '_', not starting with a digit");
  }
  if (name.rfind("SUPABASE_", 0) == 0) {
    throw Error(fmt::format("{}: `{}` starts with SUPABASE_, which the runtime keeps for its own", where, name),
                ExitCode::usage, "choose another name");
  }
}

std::optional<FunctionSettings> read_function_file(const fs::path& function_dir, std::vector<std::string>* files_read) {
  const fs::path file = function_dir / k_function_file;
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return std::nullopt;
  const std::string where = file.string();
  if (files_read != nullptr) files_read->push_back(k_function_file);
  YAML::Node root;
  try {
    root = YAML::LoadFile(file.string());
  } catch (const YAML::Exception& e) {
    throw Error(fmt::format("{}: {}", where, e.what()), ExitCode::usage, "fix the YAML");
  }
  FunctionSettings out;
  if (root.IsNull()) return out;
  if (!root.IsMap())
    throw Error(fmt::format("{}: expected a mapping", where), ExitCode::usage, "see docs/API_REFERENCE.md");
  for (const auto& item : root) {
    const std::string key = item.first.as<std::string>();
    const YAML::Node& value = item.second;
    const std::string at = fmt::format("{}: {}", where, key);
    try {
      if (key == "verify_jwt") {
        out.verify_jwt = value.as<bool>();
      } else if (key == "env") {
        if (!value.IsMap() && !value.IsNull()) throw Error(fmt::format("{}: expected a mapping", at), ExitCode::usage);
        for (const auto& var : value) {
          const std::string name = var.first.as<std::string>();
          validate_function_variable(name, at);
          if (!var.second.IsScalar()) throw Error(fmt::format("{}.{}: expected a value", at, name), ExitCode::usage);
          out.env[name] = var.second.as<std::string>();
        }
      } else if (key == "secrets_file") {
        const std::string rel = value.as<std::string>();
        const fs::path path = (function_dir / rel).lexically_normal();
        if (rel.empty() || fs::path(rel).is_absolute() || path.parent_path() != function_dir.lexically_normal()) {
          throw Error(fmt::format("{}: `{}` is not a file name in the function's folder", at, rel), ExitCode::usage,
                      "name a file next to function.yaml, e.g. secrets_file: .env");
        }
        if (!fs::is_regular_file(path, ec)) {
          throw Error(fmt::format("{}: {} does not exist", at, path.string()), ExitCode::usage,
                      "create it with KEY=value lines (chmod 600), or remove secrets_file");
        }
        secrets::refuse_if_others_may_read(path);
        for (auto& [name, secret] : secrets::parse_secrets_env(core::read_file(path), path.string())) {
          validate_function_variable(name, path.string());
          out.secrets[name] = std::move(secret);
        }
        if (files_read != nullptr) files_read->push_back(fs::path(rel).lexically_normal().string());
      } else {
        throw Error(fmt::format("{}: unknown key", at), ExitCode::usage, "the keys are verify_jwt, env, secrets_file");
      }
    } catch (const YAML::Exception&) {
      throw Error(fmt::format("{}: wrong kind of value", at), ExitCode::usage,
                  "verify_jwt is true or false, env a mapping, secrets_file a file name");
    }
  }
  return out;
}

FunctionSettingsMap load_function_settings(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return {};
  secrets::refuse_if_others_may_read(path);
  const nlohmann::json doc = nlohmann::json::parse(core::read_file(path), nullptr, false);
  if (!doc.is_object()) {
    throw Error(fmt::format("{} does not parse as JSON", path.string()), ExitCode::usage,
                "restore it from a backup, or remove it and deploy the functions again");
  }
  FunctionSettingsMap out;
  try {
    for (const auto& [fn, j] : doc.items()) {
      FunctionSettings s;
      if (j.contains("verify_jwt")) s.verify_jwt = j.at("verify_jwt").get<bool>();
      if (j.contains("env")) s.env = j.at("env").get<std::map<std::string, std::string>>();
      if (j.contains("secrets")) {
        for (const auto& [name, value] : j.at("secrets").items())
          s.secrets[name] = secrets::Secret(value.get<std::string>());
      }
      out[fn] = std::move(s);
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: {}", path.string(), e.what()), ExitCode::usage,
                "restore it from a backup, or remove it and deploy the functions again");
  }
  return out;
}

void save_function_settings(const fs::path& path, const FunctionSettingsMap& settings) {
  nlohmann::json doc = nlohmann::json::object();
  for (const auto& [fn, s] : settings) {
    if (s.empty()) continue;
    nlohmann::json j = nlohmann::json::object();
    if (s.verify_jwt) j["verify_jwt"] = *s.verify_jwt;
    if (!s.env.empty()) j["env"] = s.env;
    if (!s.secrets.empty()) {
      nlohmann::json sec = nlohmann::json::object();
      for (const auto& [name, value] : s.secrets) sec[name] = value.reveal();
      j["secrets"] = std::move(sec);
    }
    doc[fn] = std::move(j);
  }
  core::write_file_atomic(path, doc.dump(2) + "\n", 0600);
}

std::string router_settings_json(const FunctionSettings& settings) {
  nlohmann::json doc = nlohmann::json::object();
  if (settings.verify_jwt) doc["verify_jwt"] = *settings.verify_jwt;
  nlohmann::json env = settings.env;
  if (env.is_null()) env = nlohmann::json::object();
  for (const auto& [name, value] : settings.secrets) env[name] = value.reveal();
  doc["env"] = std::move(env);
  return doc.dump() + "\n";
}

}  // namespace supactl::config

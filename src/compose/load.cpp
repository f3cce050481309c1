// SPDX-License-Identifier: Apache-2.0
//
// compose::load: reads compose.yml and its overrides, interpolates each file, merges them with
// compose's rules, then types the result into a Project. Problems are collected, not thrown
// one by one: the user sees every `file:line: message` of a broken file in one run. Unknown
// compose features become warnings in Project::warnings, never silent drops.

#include "compose/interpolate.hpp"
#include "compose/merge.hpp"
#include "compose/service.hpp"
#include "compose/tree.hpp"

#include <supactl/compose/model.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/core/sha256.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>

namespace supactl::compose {
namespace {

using detail::Diagnostics;
using detail::Location;
using detail::Node;

/// Top-level keys of the compose format that supactl does not implement.
const std::set<std::string> k_unsupported_top_level = {"configs", "secrets", "models"};

void check_top_level(const Node& root, Diagnostics& diagnostics) {
  for (size_t i = 0; i < root.keys.size(); ++i) {
    const std::string& key = root.keys[i];
    if (key == "name" || key == "services" || key == "networks" || key == "volumes" || key == "version" ||
        key.rfind("x-", 0) == 0) {
      continue;
    }
    if (k_unsupported_top_level.count(key) != 0) {
      diagnostics.warning(fmt::format("top-level key `{}` is not supported and was ignored", key));
    } else if (key == "include") {
      diagnostics.error(root.items[i].where, "top-level `include` is not supported; list the files instead");
    } else {
      diagnostics.error(root.items[i].where, fmt::format("unknown top-level key `{}`", key));
    }
  }
}

/// Reads, parses and interpolates one file; a null node when it could not be read.
Node read_file(const std::filesystem::path& path, const LoadOptions& options, Diagnostics& diagnostics) {
  std::string display = path.string();
  std::string content;
  try {
    content = core::read_file(path);
  } catch (const Error& e) {
    diagnostics.error(Location{display, 0}, e.what());
    return Node{};
  }
  Node root = detail::parse_yaml(content, display, diagnostics);
  if (root.is_null()) return root;
  if (!root.is_mapping()) {
    diagnostics.error(root.where, "a compose file must be a mapping (services:, networks:, ...)");
    return Node{};
  }
  check_top_level(root, diagnostics);
  for (size_t i = 0; i < root.keys.size(); ++i) {
    if (root.keys[i].rfind("x-", 0) != 0) detail::interpolate_tree(root.items[i], options.variables, diagnostics);
  }
  detail::normalize_file(root);
  return root;
}

std::string project_name(const LoadOptions& options, const Node& root, const std::filesystem::path& working_dir,
                         Diagnostics& diagnostics) {
  std::string name = options.project_name;
  Location where{options.files.front().string(), 0};
  const Node* declared = root.find("name");
  if (name.empty() && declared != nullptr && declared->is_scalar()) {
    name = declared->scalar;
    where = declared->where;
  }
  if (name.empty()) {
    // Like compose: the folder name, lower-cased, without characters a project name cannot have.
    for (char c : working_dir.filename().string()) {
      char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || ((l == '-' || l == '_') && !name.empty())) name += l;
    }
  }
  static const std::regex k_valid("^[a-z0-9][a-z0-9_-]*$");
  if (!std::regex_match(name, k_valid)) {
    diagnostics.error(where, fmt::format("project name `{}` must be lower-case letters, digits, `-` and `_`, "
                                         "starting with a letter or digit",
                                         name));
  }
  return name;
}

/// Fields shared by top-level networks and volumes: name, driver, external, labels.
template <typename Object>
void read_common(Object& object, const std::string& key, const std::string& value, const Node& node,
                 detail::Reporter& report) {
  if (key == "name")
    object.name = value;
  else if (key == "driver")
    object.driver = value;
  else if (key == "external")
    report.guarded(node, "external", [&] { object.external = detail::parse_bool(value); });
}

template <typename Object>
Object read_object(const std::string& kind, const std::string& key, const Node& node, const std::string& project,
                   Diagnostics& diagnostics, const std::set<std::string>& own_flags) {
  Object object;
  object.key = key;
  detail::Reporter report(kind + " " + key, diagnostics);
  if (!node.is_mapping() && !node.is_null()) report.error(node, "must be a mapping");
  std::string explicit_name;
  for (size_t i = 0; i < node.keys.size(); ++i) {
    const std::string& field = node.keys[i];
    const Node& value = node.items[i];
    if (field == "labels" && value.is_mapping()) {
      for (size_t j = 0; j < value.keys.size(); ++j) object.labels[value.keys[j]] = value.items[j].scalar;
    } else if (field == "external" && value.is_mapping()) {
      object.external = true;  // legacy `external: {name: x}`
      if (const Node* name = value.find("name")) explicit_name = name->scalar;
    } else if (field == "name" || field == "driver" || field == "external" || own_flags.count(field) != 0) {
      const std::string* text = report.scalar(value, field);
      if (text == nullptr) continue;
      if (field == "name") explicit_name = *text;
      read_common(object, field, *text, value, report);
      if constexpr (std::is_same_v<Object, Network>) {
        if (field == "internal") report.guarded(value, field, [&] { object.internal = detail::parse_bool(*text); });
        if (field == "attachable") report.guarded(value, field, [&] { object.attachable = detail::parse_bool(*text); });
      }
    } else if (field.rfind("x-", 0) != 0) {
      report.unsupported(field);
    }
  }
  object.name = !explicit_name.empty() ? explicit_name : object.external ? key : project + "_" + key;
  return object;
}

template <typename Object>
std::map<std::string, Object> read_objects(const Node& root, const std::string& section, const std::string& kind,
                                           const std::string& project, Diagnostics& diagnostics,
                                           const std::set<std::string>& own_flags) {
  std::map<std::string, Object> out;
  const Node* node = root.find(section);
  if (node == nullptr || node->is_null()) return out;
  if (!node->is_mapping()) {
    diagnostics.error(node->where, fmt::format("`{}` must be a mapping", section));
    return out;
  }
  for (size_t i = 0; i < node->keys.size(); ++i) {
    out[node->keys[i]] = read_object<Object>(kind, node->keys[i], node->items[i], project, diagnostics, own_flags);
  }
  return out;
}

bool is_active(const Service& service, const LoadOptions& options) {
  if (service.profiles.empty()) return true;
  return std::any_of(service.profiles.begin(), service.profiles.end(), [&](const std::string& p) {
    return std::find(options.profiles.begin(), options.profiles.end(), p) != options.profiles.end();
  });
}

/// Checks depends_on targets, container_name against replicas, and cycles.
void validate(Project& project, std::map<std::string, detail::ReadService>& read, const std::set<std::string>& inactive,
              Diagnostics& diagnostics) {
  for (auto& [name, entry] : read) {
    Service& service = project.services.at(name);
    std::vector<Dependency> kept;
    for (const Dependency& d : service.depends_on) {
      const Location& where = entry.dependency_lines[d.service];
      if (d.service == name) {
        diagnostics.error(where, fmt::format("service {}: depends on itself", name));
      } else if (inactive.count(d.service) != 0) {
        if (d.required) {
          diagnostics.error(where, fmt::format("service {}: depends on service `{}`, which is disabled by its "
                                               "profiles",
                                               name, d.service));
        }
        continue;
      } else if (project.services.count(d.service) == 0) {
        diagnostics.error(where, fmt::format("service {}: depends on undefined service `{}`", name, d.service));
      }
      kept.push_back(d);
    }
    service.depends_on = kept;
    if (!service.container_name.empty() && service.replicas > 1) {
      diagnostics.error(entry.container_name_line,
                        fmt::format("service {}: container_name `{}` cannot be used with {} replicas", name,
                                    service.container_name, service.replicas));
    }
  }
  if (diagnostics.has_errors()) return;
  try {
    topological_order(project);
  } catch (const Error& e) {
    diagnostics.error(read.begin()->second.where, e.what());
  }
}

/// sha256 of a file's bytes, or of every regular file below a folder (relative path and
/// bytes, in name order); "" when `path` is neither.
std::string content_digest(const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return core::sha256_hex(core::read_file(path));
  if (!fs::is_directory(path, ec)) return {};
  std::vector<fs::path> files;
  for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec)) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  std::string all;
  for (const fs::path& f : files) {
    all += fs::relative(f, path, ec).string() + '\0' + core::sha256_hex(core::read_file(f)) + '\n';
  }
  return core::sha256_hex(all);
}

/// Every bind mount gets the digest of what it mounts; with `stands_for`, sources below the
/// working folder move there.
void record_bind_contents(Project& project, const std::filesystem::path& stands_for) {
  const std::string from = project.working_dir.string() + "/";
  for (auto& [name, service] : project.services) {
    for (docker::Mount& m : service.spec.mounts) {
      if (m.type != docker::Mount::Type::bind) continue;
      m.content_digest = content_digest(m.source);
      if (!stands_for.empty() && m.source.rfind(from, 0) == 0) {
        m.source = (stands_for / m.source.substr(from.size())).lexically_normal().string();
      }
    }
  }
  if (stands_for.empty()) return;
  for (std::filesystem::path& f : project.config_files) {
    if (f.string().rfind(from, 0) == 0) f = stands_for / f.string().substr(from.size());
  }
  project.working_dir = stands_for;
}

}  // namespace

Project load(const LoadOptions& options) {
  if (options.files.empty()) throw Error("no compose file to load", ExitCode::usage);
  Diagnostics diagnostics;
  Project project;
  std::filesystem::path first = std::filesystem::absolute(options.files.front()).lexically_normal();
  project.working_dir = first.parent_path();
  for (const std::filesystem::path& f : options.files) {
    project.config_files.push_back(std::filesystem::absolute(f).lexically_normal());
  }

  // 1. Each file on its own: parse, interpolate, normalise list forms; then merge in order.
  Node merged;
  for (const std::filesystem::path& file : options.files) {
    Node root = read_file(file, options, diagnostics);
    if (merged.is_null()) detail::strip_resets(root);
    detail::merge_into(merged, root);
  }
  diagnostics.throw_if_errors();  // typing a half-read project would only add noise

  // 2. Project name, then the objects services refer to.
  project.name = project_name(options, merged, project.working_dir, diagnostics);
  project.networks =
      read_objects<Network>(merged, "networks", "network", project.name, diagnostics, {"internal", "attachable"});
  project.volumes = read_objects<Volume>(merged, "volumes", "volume", project.name, diagnostics, {});

  // 3. Services, leaving out those whose profiles are not active.
  const Node* services = merged.find("services");
  if (services == nullptr || !services->is_mapping() || services->keys.empty()) {
    diagnostics.error(Location{options.files.front().string(), 0}, "no services defined");
    diagnostics.throw_if_errors();
  }
  detail::ServiceContext context{project.working_dir, project.volumes, project.networks, options.variables};
  std::map<std::string, detail::ReadService> read;
  std::set<std::string> inactive;
  for (size_t i = 0; i < services->keys.size(); ++i) {
    detail::ReadService entry = detail::read_service(services->keys[i], services->items[i], context, diagnostics);
    if (!is_active(entry.service, options)) {
      inactive.insert(services->keys[i]);
      continue;
    }
    project.services[services->keys[i]] = entry.service;
    read.emplace(services->keys[i], std::move(entry));
  }
  validate(project, read, inactive, diagnostics);

  // 4. Services without networks join `default`, which compose creates implicitly.
  bool uses_default = std::any_of(project.services.begin(), project.services.end(), [](const auto& entry) {
    const Service& s = entry.second;
    return s.network_mode.empty() &&
           (s.networks.empty() || std::any_of(s.networks.begin(), s.networks.end(),
                                              [](const ServiceNetwork& n) { return n.key == "default"; }));
  });
  if (uses_default && project.networks.count("default") == 0) {
    project.networks["default"] = Network{.key = "default",
                                          .name = project.name + "_default",
                                          .driver = "bridge",
                                          .internal = false,
                                          .attachable = false,
                                          .external = false,
                                          .labels = {}};
  }

  diagnostics.throw_if_errors();
  record_bind_contents(project, options.stands_for);
  project.warnings = diagnostics.warnings();
  return project;
}

}  // namespace supactl::compose

// SPDX-License-Identifier: Apache-2.0
//
// Where template text comes from: the copy embedded into the binary at build time, with any
// file of the same relative path in a --templates folder taking its place. Also the release
// table (templates/images/RELEASE.yaml), the one place image tags are pinned, and the image
// each service of an instance therefore runs.
#include <supactl/render/render.hpp>

#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/render/embedded.hpp>

#include <fmt/format.h>

#include <yaml-cpp/yaml.h>
#include <algorithm>

namespace supactl::render {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view k_images_dir = "images/";

}  // namespace

std::map<std::string, std::string> load_templates(const std::string& templates_override) {
  std::map<std::string, std::string> files;
  for (const EmbeddedFile& f : embedded_templates()) files[std::string(f.path)] = std::string(f.content);
  if (templates_override.empty()) return files;

  fs::path root(templates_override);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    throw Error(fmt::format("--templates {}: not a folder", templates_override), ExitCode::usage,
                "pass a folder laid out like supactl's templates/ (only the files to replace)");
  }
  for (fs::recursive_directory_iterator it(root, ec), end; it != end && !ec; it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::string relative = fs::relative(it->path(), root).generic_string();
    files[relative] = core::read_file(it->path());
  }
  if (ec) {
    throw Error(fmt::format("cannot read --templates {}: {}", templates_override, ec.message()), ExitCode::usage);
  }
  return files;
}

std::map<std::string, std::string> release_images(const std::string& release, const std::string& templates_override) {
  std::map<std::string, std::string> templates = load_templates(templates_override);
  const std::string path = fmt::format("{}{}.yaml", k_images_dir, release);
  auto it = templates.find(path);
  if (it == templates.end()) {
    std::vector<std::string> known;
    for (const auto& [name, content] : templates) {
      if (name.rfind(k_images_dir, 0) == 0 && name.size() > 5 && name.substr(name.size() - 5) == ".yaml") {
        known.push_back(name.substr(k_images_dir.size(), name.size() - k_images_dir.size() - 5));
      }
    }
    throw Error(fmt::format("unknown release `{}`", release), ExitCode::usage,
                fmt::format("known releases: {} (tables in templates/images/)", fmt::join(known, ", ")));
  }
  std::map<std::string, std::string> images;
  try {
    YAML::Node root = YAML::Load(it->second);
    // Either `images: {service: ref}` or a flat `service: ref` mapping.
    YAML::Node table = root["images"] ? root["images"] : root;
    for (const auto& entry : table) {
      const YAML::Node& value = entry.second;
      if (value.IsScalar()) {
        images[entry.first.Scalar()] = value.Scalar();
      } else if (value.IsMap() && value["image"]) {
        images[entry.first.Scalar()] = value["image"].Scalar();
      }
    }
  } catch (const YAML::Exception& e) {
    throw Error(fmt::format("templates/{}:{}: {}", path, e.mark.line + 1, e.msg), ExitCode::failure);
  }
  images.erase("release");
  return images;
}

std::map<std::string, std::string> instance_images(const config::InstanceSpec& spec,
                                                   const std::string& templates_override) {
  std::map<std::string, std::string> release = release_images(spec.release, templates_override);
  std::map<std::string, std::string> out;
  std::vector<std::string> services = spec.enabled_services();
  // db-standby runs the db image (`image.db`), also while db itself is fenced by a failover.
  if (spec.enabled("db-standby") && std::find(services.begin(), services.end(), "db") == services.end()) {
    services.insert(services.begin(), "db");
  }
  for (const std::string& service : services) {
    auto override_it = spec.images.find(service);
    std::string image;
    if (override_it != spec.images.end()) {
      image = override_it->second;
    } else if (auto it = release.find(service); it != release.end()) {
      image = it->second;
    } else {
      throw Error(fmt::format("release {} has no image for service `{}`", spec.release, service), ExitCode::usage,
                  fmt::format("set `images: {{{}: repo:tag}}` in instance.yaml", service));
    }
    out[service] = spec.registry.empty() ? image : spec.registry + "/" + image;
  }
  return out;
}

}  // namespace supactl::render

// SPDX-License-Identifier: Apache-2.0
//
// render: instance → rendered/. Each template is rendered with the instance's data (or copied
// when it is not a .mustache file) and written atomically; then .env receives the secrets,
// the only file of rendered/ that holds any, with mode 0600. A small manifest remembers what
// was written so that a later render removes files that no longer apply (a service switched
// off) without touching anything else in the folder.
#include <supactl/render/render.hpp>

#include "render/data.hpp"

#include <supactl/core/env_value.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/core/log.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sys/stat.h>
#include <algorithm>
#include <set>
#include <sstream>

namespace supactl::render {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view k_suffix = ".mustache";
constexpr const char* k_manifest = ".supactl-files";

/// Output files that exist only when a service runs, by template path prefix.
struct Conditional {
  std::string_view prefix;
  std::string_view service;
};
constexpr Conditional k_conditional[] = {
    {"vector.yml", "vector"},
    {"pooler.exs", "supavisor"},
    {"functions/", "functions"},
    {"db-standby-entrypoint.sh", "db-standby"},
};

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

/// Whether template `path` produces an output file for `spec`.
bool wanted(const std::string& path, const config::InstanceSpec& spec) {
  if (path.rfind("images/", 0) == 0 || path == "README.md") return false;
  if (path == "wal-archive.sh") return spec.backup.wal;
  // The shared edge's own files (supactl edge) are never part of an instance.
  if (path.rfind("edge/", 0) == 0) return false;
  // Behind the shared edge the instance has no Caddy of its own.
  if (path == "Caddyfile.mustache") return !spec.shared_edge();
  for (const Conditional& c : k_conditional) {
    if (path.rfind(c.prefix, 0) == 0) return spec.enabled(c.service);
  }
  return true;
}

std::string output_name(const std::string& path) {
  return ends_with(path, k_suffix) ? path.substr(0, path.size() - k_suffix.size()) : path;
}

/// Makes every line that holds only a section tag ({{#x}}, {{^x}}, {{/x}}) standalone, as the
/// mustache spec says: the line vanishes from the output whether the section renders or not.
/// kainjow leaves blank lines behind, so the tag is moved to the end of the previous line
/// (`A\n{{#x}}\nB` becomes `A{{#x}}\nB`), or to the start of the next one at the top of a file
/// or after a blank line.
std::string standalone_sections(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  std::string pending;  // a tag waiting for the next line
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    std::string_view line(text.data() + pos, (end == std::string::npos ? text.size() : end) - pos);
    std::size_t first = line.find_first_not_of(" \t");
    std::size_t last = line.find_last_not_of(" \t\r");
    bool tag_only = first != std::string_view::npos && last > first + 3 && line.substr(first, 2) == "{{" &&
                    std::string_view("#^/").find(line[first + 2]) != std::string_view::npos &&
                    line.substr(last - 1, 2) == "}}" && line.substr(first + 2).find("{{") == std::string_view::npos;
    if (tag_only) {
      std::string_view tag = line.substr(first, last - first + 1);
      bool after_text = pending.empty() && out.size() >= 2 && out.back() == '\n' && out[out.size() - 2] != '\n';
      if (after_text) {
        out.pop_back();
        out.append(tag);
        out.push_back('\n');
      } else {
        pending.append(tag);
      }
    } else {
      out.append(pending);
      pending.clear();
      out.append(line);
      if (end != std::string::npos) out.push_back('\n');
    }
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  out.append(pending);
  return out;
}

/// Encodes a value for the inside of a YAML double-quoted scalar in a compose file: `\` and
/// `"` escaped, control characters as \uXXXX, and `$` doubled so that compose interpolation
/// leaves it as it is. Compose templates put every value from instance.yaml between double
/// quotes, so no value can end its scalar or start a new key.
std::string compose_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '$') {
      out += "$$";
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\u{:04x}", c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::string render_text(const std::string& path, const std::string& text, const kainjow::mustache::data& data) {
  kainjow::mustache::mustache tmpl(standalone_sections(text));
  if (path.rfind("compose", 0) == 0) {
    tmpl.set_custom_escape(compose_escape);
  } else {
    tmpl.set_custom_escape([](const std::string& s) { return s; });
  }
  std::string out = tmpl.is_valid() ? tmpl.render(data) : std::string();
  if (!tmpl.is_valid()) {
    throw Error(fmt::format("template {}: {}", path, tmpl.error_message()), ExitCode::failure,
                "fix the template (or remove it from the --templates folder)");
  }
  return out;
}

std::string format_env(const secrets::Secrets& secrets) {
  std::string out =
      "# Rendered by supactl: compose interpolation variables (the instance's secrets).\n"
      "# Mode 0600. Edit secrets.env instead, then render again.\n";
  for (const auto& [name, value] : secrets) out += fmt::format("{}={}\n", name, core::env_quote(value.reveal()));
  return out;
}

std::set<std::string> read_manifest(const fs::path& dir) {
  std::set<std::string> files;
  std::error_code ec;
  if (!fs::exists(dir / k_manifest, ec)) return files;
  std::istringstream in(core::read_file(dir / k_manifest));
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.find("..") == std::string::npos && line[0] != '/') files.insert(line);
  }
  return files;
}

}  // namespace

bool loopback_only(const config::InstanceSpec& spec) {
  const std::string& d = spec.domain;
  return d == "localhost" || ends_with(d, ".localhost");
}

Endpoints instance_endpoints(const config::InstanceSpec& spec) {
  Endpoints e;
  if (!spec.public_url.empty()) {
    // Behind the user's own proxy: clients come in through its address, not Caddy's.
    e.api_url = spec.public_url;
  } else if (spec.shared_edge()) {
    // Behind the shared edge on 443 (`edge up --https-port` elsewhere: init writes a public_url).
    e.api_url = fmt::format("https://{}", spec.domain);
  } else if (spec.tls.mode == config::TlsMode::off) {
    e.api_url = spec.ports.http == 80 ? fmt::format("http://{}", spec.domain)
                                      : fmt::format("http://{}:{}", spec.domain, spec.ports.http);
  } else {
    e.api_url = spec.ports.https == 443 ? fmt::format("https://{}", spec.domain)
                                        : fmt::format("https://{}:{}", spec.domain, spec.ports.https);
  }
  e.studio_url = spec.enabled("studio") ? e.api_url + "/" : std::string();
  if (spec.ports.db != 0) e.db_url = fmt::format("postgresql://postgres@127.0.0.1:{}/postgres", spec.ports.db);
  return e;
}

std::string render_template(const config::Instance& instance, const std::string& relative_path,
                            const std::string& templates_override) {
  std::map<std::string, std::string> templates = load_templates(templates_override);
  auto it = templates.find(relative_path);
  if (it == templates.end()) {
    throw Error(fmt::format("no template {}", relative_path), ExitCode::usage);
  }
  kainjow::mustache::data data = template_data(instance.spec, instance_images(instance.spec, templates_override));
  return ends_with(relative_path, k_suffix) ? render_text(relative_path, it->second, data) : it->second;
}

RenderResult render_instance(const config::Instance& instance, const fs::path& out_dir,
                             const std::string& templates_override) {
  core::PhaseTimer timer("render " + instance.name);
  const std::map<std::string, std::string> templates = load_templates(templates_override);
  const kainjow::mustache::data data = template_data(instance.spec, instance_images(instance.spec, templates_override));

  // Render everything in memory first: a broken template must not leave a half-written folder.
  std::map<std::string, std::string> outputs;
  for (const auto& [path, text] : templates) {
    if (!wanted(path, instance.spec)) continue;
    outputs[output_name(path)] = ends_with(path, k_suffix) ? render_text(path, text, data) : text;
  }

  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) {
    throw Error(fmt::format("cannot create {}: {}", out_dir.string(), ec.message()), ExitCode::failure,
                "choose a writable folder with --out DIR");
  }
  ::chmod(out_dir.c_str(), 0700);
  const std::set<std::string> previous = read_manifest(out_dir);

  RenderResult result;
  result.dir = out_dir;
  result.compose_file = out_dir / "compose.yml";
  std::string manifest;
  for (const auto& [name, content] : outputs) {
    mode_t mode = ends_with(name, ".sh") ? 0755 : 0644;
    core::write_file_atomic(out_dir / name, content, mode);
    result.files.push_back(name);
    manifest += name + "\n";
  }
  for (const std::string& old : previous) {
    if (outputs.count(old) != 0) continue;
    spdlog::debug("render: removing {} (no longer produced)", old);
    fs::remove(out_dir / old, ec);
  }
  core::write_file_atomic(out_dir / k_manifest, manifest, 0644);
  core::write_file_atomic(out_dir / ".env", format_env(instance.secrets), 0600);
  write_function_settings(config::load_function_settings(instance.function_settings_file()), out_dir);
  result.files.push_back(".env");
  std::sort(result.files.begin(), result.files.end());
  for (const auto& [name, value] : instance.secrets) result.variables[name] = value.reveal();
  return result;
}

void write_function_settings(const config::FunctionSettingsMap& settings, const fs::path& out_dir) {
  const fs::path dir = out_dir / config::k_function_settings_dir;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(fmt::format("cannot create {}: {}", dir.string(), ec.message()), ExitCode::failure);
  ::chmod(dir.c_str(), 0700);
  std::set<std::string> wanted_files;
  for (const auto& [fn, s] : settings) {
    if (s.empty()) continue;
    wanted_files.insert(fn + ".json");
    core::write_file_atomic(dir / (fn + ".json"), config::router_settings_json(s), 0600);
  }
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (wanted_files.count(entry.path().filename().string()) == 0) fs::remove(entry.path(), ec);
  }
}

}  // namespace supactl::render

// SPDX-License-Identifier: Apache-2.0
//
// The service keys with their own small languages: ports (short and long syntax, ranges),
// expose, volumes (short `src:dst:opts` and long syntax; bind sources made absolute against
// the project folder, named volumes mapped to their Engine names), tmpfs and healthcheck
// (string test -> CMD-SHELL, durations -> nanoseconds). Split from service.cpp to keep each
// file about one concern.

#include "compose/service.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace supactl::compose::detail {
namespace {

void add_unique(std::vector<docker::PortBinding>& ports, const docker::PortBinding& binding) {
  auto same = [&](const docker::PortBinding& p) {
    return p.container_port == binding.container_port && p.protocol == binding.protocol &&
           p.host_ip == binding.host_ip && p.host_port == binding.host_port;
  };
  if (std::none_of(ports.begin(), ports.end(), same)) ports.push_back(binding);
}

void read_long_port(const Node& entry, docker::ContainerSpec& spec, Reporter& report) {
  std::string target;
  std::string published;
  std::string host_ip;
  std::string protocol = "tcp";
  for (size_t i = 0; i < entry.keys.size(); ++i) {
    const std::string& key = entry.keys[i];
    const std::string* value = report.scalar(entry.items[i], "ports." + key);
    if (value == nullptr) continue;
    if (key == "target")
      target = *value;
    else if (key == "published")
      published = *value;
    else if (key == "host_ip")
      host_ip = *value;
    else if (key == "protocol")
      protocol = *value;
    else if (key != "mode" && key != "name" && key != "app_protocol")
      report.unsupported("ports." + key);
  }
  if (target.empty()) {
    report.error(entry, "a long-syntax port needs `target`");
    return;
  }
  report.guarded(entry, "bad port", [&] {
    for (const docker::PortBinding& b : parse_port_long(target, published, host_ip, protocol))
      add_unique(spec.ports, b);
  });
}

std::string absolute_source(const std::string& source, const ServiceContext& context) {
  std::filesystem::path path;
  if (source == "~" || source.rfind("~/", 0) == 0) {
    auto home = context.variables.find("HOME");
    if (home == context.variables.end()) throw ValueError("`~` needs the HOME variable");
    path = std::filesystem::path(home->second) / source.substr(std::min<size_t>(source.size(), 2));
  } else {
    path = std::filesystem::path(source);
    if (path.is_relative()) path = context.working_dir / path;
  }
  std::string text = path.lexically_normal().string();
  while (text.size() > 1 && text.back() == '/') text.pop_back();
  return text;
}

bool is_path(const std::string& source) {
  return !source.empty() && (source.front() == '/' || source.front() == '.' || source.front() == '~');
}

/// A named volume's Engine name, or an error when the file does not declare it.
std::string volume_name(const std::string& key, const Node& at, const ServiceContext& context, Reporter& report) {
  auto it = context.volumes.find(key);
  if (it == context.volumes.end()) {
    report.error(at, fmt::format("refers to undefined volume `{}` (declare it under top-level `volumes`)", key));
    return key;
  }
  return it->second.name;
}

void read_short_volume(const Node& entry, const ServiceContext& context, docker::ContainerSpec& spec,
                       Reporter& report) {
  const std::string& text = entry.scalar;
  std::vector<std::string> parts = split(text, ':');
  if (parts.size() > 3 || parts.back().empty()) {
    report.error(entry, fmt::format("`{}` is not a volume (source:target[:options])", text));
    return;
  }
  docker::Mount mount;
  if (parts.size() == 1) {
    mount.target = parts[0];  // anonymous volume
  } else {
    mount.target = parts[1];
    if (is_path(parts[0])) {
      mount.type = docker::Mount::Type::bind;
      report.guarded(entry, "bad bind source", [&] { mount.source = absolute_source(parts[0], context); });
    } else {
      mount.source = volume_name(parts[0], entry, context, report);
    }
  }
  if (parts.size() == 3) {
    static const std::set<std::string> k_known = {"rw",     "z",         "Z",       "nocopy",  "consistent",
                                                  "cached", "delegated", "shared",  "rshared", "slave",
                                                  "rslave", "private",   "rprivate"};
    for (const std::string& option : split(parts[2], ',')) {
      if (option == "ro")
        mount.read_only = true;
      else if (k_known.count(option) == 0)
        report.error(entry, fmt::format("unknown volume option `{}` in `{}`", option, text));
    }
  }
  if (!mount.target.empty() && mount.target.front() != '/') {
    report.error(entry, fmt::format("volume target `{}` must be an absolute path", mount.target));
  }
  spec.mounts.push_back(mount);
}

void read_long_volume(const Node& entry, const ServiceContext& context, docker::ContainerSpec& spec, Reporter& report) {
  std::string type;
  std::string source;
  docker::Mount mount;
  std::string tmpfs_options;
  for (size_t i = 0; i < entry.keys.size(); ++i) {
    const std::string& key = entry.keys[i];
    const Node& value = entry.items[i];
    if (key == "type" || key == "source" || key == "target") {
      const std::string* text = report.scalar(value, "volumes." + key);
      if (text == nullptr) continue;
      if (key == "type")
        type = *text;
      else if (key == "source")
        source = *text;
      else
        mount.target = *text;
    } else if (key == "read_only") {
      report.guarded(value, "volumes.read_only", [&] { mount.read_only = parse_bool(value.scalar); });
    } else if (key == "tmpfs" && value.is_mapping()) {
      if (const Node* size = value.find("size")) {
        report.guarded(*size, "tmpfs.size",
                       [&] { tmpfs_options = "size=" + std::to_string(parse_bytes(size->scalar)); });
      }
    } else if (key != "bind" && key != "volume" && key != "consistency") {
      report.unsupported("volumes." + key);
    }
  }
  if (mount.target.empty()) {
    report.error(entry, "a long-syntax volume needs `target`");
    return;
  }
  if (type == "tmpfs") {
    spec.tmpfs[mount.target] = tmpfs_options;
    return;
  }
  if (type == "bind") {
    mount.type = docker::Mount::Type::bind;
    if (source.empty()) report.error(entry, "a bind mount needs `source`");
    report.guarded(entry, "bad bind source", [&] { mount.source = absolute_source(source, context); });
  } else if (type == "volume") {
    if (!source.empty()) mount.source = volume_name(source, entry, context, report);
  } else {
    report.error(entry, fmt::format("volume type `{}` is not supported (volume, bind or tmpfs)", type));
    return;
  }
  spec.mounts.push_back(mount);
}

std::vector<std::string> read_test(const Node& node, Reporter& report) {
  if (node.is_scalar()) return {"CMD-SHELL", node.scalar};
  std::vector<std::string> test = report.strings(node, "healthcheck.test");
  static const std::set<std::string> k_kinds = {"CMD", "CMD-SHELL", "NONE"};
  if (!test.empty() && k_kinds.count(test.front()) == 0) {
    report.error(node, "healthcheck.test must start with CMD, CMD-SHELL or NONE");
  }
  return test;
}

}  // namespace

void read_ports(const Node& node, docker::ContainerSpec& spec, Reporter& report) {
  if (!node.is_sequence()) {
    report.error(node, "`ports` must be a list");
    return;
  }
  for (const Node& entry : node.items) {
    if (entry.is_mapping()) {
      read_long_port(entry, spec, report);
      continue;
    }
    const std::string* text = report.scalar(entry, "ports entry");
    if (text == nullptr) continue;
    report.guarded(entry, "bad port", [&] {
      for (const docker::PortBinding& b : parse_port_short(*text)) {
        if (b.host_port == 0) {
          report.warning(fmt::format("port {} has no host port; it is exposed, not published", b.container_port));
        }
        add_unique(spec.ports, b);
      }
    });
  }
}

void read_expose(const Node& node, docker::ContainerSpec& spec, Reporter& report) {
  for (const std::string& text : report.strings(node, "expose")) {
    report.guarded(node, "bad expose", [&] {
      for (const docker::PortBinding& b : parse_expose(text)) {
        bool published = std::any_of(spec.ports.begin(), spec.ports.end(), [&](const docker::PortBinding& p) {
          return p.container_port == b.container_port && p.protocol == b.protocol;
        });
        if (!published) add_unique(spec.ports, b);
      }
    });
  }
}

void read_volumes(const Node& node, const ServiceContext& context, docker::ContainerSpec& spec, Reporter& report) {
  if (!node.is_sequence()) {
    report.error(node, "`volumes` must be a list");
    return;
  }
  for (const Node& entry : node.items) {
    if (entry.is_mapping()) {
      read_long_volume(entry, context, spec, report);
    } else if (report.scalar(entry, "volumes entry") != nullptr) {
      read_short_volume(entry, context, spec, report);
    }
  }
}

void read_tmpfs(const Node& node, docker::ContainerSpec& spec, Reporter& report) {
  for (const std::string& text : report.strings(node, "tmpfs")) {
    size_t colon = text.find(':');
    spec.tmpfs[text.substr(0, colon)] = colon == std::string::npos ? std::string{} : text.substr(colon + 1);
  }
}

void read_healthcheck(const Node& node, docker::ContainerSpec& spec, Reporter& report) {
  if (!node.is_mapping()) {
    report.error(node, "`healthcheck` must be a mapping");
    return;
  }
  docker::Healthcheck check;
  bool disabled = false;
  for (size_t i = 0; i < node.keys.size(); ++i) {
    const std::string& key = node.keys[i];
    const Node& value = node.items[i];
    if (value.is_null()) continue;
    if (key == "test") {
      check.test = read_test(value, report);
      continue;
    }
    const std::string* text = report.scalar(value, "healthcheck." + key);
    if (text == nullptr) continue;
    report.guarded(value, "healthcheck." + key, [&] {
      if (key == "interval")
        check.interval_ns = parse_duration_ns(*text);
      else if (key == "timeout")
        check.timeout_ns = parse_duration_ns(*text);
      else if (key == "start_period")
        check.start_period_ns = parse_duration_ns(*text);
      else if (key == "start_interval")
        check.start_interval_ns = parse_duration_ns(*text);
      else if (key == "retries")
        check.retries = static_cast<int>(parse_int(*text, 0, 1'000'000));
      else if (key == "disable")
        disabled = parse_bool(*text);
      else
        report.unsupported("healthcheck." + key);
    });
  }
  if (disabled) {
    check = docker::Healthcheck{};
    check.test = {"NONE"};
  }
  spec.healthcheck = check;
}

}  // namespace supactl::compose::detail

// SPDX-License-Identifier: Apache-2.0
//
// Types one merged and interpolated service mapping into a compose::Service. Every key is
// either typed, explicitly ignored (`x-*` extensions) or reported: an unsupported key becomes
// a warning ("service X: key `build` is not supported and was ignored") and a wrong value an
// error at its line, so nothing in a compose file is ever dropped without a word.

#include "compose/service.hpp"

#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

namespace supactl::compose::detail {

void Reporter::error(const Node& at, const std::string& message) {
  m_diagnostics.error(at.where, fmt::format("{}: {}", m_subject, message));
}

void Reporter::unsupported(const std::string& key) {
  m_diagnostics.warning(fmt::format("{}: key `{}` is not supported and was ignored", m_subject, key));
}

void Reporter::warning(const std::string& message) { m_diagnostics.warning(fmt::format("{}: {}", m_subject, message)); }

const std::string* Reporter::scalar(const Node& node, const std::string& what) {
  if (node.is_scalar()) return &node.scalar;
  error(node, fmt::format("`{}` must be a single value", what));
  return nullptr;
}

std::vector<std::string> Reporter::strings(const Node& node, const std::string& what) {
  if (node.is_scalar()) return {node.scalar};
  std::vector<std::string> out;
  if (!node.is_sequence()) {
    error(node, fmt::format("`{}` must be a list", what));
    return out;
  }
  for (const Node& item : node.items) {
    if (const std::string* text = scalar(item, what + " entry")) out.push_back(*text);
  }
  return out;
}

namespace {

class ServiceReader {
 public:
  ServiceReader(const std::string& name, const ServiceContext& context, Diagnostics& diagnostics)
      : m_context(context), m_report("service " + name, diagnostics) {
    m_read.service.name = name;
  }

  ReadService read(const Node& node) {
    m_read.where = node.where;
    if (!node.is_mapping()) {
      m_report.error(node, "must be a mapping of service keys");
      return std::move(m_read);
    }
    for (size_t i = 0; i < node.keys.size(); ++i) {
      const std::string& key = node.keys[i];
      if (key.rfind("x-", 0) == 0 || node.items[i].is_null()) continue;
      auto handler = k_handlers.find(key);
      if (handler == k_handlers.end()) {
        m_report.unsupported(key);
      } else {
        (this->*(handler->second))(node.items[i]);
      }
    }
    finish(node);
    return std::move(m_read);
  }

 private:
  using Handler = void (ServiceReader::*)(const Node&);
  static const std::map<std::string, Handler> k_handlers;

  Service& service() { return m_read.service; }
  docker::ContainerSpec& spec() { return m_read.service.spec; }

  void text_into(const Node& node, const char* key, std::string& out) {
    if (const std::string* text = m_report.scalar(node, key)) out = *text;
  }
  void bool_into(const Node& node, const char* key, bool& out) {
    m_report.guarded(node, key, [&] { out = parse_bool(node.scalar); });
  }
  void bytes_into(const Node& node, const char* key, int64_t& out) {
    m_report.guarded(node, key, [&] { out = parse_bytes(node.scalar); });
  }
  void cpus_into(const Node& node, const char* key) {
    m_report.guarded(node, key, [&] { spec().nano_cpus = std::llround(parse_decimal(node.scalar) * 1e9); });
  }
  void replicas_from(const Node& node, const char* key) {
    m_report.guarded(node, key, [&] { service().replicas = static_cast<int>(parse_int(node.scalar, 0, 1000)); });
  }

  std::optional<std::vector<std::string>> words(const Node& node, const char* key) {
    if (node.is_sequence()) return m_report.strings(node, key);
    std::vector<std::string> out;
    m_report.guarded(node, key, [&] { out = shell_split(node.scalar); });
    return out;
  }

  void image(const Node& n) { text_into(n, "image", spec().image); }
  void command(const Node& n) { spec().cmd = words(n, "command"); }
  void entrypoint(const Node& n) { spec().entrypoint = words(n, "entrypoint"); }
  void user(const Node& n) { text_into(n, "user", spec().user); }
  void working_dir(const Node& n) { text_into(n, "working_dir", spec().working_dir); }
  void hostname(const Node& n) { text_into(n, "hostname", spec().hostname); }
  void stop_signal(const Node& n) { text_into(n, "stop_signal", spec().stop_signal); }
  void init(const Node& n) { bool_into(n, "init", spec().init); }
  void stdin_open(const Node& n) { bool_into(n, "stdin_open", spec().open_stdin); }
  void tty(const Node& n) { bool_into(n, "tty", spec().tty); }
  void shm_size(const Node& n) { bytes_into(n, "shm_size", spec().shm_size); }
  void mem_limit(const Node& n) { bytes_into(n, "mem_limit", spec().memory_bytes); }
  void cpus(const Node& n) { cpus_into(n, "cpus"); }
  void scale(const Node& n) { replicas_from(n, "scale"); }
  void security_opt(const Node& n) { spec().security_opt = m_report.strings(n, "security_opt"); }
  void profiles(const Node& n) { service().profiles = m_report.strings(n, "profiles"); }
  void ports(const Node& n) { read_ports(n, spec(), m_report); }
  void expose(const Node& n) { m_expose = &n; }
  void volumes(const Node& n) { read_volumes(n, m_context, spec(), m_report); }
  void tmpfs(const Node& n) { read_tmpfs(n, spec(), m_report); }
  void healthcheck(const Node& n) { read_healthcheck(n, spec(), m_report); }

  void container_name(const Node& n) {
    text_into(n, "container_name", service().container_name);
    m_read.container_name_line = n.where;
  }

  void stop_grace_period(const Node& n) {
    m_report.guarded(n, "stop_grace_period",
                     [&] { spec().stop_timeout = static_cast<int>(parse_duration_ns(n.scalar) / 1'000'000'000); });
  }

  void restart(const Node& n) {
    const std::string* text = m_report.scalar(n, "restart");
    if (text == nullptr) return;
    std::string policy = text->substr(0, text->find(':'));
    if (policy != "no" && policy != "always" && policy != "unless-stopped" && policy != "on-failure") {
      m_report.error(n, fmt::format("restart `{}` is not one of no, always, unless-stopped, on-failure[:N]", *text));
      return;
    }
    spec().restart.name = policy;
    if (policy == "on-failure" && text->find(':') != std::string::npos) {
      m_report.guarded(n, "restart", [&] {
        spec().restart.max_retries = static_cast<int>(parse_int(text->substr(text->find(':') + 1), 0, 1'000'000));
      });
    }
  }

  void environment(const Node& n) {
    if (!n.is_mapping()) {
      m_report.error(n, "`environment` must be a mapping or a list of KEY=value");
      return;
    }
    for (size_t i = 0; i < n.keys.size(); ++i) {
      const Node& value = n.items[i];
      if (value.is_null()) {
        // `KEY` alone: the value comes from the variables, or the entry is dropped.
        auto var = m_context.variables.find(n.keys[i]);
        if (var != m_context.variables.end()) m_environment[n.keys[i]] = var->second;
      } else if (const std::string* text = m_report.scalar(value, "environment." + n.keys[i])) {
        m_environment[n.keys[i]] = *text;
      }
    }
  }

  void env_file(const Node& n) {
    std::vector<std::pair<std::string, bool>> files;  // path, required
    if (n.is_sequence()) {
      for (const Node& item : n.items) {
        if (item.is_mapping()) {
          const Node* path = item.find("path");
          const Node* required = item.find("required");
          bool is_required = true;
          if (required != nullptr) bool_into(*required, "env_file.required", is_required);
          if (path != nullptr && path->is_scalar())
            files.emplace_back(path->scalar, is_required);
          else
            m_report.error(item, "an env_file entry needs `path`");
        } else if (const std::string* text = m_report.scalar(item, "env_file entry")) {
          files.emplace_back(*text, true);
        }
      }
    } else if (const std::string* text = m_report.scalar(n, "env_file")) {
      files.emplace_back(*text, true);
    }
    for (const auto& [relative, required] : files) {
      std::filesystem::path path = m_context.working_dir / relative;
      std::string content;
      try {
        content = core::read_file(path);
      } catch (const Error&) {
        if (required) m_report.error(n, fmt::format("cannot read env_file {}", path.string()));
        continue;
      }
      for (const auto& [key, value] : parse_env_file(content)) m_env_file[key] = value;
    }
  }

  void labels(const Node& n) {
    if (!n.is_mapping()) {
      m_report.error(n, "`labels` must be a mapping or a list of key=value");
      return;
    }
    for (size_t i = 0; i < n.keys.size(); ++i) {
      const Node& value = n.items[i];
      if (value.is_null())
        spec().labels[n.keys[i]] = "";
      else if (const std::string* text = m_report.scalar(value, "labels." + n.keys[i]))
        spec().labels[n.keys[i]] = *text;
    }
  }

  void extra_hosts(const Node& n) {
    if (n.is_mapping()) {
      for (size_t i = 0; i < n.keys.size(); ++i) {
        for (const std::string& ip : m_report.strings(n.items[i], "extra_hosts." + n.keys[i])) {
          spec().extra_hosts.push_back(n.keys[i] + ":" + ip);
        }
      }
      return;
    }
    for (std::string entry : m_report.strings(n, "extra_hosts")) {
      size_t eq = entry.find('=');
      if (eq != std::string::npos) entry[eq] = ':';
      if (entry.find(':') == std::string::npos)
        m_report.error(n, fmt::format("extra_hosts entry `{}` is not host:ip", entry));
      spec().extra_hosts.push_back(entry);
    }
  }

  void depends_on(const Node& n) {
    if (!n.is_mapping()) {
      m_report.error(n, "`depends_on` must be a list of services or a mapping");
      return;
    }
    for (size_t i = 0; i < n.keys.size(); ++i) {
      Dependency dep{.service = n.keys[i], .condition = DependsCondition::started, .restart = false, .required = true};
      const Node& options = n.items[i];
      m_read.dependency_lines[dep.service] = options.where;
      if (!options.is_mapping() && !options.is_null()) {
        m_report.error(options, fmt::format("depends_on.{} must be a mapping", dep.service));
        continue;
      }
      for (size_t j = 0; j < options.keys.size(); ++j) {
        const std::string& key = options.keys[j];
        const Node& value = options.items[j];
        if (key == "condition")
          dependency_condition(value, dep);
        else if (key == "restart")
          bool_into(value, "depends_on.restart", dep.restart);
        else if (key == "required")
          bool_into(value, "depends_on.required", dep.required);
        else
          m_report.unsupported("depends_on." + key);
      }
      service().depends_on.push_back(dep);
    }
  }

  void dependency_condition(const Node& value, Dependency& dep) {
    const std::string* text = m_report.scalar(value, "depends_on.condition");
    if (text == nullptr) return;
    if (*text == "service_started")
      dep.condition = DependsCondition::started;
    else if (*text == "service_healthy")
      dep.condition = DependsCondition::healthy;
    else if (*text == "service_completed_successfully")
      dep.condition = DependsCondition::completed_successfully;
    else
      m_report.error(value, fmt::format("depends_on condition `{}` is not one of service_started, "
                                        "service_healthy, service_completed_successfully",
                                        *text));
  }

  void networks(const Node& n) {
    if (!n.is_mapping()) {
      m_report.error(n, "`networks` must be a list or a mapping");
      return;
    }
    m_networks_node = &n;
    for (size_t i = 0; i < n.keys.size(); ++i) {
      ServiceNetwork joined{.key = n.keys[i], .aliases = {}};
      if (joined.key != "default" && m_context.networks.count(joined.key) == 0) {
        m_report.error(n.items[i], fmt::format("refers to undefined network `{}`", joined.key));
      }
      const Node& options = n.items[i];
      for (size_t j = 0; j < options.keys.size(); ++j) {
        if (options.keys[j] == "aliases")
          joined.aliases = m_report.strings(options.items[j], "aliases");
        else
          m_report.unsupported("networks." + joined.key + "." + options.keys[j]);
      }
      service().networks.push_back(joined);
    }
  }

  void network_mode(const Node& n) {
    const std::string* text = m_report.scalar(n, "network_mode");
    if (text == nullptr) return;
    if (*text != "bridge" && *text != "host" && *text != "none") {
      m_report.error(n, fmt::format("network_mode `{}` is not supported (bridge, host or none)", *text));
      return;
    }
    service().network_mode = *text;
    m_network_mode_node = &n;
  }

  void deploy(const Node& n) {
    if (!n.is_mapping()) m_report.error(n, "`deploy` must be a mapping");
    for (size_t i = 0; i < n.keys.size(); ++i) {
      const Node& value = n.items[i];
      if (n.keys[i] == "replicas") {
        replicas_from(value, "deploy.replicas");
      } else if (n.keys[i] == "resources") {
        for (size_t j = 0; j < value.keys.size(); ++j) {
          if (value.keys[j] == "limits")
            deploy_limits(value.items[j]);
          else
            m_report.unsupported("deploy.resources." + value.keys[j]);
        }
      } else {
        m_report.unsupported("deploy." + n.keys[i]);
      }
    }
  }

  void logging(const Node& n) {
    if (!n.is_mapping()) {
      m_report.error(n, "`logging` must be a mapping");
      return;
    }
    for (size_t i = 0; i < n.keys.size(); ++i) {
      const Node& value = n.items[i];
      if (n.keys[i] == "driver") {
        text_into(value, "logging.driver", spec().log.driver);
      } else if (n.keys[i] == "options") {
        if (!value.is_mapping() && !value.is_null()) m_report.error(value, "`logging.options` must be a mapping");
        for (size_t j = 0; j < value.keys.size(); ++j) {
          if (const std::string* text = m_report.scalar(value.items[j], "logging.options." + value.keys[j])) {
            spec().log.options[value.keys[j]] = *text;
          }
        }
      } else {
        m_report.unsupported("logging." + n.keys[i]);
      }
    }
  }

  void deploy_limits(const Node& limits) {
    for (size_t i = 0; i < limits.keys.size(); ++i) {
      if (limits.keys[i] == "memory")
        bytes_into(limits.items[i], "deploy.resources.limits.memory", spec().memory_bytes);
      else if (limits.keys[i] == "cpus")
        cpus_into(limits.items[i], "deploy.resources.limits.cpus");
      else
        m_report.unsupported("deploy.resources.limits." + limits.keys[i]);
    }
  }

  /// Checks that need the whole service, and the parts merged from several keys.
  void finish(const Node& node) {
    if (m_expose != nullptr) read_expose(*m_expose, spec(), m_report);
    std::map<std::string, std::string> env = m_env_file;
    for (const auto& [key, value] : m_environment) env[key] = value;
    for (const auto& [key, value] : env) spec().env.push_back(key + "=" + value);
    if (node.find("image") == nullptr) m_report.error(node, "has no `image` (supactl does not build images)");
    if (m_network_mode_node != nullptr && m_networks_node != nullptr) {
      m_report.error(*m_network_mode_node, "`network_mode` and `networks` cannot be used together");
    }
    std::sort(service().networks.begin(), service().networks.end(),
              [](const ServiceNetwork& a, const ServiceNetwork& b) { return a.key < b.key; });
    std::sort(service().depends_on.begin(), service().depends_on.end(),
              [](const Dependency& a, const Dependency& b) { return a.service < b.service; });
  }

  const ServiceContext& m_context;
  Reporter m_report;
  ReadService m_read;
  std::map<std::string, std::string> m_environment;
  std::map<std::string, std::string> m_env_file;
  const Node* m_expose = nullptr;
  const Node* m_networks_node = nullptr;
  const Node* m_network_mode_node = nullptr;
};

const std::map<std::string, ServiceReader::Handler> ServiceReader::k_handlers = {
    {"image", &ServiceReader::image},
    {"command", &ServiceReader::command},
    {"entrypoint", &ServiceReader::entrypoint},
    {"environment", &ServiceReader::environment},
    {"env_file", &ServiceReader::env_file},
    {"labels", &ServiceReader::labels},
    {"ports", &ServiceReader::ports},
    {"expose", &ServiceReader::expose},
    {"volumes", &ServiceReader::volumes},
    {"tmpfs", &ServiceReader::tmpfs},
    {"healthcheck", &ServiceReader::healthcheck},
    {"depends_on", &ServiceReader::depends_on},
    {"restart", &ServiceReader::restart},
    {"networks", &ServiceReader::networks},
    {"network_mode", &ServiceReader::network_mode},
    {"container_name", &ServiceReader::container_name},
    {"hostname", &ServiceReader::hostname},
    {"user", &ServiceReader::user},
    {"working_dir", &ServiceReader::working_dir},
    {"stop_signal", &ServiceReader::stop_signal},
    {"stop_grace_period", &ServiceReader::stop_grace_period},
    {"init", &ServiceReader::init},
    {"extra_hosts", &ServiceReader::extra_hosts},
    {"security_opt", &ServiceReader::security_opt},
    {"shm_size", &ServiceReader::shm_size},
    {"stdin_open", &ServiceReader::stdin_open},
    {"tty", &ServiceReader::tty},
    {"profiles", &ServiceReader::profiles},
    {"deploy", &ServiceReader::deploy},
    {"logging", &ServiceReader::logging},
    {"mem_limit", &ServiceReader::mem_limit},
    {"cpus", &ServiceReader::cpus},
    {"scale", &ServiceReader::scale},
};

}  // namespace

ReadService read_service(const std::string& name, const Node& node, const ServiceContext& context,
                         Diagnostics& diagnostics) {
  ServiceReader reader(name, context, diagnostics);
  return reader.read(node);
}

}  // namespace supactl::compose::detail

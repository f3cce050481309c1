// SPDX-License-Identifier: Apache-2.0
//
// The compose model as Swarm objects. One service per compose service; every file the model
// binds in becomes a config (or a secret when it holds a secret value), because another node
// has no rendered/ folder; every environment variable that holds a secret value becomes a
// secret file that a short shell prelude exports before the image's own entrypoint runs.
#include <supactl/swarm/swarm.hpp>

#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/core/sha256.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace supactl::swarm {
namespace {

using nlohmann::json;

/// Where the prelude finds the secret environment: /run/secrets/env.KEY.
constexpr const char* k_env_prefix = "env.";

/// Reads /run/secrets/env.* into the environment, then runs what follows. POSIX sh only.
constexpr const char* k_prelude =
    "for f in /run/secrets/env.*; do [ -f \"$f\" ] || continue; export \"${f#/run/secrets/env.}=$(cat \"$f\")\"; "
    "done; ";

std::string short_hash(std::string_view data) { return core::sha256_hex(data).substr(0, 12); }

/// A Swarm object name of at most 63 characters: PROJECT_STEM_HASH, the stem cut to fit.
std::string object_name(const std::string& project, std::string stem, const std::string& hash) {
  for (char& c : stem) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '-';
  }
  const size_t room = 63 - project.size() - hash.size() - 2;
  if (stem.size() > room) stem.resize(room);
  return fmt::format("{}_{}_{}", project, stem, hash);
}

json base_labels(const std::string& project) {
  return {{k_label_namespace, project}, {compose::k_label_instance, project}};
}

bool holds_secret(std::string_view text, const std::vector<std::string>& secrets) {
  for (const std::string& s : secrets) {
    if (s.size() >= 8 && text.find(s) != std::string_view::npos) return true;
  }
  return false;
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

bool is_shell(const std::vector<std::string>& argv) {
  if (argv.size() < 3) return false;
  const std::string& sh = argv[0];
  const bool shell = sh == "sh" || sh == "/bin/sh" || sh == "bash" || sh == "/bin/bash";
  return shell && argv[1].size() >= 2 && argv[1][0] == '-' && argv[1].find('c') != std::string::npos;
}

/// The environment variables a service reads from secret files, with their values.
struct SecretEnv {
  std::vector<std::pair<std::string, std::string>> vars;  ///< KEY, value; longest value first
  void add(const std::string& key, const std::string& value) {
    vars.emplace_back(key, value);
    std::stable_sort(vars.begin(), vars.end(),
                     [](const auto& a, const auto& b) { return a.second.size() > b.second.size(); });
  }
  /// Replaces each whole secret value in a shell script by a reference to its variable,
  /// quoted for where it stands: "${K}" bare, ${K} in double quotes, '"${K}"' in single ones.
  std::string refer(std::string script) const {
    for (const auto& [key, value] : vars) {
      std::string out;
      char quote = 0;  // the quote we are in: 0, '\'' or '"'
      for (size_t i = 0; i < script.size();) {
        if (script.compare(i, value.size(), value) == 0) {
          const std::string ref = "${" + key + "}";
          out += quote == '\'' ? "'\"" + ref + "\"'" : quote == '"' ? ref : "\"" + ref + "\"";
          i += value.size();
          continue;
        }
        const char c = script[i];
        if (c == '\\' && quote != '\'' && i + 1 < script.size()) {
          out += script.substr(i, 2);
          i += 2;
          continue;
        }
        if ((c == '\'' || c == '"') && (quote == 0 || quote == c)) quote = quote == 0 ? c : 0;
        out += c;
        ++i;
      }
      script = std::move(out);
    }
    return script;
  }
};

std::string single_quoted(const std::string& word) {
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

int64_t seconds_ns(int s) { return static_cast<int64_t>(s) * 1000000000LL; }

json healthcheck_json(const docker::Healthcheck& h, const std::vector<std::string>& test) {
  json out = {{"Test", test}};
  if (h.interval_ns != 0) out["Interval"] = h.interval_ns;
  if (h.timeout_ns != 0) out["Timeout"] = h.timeout_ns;
  if (h.start_period_ns != 0) out["StartPeriod"] = h.start_period_ns;
  if (h.retries != 0) out["Retries"] = h.retries;
  return out;
}

class Builder {
 public:
  Builder(const compose::Project& project, const Options& options, Desired& out)
      : m_project(project), m_options(options), m_out(out) {}

  void add(const compose::Service& s, const std::set<std::string>& jobs) {
    if (!s.network_mode.empty()) {
      throw Error(fmt::format("service {} sets network_mode: {}, which a Swarm service cannot", s.name, s.network_mode),
                  ExitCode::usage, "remove network_mode from compose.override.yml, or run the instance standalone");
    }
    const docker::ContainerSpec& c = s.spec;
    ServiceObject svc;
    svc.service = s.name;
    svc.name = fmt::format("{}_{}", m_project.name, s.name);
    svc.job = jobs.count(s.name) != 0;
    svc.depends_on = s.depends_on;
    svc.replicas = svc.job ? 1 : s.replicas;
    svc.stateful = m_options.stateful.count(s.name) != 0 ||
                   std::any_of(c.mounts.begin(), c.mounts.end(),
                               [](const docker::Mount& m) { return m.type == docker::Mount::Type::volume; });
    if (svc.stateful) svc.replicas = std::min(svc.replicas, 1);

    // Environment: values holding a secret go to files, unless the image has no shell.
    const bool shell = m_options.no_shell_services.count(s.name) == 0;
    SecretEnv secret_env;
    json env = json::array();
    json secrets = json::array();
    for (const std::string& kv : c.env) {
      const size_t eq = kv.find('=');
      const std::string key = kv.substr(0, eq);
      const std::string value = eq == std::string::npos ? std::string() : kv.substr(eq + 1);
      if (!holds_secret(value, m_options.secret_values)) {
        env.push_back(kv);
        continue;
      }
      if (!shell) {
        env.push_back(kv);
        svc.visible_secret_env.push_back(key);
        continue;
      }
      add_secret_env(key, value, secret_env, secrets);
    }

    json container = {{"Image", c.image}, {"Env", env}};
    container["Labels"] = container_labels(s);
    // Shell scripts (a `sh -c` command, a CMD-SHELL health test) got secret values written in
    // at render time: each becomes a reference to a variable the prelude exports.
    std::vector<std::string> argv = effective_argv(s);
    std::optional<std::vector<std::string>> test;
    if (c.healthcheck) {
      test = c.healthcheck->test;
      // Swarm puts a task in the service's DNS only once it is healthy: a health test that
      // calls its own service by name (storage's) would never pass. It calls itself directly.
      for (std::string& arg : *test) replace_all(arg, "://" + s.name + ":", "://127.0.0.1:");
    }
    if (shell) {
      if (is_shell(argv)) argv[2] = conceal(argv[2], secret_env, secrets);
      // An exec-form test that holds a secret becomes a shell one, its words quoted.
      if (test && test->size() >= 2 && (*test)[0] == "CMD" &&
          std::any_of(test->begin() + 1, test->end(),
                      [&](const std::string& a) { return holds_secret(a, m_options.secret_values); })) {
        std::string line;
        for (size_t i = 1; i < test->size(); ++i) line += (i > 1 ? " " : "") + single_quoted((*test)[i]);
        *test = {"CMD-SHELL", line};
      }
      if (test && test->size() == 2 && (*test)[0] == "CMD-SHELL") (*test)[1] = conceal((*test)[1], secret_env, secrets);
    }
    if (secret_env.vars.empty()) {
      if (c.entrypoint) container["Command"] = *c.entrypoint;
      if (c.cmd) container["Args"] = *c.cmd;
    } else {
      container["Command"] = std::vector<std::string>{"/bin/sh", "-c", std::string(k_prelude) + "exec \"$@\"", "sh"};
      container["Args"] = argv;
      if (test && test->size() == 2 && (*test)[0] == "CMD-SHELL") (*test)[1] = k_prelude + (*test)[1];
    }
    if (!c.user.empty()) container["User"] = c.user;
    if (!c.working_dir.empty()) container["Dir"] = c.working_dir;
    if (!c.hostname.empty()) container["Hostname"] = c.hostname;
    if (!c.stop_signal.empty()) container["StopSignal"] = c.stop_signal;
    if (c.stop_timeout) container["StopGracePeriod"] = seconds_ns(*c.stop_timeout);
    if (c.init) container["Init"] = true;
    if (c.open_stdin) container["OpenStdin"] = true;
    if (c.tty) container["TTY"] = true;
    if (!c.extra_hosts.empty()) container["Hosts"] = hosts_of(c.extra_hosts);
    if (c.healthcheck) container["Healthcheck"] = healthcheck_json(*c.healthcheck, *test);

    json mounts = json::array();
    json configs = json::array();
    for (const docker::Mount& m : c.mounts) add_mount(s, m, mounts, configs, secrets);
    for (const auto& [path, opts] : c.tmpfs) mounts.push_back({{"Type", "tmpfs"}, {"Target", path}});
    if (!mounts.empty()) container["Mounts"] = mounts;
    if (!configs.empty()) container["Configs"] = configs;
    if (!secrets.empty()) container["Secrets"] = secrets;

    json task = {{"ContainerSpec", container}};
    if (c.memory_bytes != 0 || c.nano_cpus != 0) {
      json limits = json::object();
      if (c.memory_bytes != 0) limits["MemoryBytes"] = c.memory_bytes;
      if (c.nano_cpus != 0) limits["NanoCPUs"] = c.nano_cpus;
      task["Resources"] = {{"Limits", limits}};
    }
    task["RestartPolicy"] = svc.job ? json{{"Condition", "on-failure"}, {"MaxAttempts", 5}, {"Delay", seconds_ns(2)}}
                                    : json{{"Condition", "any"}, {"Delay", seconds_ns(2)}};
    if (svc.stateful) {
      task["Placement"] = {{"Constraints", {"node.labels." + placement_label(m_project.name, s.name) + "==true"}}};
    }
    task["Networks"] = networks_of(s);
    if (!c.log.driver.empty() || !c.log.options.empty()) {
      task["LogDriver"] = {{"Name", c.log.driver.empty() ? "json-file" : c.log.driver}, {"Options", c.log.options}};
    }

    task["ContainerSpec"]["Labels"][k_label_task_hash] = core::sha256_hex(task.dump());
    json spec = {{"Name", svc.name}, {"TaskTemplate", task}};
    json labels = base_labels(m_project.name);
    labels[k_label_service] = s.name;
    labels["com.docker.stack.image"] = c.image;
    spec["Labels"] = labels;
    if (svc.job) {
      spec["Mode"] = {{"ReplicatedJob", {{"MaxConcurrent", 1}, {"TotalCompletions", 1}}}};
    } else {
      spec["Mode"] = {{"Replicated", {{"Replicas", svc.replicas}}}};
      // Stateless: the new task is healthy before the old one stops, and a failed update
      // rolls back by itself. Stateful: one task owns the data, so the old one stops first.
      const std::string order = svc.stateful ? "stop-first" : "start-first";
      spec["UpdateConfig"] = {{"Parallelism", 1},
                              {"Order", order},
                              {"FailureAction", svc.stateful ? "pause" : "rollback"},
                              {"Monitor", seconds_ns(5)}};
      spec["RollbackConfig"] = {{"Parallelism", 1}, {"Order", order}};
    }
    json endpoint = {{"Mode", "dnsrr"}};
    json ports = json::array();
    for (const docker::PortBinding& p : c.ports) {
      if (p.host_port == 0) continue;
      ports.push_back({{"Protocol", p.protocol.empty() ? "tcp" : p.protocol},
                       {"TargetPort", p.container_port},
                       {"PublishedPort", p.host_port},
                       {"PublishMode", "host"}});
    }
    if (!ports.empty()) endpoint["Ports"] = ports;
    spec["EndpointSpec"] = endpoint;

    svc.hash = core::sha256_hex(spec.dump());
    spec["Labels"][k_label_spec_hash] = svc.hash;
    svc.spec = std::move(spec);
    m_out.services[s.name] = std::move(svc);
  }

 private:
  json container_labels(const compose::Service& s) const {
    // Compose's labels too: on this node, `docker compose -p NAME ps` and every command that
    // finds a service's container by them (psql, backup, exec) see the task.
    json labels = base_labels(m_project.name);
    labels[compose::k_label_project] = m_project.name;
    labels[compose::k_label_service] = s.name;
    labels[compose::k_label_oneoff] = "False";
    for (const auto& [k, v] : s.spec.labels) labels[k] = v;
    return labels;
  }

  /// The whole command line the container runs: entrypoint then command, the image's where
  /// compose sets none (Docker's rule: a new entrypoint drops the image's command).
  std::vector<std::string> effective_argv(const compose::Service& s) const {
    const docker::ContainerSpec& c = s.spec;
    auto image = m_options.image_commands.find(c.image);
    const bool known = image != m_options.image_commands.end();
    std::vector<std::string> argv;
    if (c.entrypoint) {
      argv = *c.entrypoint;
    } else if (known) {
      argv = image->second.first;
    }
    if (c.cmd) {
      argv.insert(argv.end(), c.cmd->begin(), c.cmd->end());
    } else if (!c.entrypoint && known) {
      argv.insert(argv.end(), image->second.second.begin(), image->second.second.end());
    }
    return argv;
  }

  void add_secret_env(const std::string& key, const std::string& value, SecretEnv& env, json& secrets) const {
    env.add(key, value);
    const std::string name = object_name(m_project.name, "env-" + key, short_hash(key + "=" + value));
    add_file(m_out.secrets, name, value);
    secrets.push_back(
        {{"File", {{"Name", k_env_prefix + key}, {"UID", "0"}, {"GID", "0"}, {"Mode", 0444}}}, {"SecretName", name}});
  }

  /// `script` with every secret value replaced by a variable reference; a value no variable
  /// holds gets one of its own (SUPACTL_SECRET_<hash>).
  std::string conceal(std::string script, SecretEnv& env, json& secrets) const {
    script = env.refer(script);
    for (const std::string& value : m_options.secret_values) {
      if (value.size() < 8 || script.find(value) == std::string::npos) continue;
      add_secret_env("SUPACTL_SECRET_" + short_hash(value).substr(0, 8), value, env, secrets);
      script = env.refer(script);
    }
    return script;
  }

  static json hosts_of(const std::vector<std::string>& extra_hosts) {
    // Compose writes host:ip; a ServiceSpec wants "ip host".
    json out = json::array();
    for (const std::string& h : extra_hosts) {
      const size_t colon = h.find(':');
      if (colon == std::string::npos) continue;
      out.push_back(h.substr(colon + 1) + " " + h.substr(0, colon));
    }
    return out;
  }

  json networks_of(const compose::Service& s) const {
    json out = json::array();
    std::vector<compose::ServiceNetwork> nets = s.networks;
    if (nets.empty()) nets.push_back({"default", {}});
    for (const compose::ServiceNetwork& n : nets) {
      auto it = m_project.networks.find(n.key);
      const std::string name = it == m_project.networks.end() ? m_project.name + "_" + n.key : it->second.name;
      std::vector<std::string> aliases{s.name};
      aliases.insert(aliases.end(), n.aliases.begin(), n.aliases.end());
      out.push_back({{"Target", name}, {"Aliases", aliases}});
    }
    return out;
  }

  void add_file(std::map<std::string, FileObject>& into, const std::string& name, const std::string& data) const {
    if (into.count(name) != 0) return;
    json labels = base_labels(m_project.name);
    into[name] = FileObject{name, data, labels};
  }

  /// One file below a bind mount: a config, or a secret when it holds a secret value.
  void add_bound_file(const std::filesystem::path& file, const std::string& target, json& configs,
                      json& secrets) const {
    const std::string data = core::read_file(file);
    const std::string stem = file.filename().string();
    const bool secret = holds_secret(data, m_options.secret_values);
    const std::string name = object_name(m_project.name, stem, short_hash(data));
    std::error_code ec;
    const auto perms = std::filesystem::status(file, ec).permissions();
    const bool exec =
        (perms & std::filesystem::perms::owner_exec) != std::filesystem::perms::none || file.extension() == ".sh";
    json ref = {{"File", {{"Name", target}, {"UID", "0"}, {"GID", "0"}, {"Mode", exec ? 0555 : 0444}}}};
    if (secret) {
      add_file(m_out.secrets, name, data);
      ref["SecretName"] = name;
      secrets.push_back(ref);
    } else {
      add_file(m_out.configs, name, data);
      ref["ConfigName"] = name;
      configs.push_back(ref);
    }
  }

  void add_mount(const compose::Service& s, const docker::Mount& m, json& mounts, json& configs, json& secrets) const {
    switch (m.type) {
      case docker::Mount::Type::tmpfs: mounts.push_back({{"Type", "tmpfs"}, {"Target", m.target}}); return;
      case docker::Mount::Type::volume: {
        json labels = json::object();
        for (const auto& [key, vol] : m_project.volumes) {
          if (vol.name == m.source) labels = compose::volume_labels(m_project, vol);
        }
        labels[k_label_namespace] = m_project.name;
        mounts.push_back({{"Type", "volume"},
                          {"Source", m.source},
                          {"Target", m.target},
                          {"ReadOnly", m.read_only},
                          {"VolumeOptions", {{"Labels", labels}}}});
        return;
      }
      case docker::Mount::Type::bind: break;
    }
    std::error_code ec;
    std::filesystem::path source(m.source);
    if (!m_options.files_from.empty() && m.source.rfind(m_options.files_from.string(), 0) == 0) {
      source = m_options.files_at / std::filesystem::relative(source, m_options.files_from);
    }
    const auto st = std::filesystem::status(source, ec);
    if (std::filesystem::is_regular_file(st)) {
      add_bound_file(source, m.target, configs, secrets);
      return;
    }
    if (std::filesystem::is_directory(st)) {
      std::vector<std::filesystem::path> files;
      for (const auto& e : std::filesystem::recursive_directory_iterator(source, ec)) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
      std::sort(files.begin(), files.end());
      for (const std::filesystem::path& f : files) {
        add_bound_file(f, (std::filesystem::path(m.target) / std::filesystem::relative(f, source)).string(), configs,
                       secrets);
      }
      return;
    }
    if (std::filesystem::exists(st)) {
      // A host path every node has (the Docker socket): bound as it is.
      mounts.push_back({{"Type", "bind"}, {"Source", m.source}, {"Target", m.target}, {"ReadOnly", m.read_only}});
      return;
    }
    throw Error(
        fmt::format("service {} binds {}, which does not exist", s.name, m.source), ExitCode::usage,
        fmt::format("run `supactl render {}` again, or remove the mount from compose.override.yml", m_project.name));
  }

  const compose::Project& m_project;
  const Options& m_options;
  Desired& m_out;
};

}  // namespace

std::string placement_label(const std::string& project, const std::string& service) {
  return fmt::format("dev.supactl.place.{}.{}", project, service);
}

Desired desired(const compose::Project& project, const Options& options) {
  Desired out;
  out.project = project.name;
  for (const auto& [key, n] : project.networks) {
    if (n.external) continue;
    docker::NetworkSpec spec;
    spec.name = n.name;
    spec.driver = "overlay";
    spec.internal = n.internal;
    spec.attachable = true;  // so one-off containers (psql, backups) can join on any node
    spec.labels = compose::network_labels(project, n);
    spec.labels[k_label_namespace] = project.name;
    out.networks.push_back(spec);
  }
  // Services others wait on until they exit 0 run once.
  std::set<std::string> jobs;
  for (const auto& [name, s] : project.services) {
    for (const compose::Dependency& d : s.depends_on) {
      if (d.condition == compose::DependsCondition::completed_successfully) jobs.insert(d.service);
    }
  }
  Builder builder(project, options, out);
  for (const auto& [name, s] : project.services) builder.add(s, jobs);
  return out;
}

}  // namespace supactl::swarm

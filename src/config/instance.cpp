// SPDX-License-Identifier: Apache-2.0
//
// Instances on disk: loading one (spec + secrets, both checked), listing them, the ports
// they have been promised, and creating a new one. Creation is all-or-nothing: files are
// written into a hidden temporary folder that is renamed into place at the end, so a failed
// `init` leaves the home as it found it and an existing instance is never touched.
#include <supactl/config/instance.hpp>

#include <supactl/config/home.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/core/lock.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <regex>
#include <utility>

namespace supactl::config {

namespace {

namespace fs = std::filesystem;

/// Creates `dir` and its missing parents, remembering which ones it made so that a failed
/// `init` can remove exactly those (when still empty).
class CreatedDirs {
 public:
  void ensure(const fs::path& dir) {
    std::vector<fs::path> missing;
    for (fs::path p = dir; !p.empty() && !fs::exists(p); p = p.parent_path()) {
      missing.push_back(p);
      if (p == p.parent_path()) break;
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
      if (::mkdir(it->c_str(), 0700) != 0 && errno != EEXIST) {
        int e = errno;
        throw Error(fmt::format("cannot create {}: {}", it->string(), std::strerror(e)), ExitCode::failure,
                    "choose a writable folder with --home DIR or SUPACTL_HOME");
      }
      m_created.push_back(*it);
    }
  }
  /// Removes the folders it created, innermost first, while they are empty.
  void rollback() {
    for (auto it = m_created.rbegin(); it != m_created.rend(); ++it) ::rmdir(it->c_str());
    m_created.clear();
  }
  void commit() { m_created.clear(); }

 private:
  std::vector<fs::path> m_created;
};

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void check_service_names(const std::vector<std::string>& names, const char* option) {
  for (const std::string& s : names) {
    const std::vector<std::string>& optional = optional_services();
    if (std::find(optional.begin(), optional.end(), s) != optional.end()) continue;
    const std::vector<std::string>& all = all_services();
    bool core = std::find(all.begin(), all.end(), s) != all.end();
    throw Error(
        fmt::format("{} `{}`: {}", option, s, core ? "this service is always part of an instance" : "no such service"),
        ExitCode::usage, fmt::format("choose from: {}", fmt::join(optional, ", ")));
  }
}

}  // namespace

Instance load_instance(const fs::path& home, const std::string& name) {
  validate_name(name);
  Instance inst;
  inst.name = name;
  inst.dir = instance_dir(home, name);
  std::error_code ec;
  if (!fs::exists(inst.spec_file(), ec)) {
    throw Error(fmt::format("no instance `{}` in {}", name, home.string()), ExitCode::not_found,
                fmt::format("run `supactl init {}` (or `supactl ls` for the existing ones)", name));
  }
  inst.spec = parse_spec(core::read_file(inst.spec_file()), "instance.yaml");
  if (inst.spec.name != name) {
    throw Error(fmt::format("instance.yaml:1: name `{}` does not match the folder name `{}`", inst.spec.name, name),
                ExitCode::usage, fmt::format("set `name: {}` in {}", name, inst.spec_file().string()));
  }
  inst.secrets = secrets::read_secrets_file(inst.secrets_file());
  std::vector<std::string> problems = secrets::check_secrets(inst.secrets, now_seconds());
  if (!problems.empty()) {
    throw Error(fmt::format("secrets.env: {}", fmt::join(problems, "; ")), ExitCode::usage,
                fmt::format("fix {}", inst.secrets_file().string()));
  }
  return inst;
}

std::vector<std::string> list_instances(const fs::path& home) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(home / "instances", ec)) {
    std::string name = e.path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    std::error_code exists_ec;
    if (fs::exists(e.path() / "instance.yaml", exists_ec)) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

namespace {

/// The spec of every instance of `home` but `except`, by name; one whose instance.yaml does
/// not load is left out, and `skipped(name, why)` is told.
std::vector<std::pair<std::string, InstanceSpec>> other_specs(
    const fs::path& home, const std::string& except,
    const std::function<void(const std::string&, const std::string&)>& skipped) {
  std::vector<std::pair<std::string, InstanceSpec>> out;
  for (const std::string& name : list_instances(home)) {
    if (name == except) continue;
    try {
      out.emplace_back(
          name, parse_spec(core::read_file(instance_dir(home, name) / "instance.yaml"), name + "/instance.yaml"));
    } catch (const Error& e) {
      skipped(name, e.what());
    }
  }
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

ports::ReservedPorts reserved_ports(const fs::path& home, const std::string& except) {
  ports::ReservedPorts out;
  auto warn = [](const std::string& name, const std::string& why) {
    spdlog::warn("skipping the ports of instance {}: {}", name, why);
  };
  for (const auto& [name, spec] : other_specs(home, except, warn)) {
    for (int port :
         {spec.ports.http, spec.ports.https, spec.ports.db, spec.ports.pooler_session, spec.ports.pooler_transaction}) {
      if (port != 0) out.emplace(port, name);
    }
  }
  return out;
}

std::string domain_owner(const fs::path& home, const std::string& domain, const std::string& except) {
  const std::string wanted = lower(domain);
  if (wanted.empty() || wanted == "localhost") return {};
  auto note = [](const std::string& name, const std::string& why) {
    spdlog::debug("domain check: skipping instance {}: {}", name, why);
  };
  for (const auto& [name, spec] : other_specs(home, except, note)) {
    if (lower(spec.domain) == wanted) return name;
  }
  return {};
}

void refuse_taken_domain(const fs::path& home, const std::string& name, const std::string& domain,
                         const std::string& fix) {
  const std::string owner = domain_owner(home, domain, name);
  if (owner.empty()) return;
  throw Error(fmt::format("domain {} is already used by instance {}", domain, owner), ExitCode::conflict,
              fmt::format("{}, or remove {} with `supactl rm {}`", fix, owner, owner));
}

void save_spec(const fs::path& path, const InstanceSpec& spec) {
  core::write_file_atomic(path, format_spec(spec), 0644);
}

Instance create_instance(const fs::path& home, const std::string& name, const CreateOptions& options,
                         const ports::PortRange& range, const ports::PortProbe& probe, std::int64_t now) {
  // 1. Everything that needs no disk access: the name, the options, the spec they make.
  validate_new_name(name);
  check_service_names(options.exclude, "--exclude");
  check_service_names(options.enable, "--enable");
  InstanceSpec spec;
  spec.name = name;
  if (!options.domain.empty()) spec.domain = options.domain;
  // Without a domain the instance is for this host: plain http://localhost:PORT on loopback,
  // which browsers, supabase-js and e-mail links accept without a private CA (tls.mode
  // internal brings that back on request). With a domain: HTTPS as before.
  spec.tls.mode = options.domain.empty() ? TlsMode::off : TlsMode::internal;
  spec.registry = options.registry;
  spec.public_url = options.public_url;
  if (!options.edge.empty()) spec.edge = options.edge;
  if (options.swarm) spec.engine_mode = "swarm";
  for (const std::string& s : options.enable) spec.services[s] = true;
  for (const std::string& s : options.exclude) spec.services[s] = false;
  spec.ports = Ports{.http = 8000, .https = 8443, .db = 0};  // placeholders for the check below

  const fs::path dir = instance_dir(home, name);
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    throw Error(fmt::format("instance `{}` already exists in {}", name, home.string()), ExitCode::conflict,
                fmt::format("choose another name, or use `supactl render {}` / `supactl up {}`", name, name));
  }
  // The options must make a valid spec (e.g. --exclude meta while studio stays on, a
  // --public-url with a path).
  try {
    parse_spec(format_spec(spec), "options");
  } catch (const Error& e) {
    std::string message = std::regex_replace(std::string(e.what()), std::regex("(^|\n)options:[0-9]+: "), "$1");
    throw Error(
        message, ExitCode::usage,
        "change the option the message names (--domain, --public-url, --edge, --registry, --exclude, --enable); "
        "nothing was created");
  }

  // 2. The instances folder, locked so concurrent `init`s never hand out the same ports.
  CreatedDirs created;
  const fs::path instances = home / "instances";
  fs::path temp;
  try {
    created.ensure(instances);
    const core::FileLock lock = core::FileLock::directory(instances);
    if (fs::exists(dir, ec)) {
      throw Error(fmt::format("instance `{}` already exists in {}", name, home.string()), ExitCode::conflict,
                  "choose another name");
    }
    // Under the lock, so two `init`s cannot both take one domain.
    refuse_taken_domain(home, name, spec.domain, "choose another --domain");

    // 3. Ports, secrets, then the files, written aside and moved into place in one rename.
    ports::PortRequest request = options.ports;
    request.want_pooler = spec.enabled("supavisor");
    ports::PortAssignment assigned = ports::allocate_ports(request, reserved_ports(home, name), range, probe);
    spec.ports = Ports{.http = assigned.http,
                       .https = assigned.https,
                       .db = assigned.db,
                       .pooler_session = assigned.pooler_session,
                       .pooler_transaction = assigned.pooler_transaction};
    Instance inst{.name = name, .dir = dir, .spec = spec, .secrets = secrets::generate_secrets(now)};

    std::string pattern = (instances / ("." + name + ".new-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      int e = errno;
      throw Error(fmt::format("cannot write in {}: {}", instances.string(), std::strerror(e)), ExitCode::failure,
                  "choose a writable folder with --home DIR or SUPACTL_HOME");
    }
    temp = pattern;
    save_spec(temp / "instance.yaml", inst.spec);
    secrets::write_secrets_file(temp / "secrets.env", inst.secrets);
    if (::rename(temp.c_str(), dir.c_str()) != 0) {
      int e = errno;
      throw Error(fmt::format("cannot create {}: {}", dir.string(), std::strerror(e)),
                  e == EEXIST || e == ENOTEMPTY ? ExitCode::conflict : ExitCode::failure);
    }
    ::chmod(dir.c_str(), 0700);
    created.commit();
    return inst;
  } catch (...) {
    if (!temp.empty()) fs::remove_all(temp, ec);
    created.rollback();
    throw;
  }
}

std::string restoring_from(const Instance& inst) {
  std::error_code ec;
  if (!fs::exists(inst.restoring_file(), ec)) return {};
  std::string text = core::read_file(inst.restoring_file());
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text.empty() ? std::string("an unknown archive") : text;
}

namespace {

/// Whether host path `source` (relative to rendered/, where compose resolves it) stays inside
/// the instance folder.
bool inside_instance(const Instance& inst, const std::string& source) {
  if (source.empty() || source[0] == '~') return false;
  fs::path p = fs::path(source).is_absolute() ? fs::path(source) : inst.rendered_dir() / source;
  const std::string norm = p.lexically_normal().string();
  const std::string dir = inst.dir.lexically_normal().string();
  return norm == dir || norm.rfind(dir + "/", 0) == 0;
}

bool is_host_path(const std::string& s) { return !s.empty() && (s[0] == '/' || s[0] == '.' || s[0] == '~'); }

}  // namespace

void check_override(const Instance& inst) {
  std::error_code ec;
  if (inst.spec.overrides_allow_host_access || !fs::exists(inst.override_file(), ec)) return;
  YAML::Node root;
  try {
    root = YAML::LoadFile(inst.override_file().string());
  } catch (const YAML::Exception& e) {
    throw Error(fmt::format("compose.override.yml:{}: {}", e.mark.line + 1, e.msg), ExitCode::usage,
                "fix the YAML syntax of compose.override.yml");
  }
  const YAML::Node services = root["services"];
  if (!services || !services.IsMap()) return;
  auto refuse = [&](const std::string& service, const std::string& key, const std::string& what) {
    throw Error(fmt::format("compose.override.yml: services.{}.{} {}", service, key, what), ExitCode::usage,
                "remove it, or set `overrides.allow_host_access: true` in instance.yaml if this container "
                "really needs the host");
  };
  const std::string hands = "hands the host to the container";
  for (const auto& entry : services) {
    const std::string name = entry.first.Scalar();
    const YAML::Node s = entry.second;
    if (!s.IsMap()) continue;
    if (s["privileged"] && s["privileged"].IsScalar() && s["privileged"].Scalar() != "false")
      refuse(name, "privileged", hands);
    for (const char* key : {"cap_add", "devices", "device_cgroup_rules"}) {
      if (s[key]) refuse(name, key, hands);
    }
    for (const char* key : {"network_mode", "pid", "ipc", "uts", "userns_mode"}) {
      if (s[key] && s[key].IsScalar() && s[key].Scalar() == "host") refuse(name, std::string(key) + ": host", hands);
    }
    if (const YAML::Node opts = s["security_opt"]; opts && opts.IsSequence()) {
      for (const YAML::Node& o : opts) {
        if (o.IsScalar() && o.Scalar().find("unconfined") != std::string::npos) {
          refuse(name, "security_opt `" + o.Scalar() + "`", "turns off the container's confinement");
        }
      }
    }
    if (const YAML::Node vols = s["volumes"]; vols && vols.IsSequence()) {
      for (const YAML::Node& v : vols) {
        std::string source;
        if (v.IsScalar()) {
          const std::string text = v.Scalar();
          const std::size_t colon = text.find(':');
          if (colon != std::string::npos && is_host_path(text.substr(0, colon))) source = text.substr(0, colon);
        } else if (v.IsMap() && v["type"] && v["type"].Scalar() == "bind" && v["source"]) {
          source = v["source"].Scalar();
        }
        if (!source.empty() && !inside_instance(inst, source)) {
          refuse(name, "volumes `" + source + "`", "mounts a host path outside the instance folder");
        }
      }
    }
    if (const YAML::Node ports = s["ports"]; name == "db" && ports && ports.IsSequence()) {
      for (const YAML::Node& p : ports) {
        const std::string text =
            p.IsScalar() ? p.Scalar() : (p["host_ip"] ? p["host_ip"].Scalar() + ":" : std::string());
        if (text.rfind("127.0.0.1:", 0) != 0) {
          refuse(name, "ports `" + text + "`", "publishes Postgres beyond 127.0.0.1");
        }
      }
    }
  }
}

bool is_swarm_instance(const std::filesystem::path& home, const std::string& name) {
  std::error_code ec;
  if (!std::filesystem::exists(instance_dir(home, name), ec)) return false;
  try {
    return load_instance(home, name).spec.swarm();
  } catch (const Error&) {
    return false;
  }
}

}  // namespace supactl::config

// SPDX-License-Identifier: Apache-2.0
//
// JSON encoding and decoding for the Engine API. Decoders are lenient about missing or null
// fields (the Engine omits empty ones and older versions lack some), never about types of
// fields that are present.
#include "docker/json_codec.hpp"

#include <cstdlib>

namespace supactl::docker {
namespace {

using nlohmann::json;

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t num(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<int64_t>() : 0;
}

bool flag(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

Labels labels_of(const json& j, const char* key) {
  Labels out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_object()) return out;
  for (auto& [k, v] : it->items()) {
    if (v.is_string()) out[k] = v.get<std::string>();
  }
  return out;
}

std::vector<std::string> strings(const json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const json& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

std::string port_key(const PortBinding& p) { return std::to_string(p.container_port) + "/" + p.protocol; }

/// "5432/tcp" -> (5432, "tcp")
std::pair<uint16_t, std::string> split_port_key(const std::string& key) {
  auto slash = key.find('/');
  auto port = static_cast<uint16_t>(std::atoi(key.substr(0, slash).c_str()));
  return {port, slash == std::string::npos ? "tcp" : key.substr(slash + 1)};
}

}  // namespace

int compare_api(const std::string& a, const std::string& b) {
  auto parts = [](const std::string& v) {
    auto dot = v.find('.');
    return std::pair<int, int>{std::atoi(v.substr(0, dot).c_str()),
                               dot == std::string::npos ? 0 : std::atoi(v.substr(dot + 1).c_str())};
  };
  auto pa = parts(a);
  auto pb = parts(b);
  if (pa.first != pb.first) return pa.first < pb.first ? -1 : 1;
  if (pa.second != pb.second) return pa.second < pb.second ? -1 : 1;
  return 0;
}

std::string encode_filters(const Filters& filters) {
  json j = json::object();
  for (const auto& [term, values] : filters.terms) {
    json v = json::object();
    for (const std::string& value : values) v[value] = true;
    j[term] = v;
  }
  return j.dump();
}

json encode_container(const ContainerSpec& spec, bool multi_network, bool start_interval) {
  json j = {{"Image", spec.image}, {"Labels", spec.labels}};
  if (!spec.env.empty()) j["Env"] = spec.env;
  if (spec.cmd) j["Cmd"] = *spec.cmd;
  if (spec.entrypoint) j["Entrypoint"] = *spec.entrypoint;
  if (!spec.user.empty()) j["User"] = spec.user;
  if (!spec.working_dir.empty()) j["WorkingDir"] = spec.working_dir;
  if (!spec.hostname.empty()) j["Hostname"] = spec.hostname;
  if (!spec.stop_signal.empty()) j["StopSignal"] = spec.stop_signal;
  if (spec.stop_timeout) j["StopTimeout"] = *spec.stop_timeout;
  if (spec.open_stdin) j["OpenStdin"] = true;
  if (spec.tty) j["Tty"] = true;
  if (spec.healthcheck) {
    const Healthcheck& h = *spec.healthcheck;
    json hc = {{"Test", h.test}};
    if (h.interval_ns != 0) hc["Interval"] = h.interval_ns;
    if (h.timeout_ns != 0) hc["Timeout"] = h.timeout_ns;
    if (h.start_period_ns != 0) hc["StartPeriod"] = h.start_period_ns;
    if (start_interval && h.start_interval_ns != 0) hc["StartInterval"] = h.start_interval_ns;
    if (h.retries != 0) hc["Retries"] = h.retries;
    j["Healthcheck"] = hc;
  }
  json host = json::object();
  json exposed = json::object();
  json bindings = json::object();
  for (const PortBinding& p : spec.ports) {
    exposed[port_key(p)] = json::object();
    if (p.host_port != 0) {
      bindings[port_key(p)].push_back({{"HostIp", p.host_ip}, {"HostPort", std::to_string(p.host_port)}});
    }
  }
  if (!exposed.empty()) j["ExposedPorts"] = exposed;
  if (!bindings.empty()) host["PortBindings"] = bindings;
  json mounts = json::array();
  for (const Mount& m : spec.mounts) {
    const char* type = m.type == Mount::Type::bind ? "bind" : m.type == Mount::Type::tmpfs ? "tmpfs" : "volume";
    json mj = {{"Type", type}, {"Target", m.target}, {"ReadOnly", m.read_only}};
    if (m.type != Mount::Type::tmpfs) mj["Source"] = m.source;
    mounts.push_back(mj);
  }
  if (!mounts.empty()) host["Mounts"] = mounts;
  if (!spec.tmpfs.empty()) host["Tmpfs"] = spec.tmpfs;
  if (!spec.restart.name.empty()) {
    host["RestartPolicy"] = {{"Name", spec.restart.name == "no" ? "" : spec.restart.name},
                             {"MaximumRetryCount", spec.restart.max_retries}};
  }
  if (spec.memory_bytes != 0) host["Memory"] = spec.memory_bytes;
  if (spec.nano_cpus != 0) host["NanoCpus"] = spec.nano_cpus;
  if (spec.shm_size != 0) host["ShmSize"] = spec.shm_size;
  if (!spec.extra_hosts.empty()) host["ExtraHosts"] = spec.extra_hosts;
  if (!spec.security_opt.empty()) host["SecurityOpt"] = spec.security_opt;
  if (spec.init) host["Init"] = true;
  if (!spec.log.driver.empty() || !spec.log.options.empty())
    host["LogConfig"] = {{"Type", spec.log.driver}, {"Config", spec.log.options}};
  if (!spec.networks.empty()) {
    host["NetworkMode"] = spec.networks.front().network;
    json endpoints = json::object();
    for (size_t i = 0; i < spec.networks.size(); ++i) {
      if (i > 0 && !multi_network) break;
      const EndpointSpec& e = spec.networks[i];
      const bool builtin = e.network == "host" || e.network == "none" || e.network == "bridge";
      endpoints[e.network] = builtin ? json::object() : json{{"Aliases", e.aliases}};
    }
    j["NetworkingConfig"] = {{"EndpointsConfig", endpoints}};
  }
  j["HostConfig"] = host;
  return j;
}

std::optional<Healthcheck> decode_healthcheck(const json& j) {
  if (!j.is_object() || !j.contains("Test")) return std::nullopt;
  Healthcheck h;
  h.test = strings(j, "Test");
  h.interval_ns = num(j, "Interval");
  h.timeout_ns = num(j, "Timeout");
  h.start_period_ns = num(j, "StartPeriod");
  h.start_interval_ns = num(j, "StartInterval");
  h.retries = static_cast<int>(num(j, "Retries"));
  return h;
}

ContainerStats decode_container_stats(const json& j) {
  ContainerStats s;
  auto at = [&j](std::initializer_list<const char*> path) -> int64_t {
    const json* node = &j;
    for (const char* key : path) {
      auto it = node->find(key);
      if (it == node->end()) return 0;
      node = &*it;
    }
    return node->is_number() ? node->get<int64_t>() : 0;
  };
  s.cpu_ns = static_cast<uint64_t>(at({"cpu_stats", "cpu_usage", "total_usage"}));
  // `docker stats` subtracts the page cache the kernel may drop: inactive_file on cgroup v2,
  // total_inactive_file on v1.
  const int64_t usage = at({"memory_stats", "usage"});
  int64_t cache = at({"memory_stats", "stats", "inactive_file"});
  if (cache == 0) cache = at({"memory_stats", "stats", "total_inactive_file"});
  s.memory_bytes = static_cast<uint64_t>(usage > cache ? usage - cache : usage);
  return s;
}

ContainerInfo decode_container_info(const json& j) {
  ContainerInfo c;
  c.id = str(j, "Id");
  c.name = str(j, "Name");
  if (!c.name.empty() && c.name.front() == '/') c.name.erase(0, 1);
  c.image_id = str(j, "Image");
  c.created = str(j, "Created");
  c.restart_count = static_cast<int>(num(j, "RestartCount"));
  if (auto cfg = j.find("Config"); cfg != j.end() && cfg->is_object()) {
    c.image = str(*cfg, "Image");
    c.labels = labels_of(*cfg, "Labels");
    c.env = strings(*cfg, "Env");
    if (auto hc = cfg->find("Healthcheck"); hc != cfg->end()) c.healthcheck = decode_healthcheck(*hc);
  }
  if (auto st = j.find("State"); st != j.end() && st->is_object()) {
    c.state.status = str(*st, "Status");
    c.state.running = flag(*st, "Running");
    c.state.exit_code = static_cast<int>(num(*st, "ExitCode"));
    c.state.error = str(*st, "Error");
    c.state.started_at = str(*st, "StartedAt");
    c.state.finished_at = str(*st, "FinishedAt");
    c.state.oom_killed = flag(*st, "OOMKilled");
    if (auto h = st->find("Health"); h != st->end() && h->is_object()) {
      c.state.health = str(*h, "Status");
      if (auto log = h->find("Log"); log != h->end() && log->is_array()) {
        for (const json& e : *log) {
          c.state.health_log.push_back({static_cast<int>(num(e, "ExitCode")), str(e, "Output")});
        }
      }
    }
  }
  if (auto ns = j.find("NetworkSettings"); ns != j.end() && ns->is_object()) {
    if (auto ports = ns->find("Ports"); ports != ns->end() && ports->is_object()) {
      for (auto& [key, list] : ports->items()) {
        auto [port, proto] = split_port_key(key);
        if (!list.is_array()) continue;
        for (const json& b : list) {
          c.ports.push_back(
              {port, proto, str(b, "HostIp"), static_cast<uint16_t>(std::atoi(str(b, "HostPort").c_str()))});
        }
      }
    }
    if (auto nets = ns->find("Networks"); nets != ns->end() && nets->is_object()) {
      for (auto& [name, ep] : nets->items()) c.networks[name] = strings(ep, "Aliases");
    }
  }
  if (auto mounts = j.find("Mounts"); mounts != j.end() && mounts->is_array()) {
    for (const json& m : *mounts) {
      Mount mt;
      std::string type = str(m, "Type");
      mt.type = type == "bind" ? Mount::Type::bind : type == "tmpfs" ? Mount::Type::tmpfs : Mount::Type::volume;
      mt.source = type == "volume" ? str(m, "Name") : str(m, "Source");
      mt.target = str(m, "Destination");
      mt.read_only = !flag(m, "RW");
      c.mounts.push_back(mt);
    }
  }
  return c;
}

ContainerSummary decode_container_summary(const json& j) {
  ContainerSummary c;
  c.id = str(j, "Id");
  std::vector<std::string> names = strings(j, "Names");
  if (!names.empty()) c.name = names.front().substr(names.front().front() == '/' ? 1 : 0);
  c.image = str(j, "Image");
  c.image_id = str(j, "ImageID");
  c.state = str(j, "State");
  c.status = str(j, "Status");
  c.created = num(j, "Created");
  c.labels = labels_of(j, "Labels");
  if (auto ports = j.find("Ports"); ports != j.end() && ports->is_array()) {
    for (const json& p : *ports) {
      c.ports.push_back({static_cast<uint16_t>(num(p, "PrivatePort")), str(p, "Type"), str(p, "IP"),
                         static_cast<uint16_t>(num(p, "PublicPort"))});
    }
  }
  if (auto ns = j.find("NetworkSettings"); ns != j.end() && ns->is_object()) {
    if (auto nets = ns->find("Networks"); nets != ns->end() && nets->is_object()) {
      for (auto& [name, ep] : nets->items()) c.networks.push_back(name);
    }
  }
  return c;
}

NetworkInfo decode_network(const json& j) {
  NetworkInfo n;
  n.id = str(j, "Id");
  n.name = str(j, "Name");
  n.driver = str(j, "Driver");
  n.internal = flag(j, "Internal");
  n.labels = labels_of(j, "Labels");
  if (auto cs = j.find("Containers"); cs != j.end() && cs->is_object()) {
    for (auto& [id, v] : cs->items()) n.container_ids.push_back(id);
  }
  return n;
}

VolumeInfo decode_volume(const json& j) {
  return VolumeInfo{str(j, "Name"), str(j, "Driver"), str(j, "Mountpoint"), labels_of(j, "Labels")};
}

ImageInfo decode_image(const json& j) {
  ImageInfo i;
  i.id = str(j, "Id");
  i.repo_tags = strings(j, "RepoTags");
  i.repo_digests = strings(j, "RepoDigests");
  i.size = num(j, "Size");
  i.labels = labels_of(j, "Labels");
  if (i.labels.empty()) {
    if (auto cfg = j.find("Config"); cfg != j.end() && cfg->is_object()) i.labels = labels_of(*cfg, "Labels");
  }
  return i;
}

Event decode_event(const json& j) {
  Event e;
  e.type = str(j, "Type");
  e.action = str(j, "Action");
  if (auto actor = j.find("Actor"); actor != j.end() && actor->is_object()) {
    e.id = str(*actor, "ID");
    e.attributes = labels_of(*actor, "Attributes");
  }
  if (e.id.empty()) e.id = str(j, "id");
  if (e.action.empty()) e.action = str(j, "status");
  e.time_nano = num(j, "timeNano");
  return e;
}

}  // namespace supactl::docker

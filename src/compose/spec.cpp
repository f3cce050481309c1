// SPDX-License-Identifier: Apache-2.0
//
// From a typed service to what the Engine is asked to create: the config hash that decides
// whether a container is stale, the full create spec of one replica (names, compose labels,
// network endpoints with aliases) and the labels of networks and volumes. The hash is sha256
// over canonical JSON (sorted keys; env, ports, mounts and networks sorted) so it is the same
// on every run and for any ordering of the input, and it leaves out replicas, depends_on and
// profiles so that scaling or rewiring dependencies never recreates a container.

#include <supactl/compose/model.hpp>
#include <supactl/core/sha256.hpp>

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

namespace supactl::compose {
namespace {

const char* mount_type_name(docker::Mount::Type type) {
  switch (type) {
    case docker::Mount::Type::bind: return "bind";
    case docker::Mount::Type::tmpfs: return "tmpfs";
    default: return "volume";
  }
}

std::vector<std::string> sorted(std::vector<std::string> values) {
  std::sort(values.begin(), values.end());
  return values;
}

nlohmann::json optional_words(const std::optional<std::vector<std::string>>& words) {
  return words ? nlohmann::json(*words) : nlohmann::json(nullptr);
}

nlohmann::json canonical(const Service& service) {
  const docker::ContainerSpec& spec = service.spec;
  std::vector<nlohmann::json> ports;
  for (const docker::PortBinding& p : spec.ports) {
    ports.push_back({{"container_port", p.container_port},
                     {"protocol", p.protocol},
                     {"host_ip", p.host_ip},
                     {"host_port", p.host_port}});
  }
  std::vector<nlohmann::json> mounts;
  for (const docker::Mount& m : spec.mounts) {
    nlohmann::json mount = {
        {"type", mount_type_name(m.type)}, {"source", m.source}, {"target", m.target}, {"read_only", m.read_only}};
    if (!m.content_digest.empty()) mount["content"] = m.content_digest;
    mounts.push_back(std::move(mount));
  }
  std::vector<nlohmann::json> networks;
  for (const ServiceNetwork& n : service.networks) {
    networks.push_back({{"key", n.key}, {"aliases", sorted(n.aliases)}});
  }
  // Sorting the dumped objects orders lists whose order carries no meaning.
  auto by_text = [](const nlohmann::json& a, const nlohmann::json& b) { return a.dump() < b.dump(); };
  std::sort(ports.begin(), ports.end(), by_text);
  std::sort(mounts.begin(), mounts.end(), by_text);
  std::sort(networks.begin(), networks.end(), by_text);

  nlohmann::json health = nullptr;
  if (spec.healthcheck) {
    const docker::Healthcheck& h = *spec.healthcheck;
    health = {{"test", h.test},
              {"interval_ns", h.interval_ns},
              {"timeout_ns", h.timeout_ns},
              {"start_period_ns", h.start_period_ns},
              {"start_interval_ns", h.start_interval_ns},
              {"retries", h.retries}};
  }
  nlohmann::json hashed = {
      {"name", service.name},
      {"container_name", service.container_name},
      {"image", spec.image},
      {"env", sorted(spec.env)},
      {"cmd", optional_words(spec.cmd)},
      {"entrypoint", optional_words(spec.entrypoint)},
      {"user", spec.user},
      {"working_dir", spec.working_dir},
      {"hostname", spec.hostname},
      {"labels", spec.labels},
      {"ports", ports},
      {"mounts", mounts},
      {"tmpfs", spec.tmpfs},
      {"healthcheck", health},
      {"restart", {{"name", spec.restart.name}, {"max_retries", spec.restart.max_retries}}},
      {"memory_bytes", spec.memory_bytes},
      {"nano_cpus", spec.nano_cpus},
      {"shm_size", spec.shm_size},
      {"networks", networks},
      {"network_mode", service.network_mode},
      {"extra_hosts", sorted(spec.extra_hosts)},
      {"security_opt", sorted(spec.security_opt)},
      {"stop_signal", spec.stop_signal},
      {"stop_timeout", spec.stop_timeout ? nlohmann::json(*spec.stop_timeout) : nlohmann::json(nullptr)},
      {"init", spec.init},
      {"open_stdin", spec.open_stdin},
      {"tty", spec.tty},
  };
  // Only when set, so the hash of a service without `logging` is what it always was.
  if (!spec.log.driver.empty() || !spec.log.options.empty())
    hashed["logging"] = {{"driver", spec.log.driver}, {"options", spec.log.options}};
  return hashed;
}

docker::Labels object_labels(const Project& project, const docker::Labels& user, const char* key_label,
                             const std::string& key) {
  docker::Labels labels = user;
  labels[k_label_project] = project.name;
  labels[key_label] = key;
  labels[k_label_version] = k_compose_version;
  labels[k_label_instance] = project.name;
  labels[k_label_supactl_version] = SUPACTL_VERSION;
  return labels;
}

std::string network_engine_name(const Project& project, const std::string& key) {
  auto it = project.networks.find(key);
  return it != project.networks.end() ? it->second.name : project.name + "_" + key;
}

}  // namespace

const char* to_string(DependsCondition condition) {
  switch (condition) {
    case DependsCondition::healthy: return "service_healthy";
    case DependsCondition::completed_successfully: return "service_completed_successfully";
    default: return "service_started";
  }
}

std::string config_hash(const Service& service) { return core::sha256_hex(canonical(service).dump()); }

docker::ContainerSpec container_spec(const Project& project, const Service& service, int number) {
  docker::ContainerSpec spec = service.spec;
  spec.name = service.container_name.empty() ? fmt::format("{}-{}-{}", project.name, service.name, number)
                                             : service.container_name;

  std::string files;
  for (const std::filesystem::path& f : project.config_files) files += (files.empty() ? "" : ",") + f.string();
  std::string depends;
  for (const Dependency& d : service.depends_on) {
    depends += fmt::format("{}{}:{}:{}", depends.empty() ? "" : ",", d.service, to_string(d.condition),
                           d.restart ? "true" : "false");
  }
  spec.labels[k_label_project] = project.name;
  spec.labels[k_label_service] = service.name;
  spec.labels[k_label_number] = std::to_string(number);
  spec.labels[k_label_config_hash] = config_hash(service);
  spec.labels[k_label_oneoff] = "False";
  spec.labels[k_label_version] = k_compose_version;
  spec.labels[k_label_working_dir] = project.working_dir.string();
  spec.labels[k_label_config_files] = files;
  spec.labels[k_label_depends_on] = depends;
  spec.labels[k_label_instance] = project.name;
  spec.labels[k_label_supactl_version] = SUPACTL_VERSION;

  spec.networks.clear();
  if (!service.network_mode.empty()) {
    spec.networks.push_back(docker::EndpointSpec{.network = service.network_mode, .aliases = {}});
    return spec;
  }
  std::vector<ServiceNetwork> joined = service.networks;
  if (joined.empty()) joined.push_back(ServiceNetwork{.key = "default", .aliases = {}});
  for (const ServiceNetwork& n : joined) {
    std::vector<std::string> aliases{service.name};
    for (const std::string& a : n.aliases) {
      if (std::find(aliases.begin(), aliases.end(), a) == aliases.end()) aliases.push_back(a);
    }
    spec.networks.push_back(docker::EndpointSpec{.network = network_engine_name(project, n.key), .aliases = aliases});
  }
  return spec;
}

docker::Labels network_labels(const Project& project, const Network& network) {
  return object_labels(project, network.labels, k_label_network, network.key);
}

docker::Labels volume_labels(const Project& project, const Volume& volume) {
  return object_labels(project, volume.labels, k_label_volume, volume.key);
}

}  // namespace supactl::compose

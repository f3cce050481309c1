// SPDX-License-Identifier: Apache-2.0
#pragma once

// The compose model: what a compose.yml (plus an optional compose.override.yml) describes,
// after interpolation and merging, in the terms the planner needs. Pure data and pure
// functions; nothing here talks to the Engine.

#include <supactl/docker/types.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace supactl::compose {

// Label keys (docker compose's, so `docker compose -p NAME ps` sees our stacks, plus ours).
inline constexpr const char* k_label_project = "com.docker.compose.project";
inline constexpr const char* k_label_service = "com.docker.compose.service";
inline constexpr const char* k_label_number = "com.docker.compose.container-number";
inline constexpr const char* k_label_config_hash = "com.docker.compose.config-hash";
inline constexpr const char* k_label_oneoff = "com.docker.compose.oneoff";
inline constexpr const char* k_label_version = "com.docker.compose.version";
inline constexpr const char* k_label_network = "com.docker.compose.network";
inline constexpr const char* k_label_volume = "com.docker.compose.volume";
inline constexpr const char* k_label_working_dir = "com.docker.compose.project.working_dir";
inline constexpr const char* k_label_config_files = "com.docker.compose.project.config_files";
inline constexpr const char* k_label_depends_on = "com.docker.compose.depends_on";
inline constexpr const char* k_label_instance = "dev.supactl.instance";
inline constexpr const char* k_label_supactl_version = "dev.supactl.version";
/// Value written to com.docker.compose.version (the compose file format we emulate).
inline constexpr const char* k_compose_version = "2.20.0";

enum class DependsCondition { started, healthy, completed_successfully };

/// Compose's spelling: "service_started", "service_healthy", "service_completed_successfully".
const char* to_string(DependsCondition condition);

struct Dependency {
  std::string service;
  DependsCondition condition = DependsCondition::started;
  bool restart = false;  ///< restart this service when the dependency is recreated
  bool required = true;
};

/// A network a service joins: the compose key (not the Engine name) and extra aliases.
struct ServiceNetwork {
  std::string key;
  std::vector<std::string> aliases;
};

struct Service {
  std::string name;  ///< compose service key, e.g. "db"
  /// The container as the Engine will create it, minus name, labels of ours and networks:
  /// image, env (sorted "K=V"), cmd, entrypoint, ports, mounts (named volumes already mapped
  /// to their Engine names, bind sources absolute), healthcheck, restart, limits, ...
  docker::ContainerSpec spec;
  std::vector<ServiceNetwork> networks;  ///< empty = the project's `default` network
  std::vector<Dependency> depends_on;
  int replicas = 1;            ///< deploy.replicas / scale
  std::string container_name;  ///< explicit container_name, else empty
  std::vector<std::string> profiles;
  /// `network_mode`: "bridge", "host" or "none" when set; `networks` is then empty and the
  /// container joins only that Engine network, without aliases.
  std::string network_mode;
};

struct Network {
  std::string key;   ///< compose key, e.g. "backend"
  std::string name;  ///< Engine name, e.g. "shop_backend"
  std::string driver = "bridge";
  bool internal = false;
  bool attachable = false;
  bool external = false;
  docker::Labels labels;  ///< user labels from the file
};

struct Volume {
  std::string key;   ///< compose key, e.g. "db-data"
  std::string name;  ///< Engine name, e.g. "shop_db-data"
  std::string driver = "local";
  bool external = false;
  docker::Labels labels;
};

struct Project {
  std::string name;
  std::filesystem::path working_dir;  ///< folder of the first compose file
  std::vector<std::filesystem::path> config_files;
  std::map<std::string, Service> services;
  std::map<std::string, Network> networks;
  std::map<std::string, Volume> volumes;
  /// Non-fatal findings, e.g. "service studio: key `build` is not supported and was ignored".
  std::vector<std::string> warnings;
};

struct LoadOptions {
  std::string project_name;
  /// compose.yml first, then overrides merged in order (compose's merge rules).
  std::vector<std::filesystem::path> files;
  /// Variables for ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, $$ escapes. The
  /// process environment is NOT consulted unless the caller put it here.
  std::map<std::string, std::string> variables;
  /// Active profiles. A service listing `profiles` is left out unless one of them is active
  /// (compose's rule; supabase's templates use `profiles: [disabled]` to switch a service off).
  std::vector<std::string> profiles;
  /// When set, the files were written to a scratch folder (the first file's) but stand for
  /// this one (`up --dry-run` renders aside): bind sources below the scratch folder are
  /// recorded below `stands_for`, their content digests read from where they are.
  std::filesystem::path stands_for;
};

/// Parses, interpolates, merges and validates. Throws supactl::Error (ExitCode::usage) listing
/// every problem found, each as `file:line: message`.
Project load(const LoadOptions& options);

/// Parses a `.env`-style file (KEY=value lines, # comments, optional quotes) into variables.
std::map<std::string, std::string> parse_env_file(const std::string& content);

/// sha256 hex of the service's normalised configuration, excluding fields that must not cause
/// a recreate (replicas, depends_on, profiles). Stable across runs and map orderings.
std::string config_hash(const Service& service);

/// The full create spec of replica `number` (1-based) of `service`: name
/// `<project>-<service>-<number>` (or container_name), every compose label plus
/// dev.supactl.instance / dev.supactl.version, the config hash, and network endpoints with
/// Engine network names and aliases (the service name plus declared aliases).
docker::ContainerSpec container_spec(const Project& project, const Service& service, int number);

/// Labels for a network or volume object of the project.
docker::Labels network_labels(const Project& project, const Network& network);
docker::Labels volume_labels(const Project& project, const Volume& volume);

/// Service names in dependency order (dependencies first); throws on a cycle.
std::vector<std::string> topological_order(const Project& project);

}  // namespace supactl::compose

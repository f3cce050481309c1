// SPDX-License-Identifier: Apache-2.0
#pragma once

// Swarm mode: one compose project deployed as Swarm services, overlay networks, configs and
// secrets, through the same pipeline as containers: the compose model becomes the desired
// swarm objects (pure but for reading the rendered files the model binds), one bounded observe
// reads what exists, a pure reconcile writes a printable Plan, and plan::execute runs it.
//
// Names: networks, volumes and services keep compose's `NAME_key`; configs and secrets carry
// a hash of their content (`NAME_kong-yml_3f2a…`), because Swarm's are immutable: a changed
// file is a new object, and the service that uses it rolls.

#include <supactl/compose/model.hpp>
#include <supactl/docker/engine.hpp>
#include <supactl/plan/execute.hpp>
#include <supactl/plan/plan.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace supactl::swarm {

inline constexpr const char* k_label_namespace = "com.docker.stack.namespace";
inline constexpr const char* k_label_spec_hash = "dev.supactl.spec-hash";
inline constexpr const char* k_label_service = "dev.supactl.service";
/// On each task's container: a hash of the task template it was made from, so a wait can tell
/// the tasks of the current spec from those an update is replacing.
inline constexpr const char* k_label_task_hash = "dev.supactl.task-hash";
/// A node label supactl sets on the node a stateful service is pinned to:
/// `dev.supactl.place.NAME.SERVICE=true`.
std::string placement_label(const std::string& project, const std::string& service);

/// What the swarm path needs besides the compose model.
struct Options {
  std::string project;
  /// Secret values (secrets.env): an environment variable whose value holds one of them is
  /// handed to the task as a Swarm secret file, not put in the service spec.
  std::vector<std::string> secret_values;
  /// Services that stay at one task on one node (their data lives there).
  std::set<std::string> stateful;
  /// Image entrypoint and command by image reference, as the Engine reports them (a service
  /// whose secrets are read from files gets a small shell prelude before the image's own
  /// entrypoint, so it must know it).
  std::map<std::string, std::pair<std::vector<std::string>, std::vector<std::string>>> image_commands;
  /// Images with no /bin/sh (postgrest): their secret variables stay in the environment.
  std::set<std::string> no_shell_services;
  /// A dry run rendered aside: bind sources below `files_from` are read below `files_at`.
  std::filesystem::path files_from;
  std::filesystem::path files_at;
};

/// A config or secret: immutable, named with a hash of its bytes.
struct FileObject {
  std::string name;
  std::string data;
  nlohmann::json labels;
};

struct ServiceObject {
  std::string service;  ///< compose key
  std::string name;     ///< NAME_service
  nlohmann::json spec;  ///< the ServiceSpec sent to the Engine (configs and secrets by name)
  std::string hash;     ///< of spec; also its dev.supactl.spec-hash label
  int replicas = 1;
  bool job = false;       ///< runs once (ReplicatedJob)
  bool stateful = false;  ///< pinned by placement_label
  std::vector<compose::Dependency> depends_on;
  /// Environment variables whose secret values stay visible in the spec (no shell to read a
  /// file), for `status` and the docs.
  std::vector<std::string> visible_secret_env;
};

struct Desired {
  std::string project;
  std::vector<docker::NetworkSpec> networks;
  std::map<std::string, FileObject> configs;  ///< by name
  std::map<std::string, FileObject> secrets;  ///< by name
  std::map<std::string, ServiceObject> services;
};

/// The swarm objects the project needs. Reads the files its bind mounts name (they become
/// configs, or secrets when they hold a secret value); throws supactl::Error(usage) for what a
/// swarm cannot run (network_mode, a bind mount of a missing file).
Desired desired(const compose::Project& project, const Options& options);

/// A node of the swarm, as observed.
struct Node {
  std::string id;
  std::string hostname;
  std::string role;   ///< "manager" | "worker"
  std::string state;  ///< "ready", "down", ...
  std::string availability;
  int64_t version = 0;
  nlohmann::json spec;  ///< for label updates
  std::map<std::string, std::string> labels;
};

struct ObservedService {
  std::string id;
  std::string name;
  std::string service;  ///< dev.supactl.service label
  std::string hash;
  int64_t version = 0;
};

struct Observed {
  bool manager = false;   ///< the Engine is a swarm manager
  std::string self_node;  ///< its node id
  std::vector<Node> nodes;
  std::vector<ObservedService> services;
  std::set<std::string> networks;              ///< names
  std::map<std::string, std::string> configs;  ///< name -> id
  std::map<std::string, std::string> secrets;  ///< name -> id
};

/// One call each: /info, nodes, services, networks, configs and secrets of `project`.
Observed observe(docker::Engine& engine, const std::string& project);

/// `placement.<service>` (node id or hostname) resolved to node ids; the manager supactl
/// talks to when unset. Throws supactl::Error(usage) for a node the swarm does not have, or a
/// hostname that names several nodes.
std::map<std::string, std::string> resolve_placement(const Observed& observed, const std::set<std::string>& stateful,
                                                     const std::map<std::string, std::string>& placement);

struct ReconcileOptions {
  int wait_timeout_s = 300;
  std::map<std::string, std::string> placement;  ///< stateful service -> node id
  bool remove_orphans = true;                    ///< services of the project no longer desired are removed
};

/// Pure: desired vs observed -> Plan. A service whose spec hash is unchanged gets no update;
/// every service is waited for (replicas running, healthy; a job completed); configs and
/// secrets no service uses any more are removed after the waits.
plan::Plan reconcile(const Desired& desired, const Observed& observed, const ReconcileOptions& options);

// --- commands -------------------------------------------------------------------------------

struct UpRequest {
  compose::LoadOptions compose;
  Options options;                               ///< project, stateful and image_commands are filled in by `up`
  std::map<std::string, std::string> placement;  ///< placement.<service> as written
  int wait_timeout_s = 300;
  plan::ExecuteOptions execute;
  bool dry_run = false;
};

struct UpResult {
  compose::Project project;
  plan::Plan plan;
  plan::ExecutionReport report;
  uint64_t engine_requests = 0;
};

/// Load → observe → desired → reconcile → execute. Throws supactl::Error when the Engine is no
/// swarm manager (hint: `docker swarm init`) or the files are bad.
UpResult up(docker::Engine& engine, const UpRequest& request, plan::Progress& progress);

/// Removes the project's services, then its configs, secrets and networks (labels alone; no
/// compose file needed); with `remove_volumes`, its volumes on this node and then, by a global
/// job (volume_removal_job), on every other node that is up. Returns what was removed, one
/// line each. Throws supactl::Error when a node kept a volume (the rest is removed by then).
/// `image_hint`: the image for that job when the project has no db service any more (a second
/// `down`), e.g. the db image of the instance's rendered compose file.
std::vector<std::string> down(docker::Engine& engine, const std::string& project, bool remove_volumes,
                              const std::string& image_hint = {});

/// What `down` would remove, in its order and lines ("services shop_db", ...), read with list
/// calls alone: nothing changes. Volumes (with `remove_volumes`) only of this node: the API of
/// one node does not see the volumes of the others.
std::vector<std::string> down_preview(docker::Engine& engine, const std::string& project, bool remove_volumes);

/// The shell script (POSIX sh and curl) that deletes, through the Engine socket at
/// /var/run/docker.sock, the exited containers and then the volumes labelled
/// com.docker.stack.namespace=`project` on the node it runs on: each volume retried for up to
/// 60 s while the Engine says it is in use. Prints `removed NAME` per deleted volume and
/// `kept NAME: CODE ANSWER` per one it could not delete; exits 1 when one was kept or the
/// Engine did not answer.
std::string volume_removal_script(const std::string& project);

/// The db image the instance's rendered compose file (`DIR/rendered/compose.yml`) names, or ""
/// when it cannot be read.
std::string rendered_db_image(const std::filesystem::path& instance_dir);

/// The Swarm service spec of a global job (one task on every node that is up, run once) that
/// runs volume_removal_script with `image` (one of the instance's images with sh and curl: the
/// db's) and each node's Engine socket bind-mounted. Labelled with the stack namespace, so a
/// `down` that was killed half-way removes it the next time.
nlohmann::json volume_removal_job(const std::string& project, const std::string& image);

/// The mounts of a one-shot job run with the db image (volume removal, relay): the node's
/// Engine socket, and a tmpfs over the image's VOLUME, so that no anonymous volume is left.
nlohmann::json job_mounts();

/// The node id in `info` (the Engine's /info) when that Engine is a swarm manager, else "".
std::string manager_node_id(const nlohmann::json& info);

/// When `service` of `project` has no task on the node of this Engine but a running one on
/// another node: that node's host name and the start of its id ("worker-2 (k3j9...)"). Else "",
/// also when this Engine is no swarm manager (the question cannot be asked).
std::string task_node_elsewhere(docker::Engine& engine, const std::string& project, const std::string& service);

/// Makes `service` replace its tasks with its spec unchanged (`docker service update --force`:
/// TaskTemplate.ForceUpdate + 1), in its own update order. Returns its number of replicas
/// (1 for a global service: wait for it with plan::wait_service).
int force_update(docker::Engine& engine, const std::string& service);

/// Scales every service of `project` but those in `keep` (and its jobs) to 0 tasks and waits
/// until none of them runs (restore: nothing is connected while the databases are replaced).
/// Their spec-hash label is cleared, so the next `up` scales them back.
void stop_services(docker::Engine& engine, const std::string& project, const std::vector<std::string>& keep,
                   int timeout_s = 120);

struct TaskStatus {
  std::string id;
  int slot = 0;
  std::string node;  ///< node id
  std::string node_hostname;
  std::string state;          ///< running, starting, complete, failed, ...
  std::string desired_state;  ///< running, shutdown, ...
  std::string error;
  std::string container;
};

struct ServiceStatus {
  std::string service;
  std::string name;
  int desired = 0;
  int running = 0;
  bool job = false;
  bool ok = false;                ///< running == desired (tasks run only once healthy), or a job completed
  std::string update_state;       ///< "", updating, completed, rollback_completed, paused, ...
  std::vector<TaskStatus> tasks;  ///< those meant to run, and the last failures
};

struct InstanceStatus {
  std::string instance;
  std::vector<ServiceStatus> services;
  bool healthy = false;
};

/// Services and tasks of `project` (three calls: services with status, tasks, nodes).
InstanceStatus status(docker::Engine& engine, const std::string& project);
nlohmann::json to_json(const InstanceStatus& status);

/// The logs of the project's services (all when `services` is empty) through the service logs
/// endpoint (every task, on every node), each line prefixed with `service |`; one thread per
/// service when following. Throws supactl::Error(not_found) when no service matches.
void logs(docker::Engine& engine, const std::string& project, const std::vector<std::string>& services,
          const docker::LogOptions& options, const std::function<void(std::string_view)>& out);

}  // namespace supactl::swarm

// SPDX-License-Identifier: Apache-2.0
#pragma once

// Plain data exchanged with the Docker Engine. No I/O here: these types are what the planner
// builds and what the Engine client encodes/decodes (src/docker/json_codec.*).

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace supactl::docker {

using Labels = std::map<std::string, std::string>;

/// The value of label `key`, or "" when the object does not carry it.
inline std::string label_of(const Labels& labels, const std::string& key) {
  auto it = labels.find(key);
  return it == labels.end() ? std::string() : it->second;
}

/// The `filters` query parameter: term -> values. Terms are ANDed, values within a term ORed.
/// Encoded as `{"label":{"k=v":true}}` (the form the Go client sends).
struct Filters {
  std::map<std::string, std::vector<std::string>> terms;

  Filters& add(std::string term, std::string value) {
    terms[std::move(term)].push_back(std::move(value));
    return *this;
  }
  /// `label=<key>=<value>`, or `label=<key>` when `value` is empty.
  Filters& label(const std::string& key, const std::string& value = {}) {
    return add("label", value.empty() ? key : key + "=" + value);
  }
  bool empty() const { return terms.empty(); }
};

// --- system ---------------------------------------------------------------------------------------

struct PingInfo {
  std::string api_version;  ///< the `Api-Version` header
  std::string os_type;      ///< `Ostype`
  std::string swarm;        ///< `Swarm` header, e.g. "inactive", "active/manager"
};

struct VersionInfo {
  std::string version;          ///< Engine version, e.g. "20.10.24+dfsg1"
  std::string api_version;      ///< max API it speaks
  std::string min_api_version;  ///< min API it accepts
  std::string os;
  std::string arch;
};

// --- networks -------------------------------------------------------------------------------------

struct NetworkSpec {
  std::string name;
  std::string driver = "bridge";
  bool internal = false;
  bool attachable = false;
  Labels labels;
};

struct NetworkInfo {
  std::string id;
  std::string name;
  std::string driver;
  bool internal = false;
  Labels labels;
  std::vector<std::string> container_ids;  ///< attached containers (inspect only)
};

// --- volumes --------------------------------------------------------------------------------------

struct VolumeSpec {
  std::string name;
  std::string driver = "local";
  Labels labels;
  std::map<std::string, std::string> driver_opts;
};

struct VolumeInfo {
  std::string name;
  std::string driver;
  std::string mountpoint;
  Labels labels;
};

// --- images ---------------------------------------------------------------------------------------

struct ImageInfo {
  std::string id;  ///< sha256:...
  std::vector<std::string> repo_tags;
  std::vector<std::string> repo_digests;
  int64_t size = 0;
  Labels labels;
};

/// One line of a pull stream, already checked for errors (an error line throws instead).
struct PullProgress {
  std::string layer;   ///< `id`, empty for whole-image lines
  std::string status;  ///< "Downloading", "Pull complete", ...
  int64_t current = 0;
  int64_t total = 0;
};
using PullSink = std::function<void(const PullProgress&)>;

// --- containers -----------------------------------------------------------------------------------

struct PortBinding {
  uint16_t container_port = 0;
  std::string protocol = "tcp";
  std::string host_ip;     ///< "" = all interfaces; "127.0.0.1" for loopback-only
  uint16_t host_port = 0;  ///< 0 = not published (exposed only)
};

struct Mount {
  enum class Type { volume, bind, tmpfs };
  Type type = Type::volume;
  std::string source;  ///< volume name or absolute host path; empty for tmpfs
  std::string target;
  bool read_only = false;
  /// Bind mounts: sha256 of the host file's bytes (of every file below it, for a folder), so
  /// that a changed kong.yml or Caddyfile changes the service's config hash and the container
  /// is recreated. Never sent to the Engine.
  std::string content_digest;
};

/// Durations in nanoseconds, as the Engine wants them.
struct Healthcheck {
  std::vector<std::string> test;  ///< {"CMD", ...} | {"CMD-SHELL", "..."} | {"NONE"}
  int64_t interval_ns = 0;
  int64_t timeout_ns = 0;
  int64_t start_period_ns = 0;
  int64_t start_interval_ns = 0;  ///< API >= 1.44 only; dropped for older Engines
  int retries = 0;
};

struct RestartPolicy {
  std::string name;  ///< "", "no", "always", "unless-stopped", "on-failure"
  int max_retries = 0;
};

/// HostConfig.LogConfig: the log driver and its options (json-file: max-size, max-file).
struct LogConfig {
  std::string driver;  ///< "" = the Engine's default driver
  std::map<std::string, std::string> options;
};

/// A network the container joins, with its DNS aliases on that network.
struct EndpointSpec {
  std::string network;
  std::vector<std::string> aliases;
};

/// Everything supactl sets on `POST /containers/create`.
struct ContainerSpec {
  std::string name;
  std::string image;
  std::vector<std::string> env;  ///< "KEY=value"
  std::optional<std::vector<std::string>> cmd;
  std::optional<std::vector<std::string>> entrypoint;
  std::string user;
  std::string working_dir;
  std::string hostname;
  Labels labels;
  std::vector<PortBinding> ports;
  std::vector<Mount> mounts;
  std::map<std::string, std::string> tmpfs;  ///< path -> options
  std::optional<Healthcheck> healthcheck;
  RestartPolicy restart;
  int64_t memory_bytes = 0;  ///< 0 = unlimited
  int64_t nano_cpus = 0;     ///< 0 = unlimited; 1e9 = one CPU
  int64_t shm_size = 0;
  /// The first entry is the container's NetworkMode and is joined at create; any further
  /// entries are connected after create on Engines older than API 1.44.
  std::vector<EndpointSpec> networks;
  std::vector<std::string> extra_hosts;  ///< "host:ip"
  std::vector<std::string> security_opt;
  std::string stop_signal;
  std::optional<int> stop_timeout;  ///< seconds
  LogConfig log;
  bool init = false;
  bool open_stdin = false;
  bool tty = false;
};

/// A container's run state, Docker's State.Status word decoded.
enum class RunState { created, running, paused, restarting, removing, exited, dead, unknown };
/// A container's health: `none` without a health check.
enum class Health { none, starting, healthy, unhealthy };

/// "running" → RunState::running; any word Docker does not define → unknown.
RunState parse_run_state(std::string_view word);
/// State.Health.Status ("", starting, healthy, unhealthy) → Health.
Health parse_health(std::string_view word);
/// The list endpoint (API 1.41) carries health only inside its Status text: "Up 3 minutes
/// (healthy)", "(unhealthy)", "(health: starting)". The one place that text is read.
Health health_in_status_text(std::string_view status);
/// The exit code in a list Status text ("Exited (137) 2 minutes ago" → 137), or -1.
int exit_code_in_status_text(std::string_view status);
std::string_view to_string(RunState state);
std::string_view to_string(Health health);  ///< "" for none

struct HealthLogEntry {
  int exit_code = 0;
  std::string output;
};

struct ContainerState {
  std::string status;  ///< created, running, paused, restarting, removing, exited, dead
  bool running = false;
  int exit_code = 0;
  std::string health;  ///< "" (no healthcheck), starting, healthy, unhealthy
  std::vector<HealthLogEntry> health_log;
  std::string started_at;
  std::string finished_at;
  std::string error;
  bool oom_killed = false;

  RunState run_state() const { return parse_run_state(status); }
  Health health_state() const { return parse_health(health); }
};

/// `GET /containers/{id}/json`.
struct ContainerInfo {
  std::string id;
  std::string name;      ///< without the leading '/'
  std::string image;     ///< Config.Image (the reference it was created from)
  std::string image_id;  ///< Image (sha256:...)
  std::string created;
  ContainerState state;
  Labels labels;
  std::vector<std::string> env;
  std::optional<Healthcheck> healthcheck;
  std::vector<PortBinding> ports;                            ///< published bindings
  std::map<std::string, std::vector<std::string>> networks;  ///< network name -> aliases
  std::vector<Mount> mounts;
  int restart_count = 0;  ///< RestartCount: restarts by the Engine's restart policy
};

/// One sample of `GET /containers/{id}/stats?stream=false&one-shot=true`.
struct ContainerStats {
  uint64_t cpu_ns = 0;        ///< cpu_stats.cpu_usage.total_usage: CPU time since the container started
  uint64_t memory_bytes = 0;  ///< memory_stats.usage less the inactive file cache (what `docker stats` shows)
};

/// One row of `GET /containers/json`.
struct ContainerSummary {
  std::string id;
  std::string name;  ///< first name, without the leading '/'
  std::string image;
  std::string image_id;
  std::string state;   ///< running, exited, ...
  std::string status;  ///< human text, e.g. "Up 3 minutes (healthy)"
  int64_t created = 0;
  Labels labels;
  std::vector<PortBinding> ports;
  std::vector<std::string> networks;

  RunState run_state() const { return parse_run_state(state); }
  Health health() const { return health_in_status_text(status); }
  /// The exit code of an exited container (from the Status text), or -1.
  int exit_code() const { return exit_code_in_status_text(status); }
};

// --- streams --------------------------------------------------------------------------------------

/// Stream type byte of the 8-byte multiplexed frame header.
enum class StreamKind : uint8_t { stdin_ = 0, stdout_ = 1, stderr_ = 2, system_err = 3 };

/// Receives demultiplexed output. Return false to stop the stream early.
using OutputSink = std::function<bool(StreamKind, std::string_view)>;

struct LogOptions {
  bool follow = false;
  bool stdout_ = true;
  bool stderr_ = true;
  bool timestamps = false;
  std::string tail = "all";  ///< a number or "all"
  int64_t since = 0;         ///< unix seconds; 0 = from the start
  int64_t until = 0;
};

struct ExecSpec {
  std::vector<std::string> cmd;
  std::vector<std::string> env;
  std::string user;
  std::string working_dir;
  bool tty = false;
};

struct ExecResult {
  int exit_code = -1;
  std::string out;  ///< collected stdout (when no sink was given)
  std::string err;  ///< collected stderr (when no sink was given)
};

/// Condition for `POST /containers/{id}/wait`.
enum class WaitCondition { not_running, next_exit, removed };

struct Event {
  std::string type;    ///< container, network, volume, image, ...
  std::string action;  ///< create, start, die, health_status: healthy, destroy, ...
  std::string id;      ///< Actor.ID
  Labels attributes;   ///< Actor.Attributes (container labels, name, exitCode, ...)
  int64_t time_nano = 0;
};
/// Return false to stop the events stream.
using EventSink = std::function<bool(const Event&)>;

}  // namespace supactl::docker

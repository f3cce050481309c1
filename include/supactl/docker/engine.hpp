// SPDX-License-Identifier: Apache-2.0
#pragma once

// The Docker Engine as supactl sees it: one abstract interface, implemented over HTTP by
// `HttpEngine` (src/docker/) and in tests by a recording fake (tests/support/fake_engine.hpp).
// Every method is one Engine API call (streams excepted) and throws EngineError on failure.

#include <supactl/core/error.hpp>
#include <supactl/docker/types.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace supactl::docker {

/// What went wrong, independent of the HTTP status code.
enum class ErrorKind {
  connection,   ///< socket missing, connection refused, TLS failure
  permission,   ///< permission denied on the socket
  not_found,    ///< 404
  conflict,     ///< 409 (exists, in use, name taken)
  bad_request,  ///< 400 (includes "client version too old/new")
  server,       ///< 5xx, or an error line inside a 200 stream
  cancelled,    ///< Ctrl-C while waiting
  timeout,
  unsupported,  ///< API version out of our range
};

/// An Engine failure: the Engine's own `message`, the HTTP status (0 when none) and what was
/// being done ("create container shop-db-1").
class EngineError : public Error {
 public:
  EngineError(ErrorKind kind, int http_status, std::string message, std::string hint = {})
      : Error(std::move(message),
              kind == ErrorKind::connection || kind == ErrorKind::permission
                  ? ExitCode::engine_unavailable
                  : (kind == ErrorKind::cancelled ? ExitCode::interrupted : ExitCode::failure),
              std::move(hint)),
        m_kind(kind),
        m_status(http_status) {}

  ErrorKind kind() const noexcept { return m_kind; }
  int http_status() const noexcept { return m_status; }

 private:
  ErrorKind m_kind;
  int m_status;
};

/// The Engine API, typed. Thread-safe: the executor calls it from several threads at once.
class Engine {
 public:
  virtual ~Engine() = default;

  // --- system
  virtual PingInfo ping() = 0;
  virtual VersionInfo version() = 0;
  virtual nlohmann::json info() = 0;
  /// The negotiated API version in use, e.g. "1.41".
  virtual std::string api_version() const = 0;
  /// Streams events until `sink` returns false, `until` (unix seconds, 0 = none) passes, or
  /// cancellation. `since` is unix seconds (0 = now).
  virtual void events(const Filters& filters, int64_t since, int64_t until, const EventSink& sink) = 0;

  // --- networks
  /// Returns the id. Throws EngineError(conflict) when the name exists (Docker's 409 and
  /// Podman's "network already exists" alike).
  virtual std::string create_network(const NetworkSpec& spec) = 0;
  virtual NetworkInfo inspect_network(const std::string& id_or_name) = 0;
  virtual std::vector<NetworkInfo> list_networks(const Filters& filters) = 0;
  virtual void remove_network(const std::string& id_or_name) = 0;
  virtual void connect_network(const std::string& network, const std::string& container,
                               const std::vector<std::string>& aliases) = 0;
  virtual void disconnect_network(const std::string& network, const std::string& container, bool force) = 0;

  // --- volumes
  virtual VolumeInfo create_volume(const VolumeSpec& spec) = 0;
  virtual VolumeInfo inspect_volume(const std::string& name) = 0;
  virtual std::vector<VolumeInfo> list_volumes(const Filters& filters) = 0;
  /// Throws EngineError(conflict) when the volume is in use.
  virtual void remove_volume(const std::string& name, bool force) = 0;

  // --- images
  /// nullopt when the image is not present locally.
  virtual std::optional<ImageInfo> inspect_image(const std::string& ref) = 0;
  virtual std::vector<ImageInfo> list_images(const Filters& filters) = 0;
  /// Pulls `ref` ("repo:tag" or "host:port/repo:tag"). Registry credentials come from the
  /// docker config file. Every stream line is checked: an `errorDetail`/`error` line throws
  /// even though the HTTP status was 200. Retries with back-off on 429/toomanyrequests.
  virtual void pull_image(const std::string& ref, const PullSink& progress) = 0;
  virtual void tag_image(const std::string& source, const std::string& repo, const std::string& tag) = 0;
  /// `GET /images/get`: writes the tarball of `refs` to `out` chunk by chunk.
  virtual void save_images(const std::vector<std::string>& refs, const std::function<void(std::string_view)>& out) = 0;
  /// `POST /images/load` of a tarball read from `path`.
  virtual void load_images(const std::string& tar_path) = 0;

  // --- containers
  /// Returns the id. Throws EngineError(not_found) for a missing image, (conflict) for a
  /// taken name.
  virtual std::string create_container(const ContainerSpec& spec) = 0;
  /// 304 (already started) is success.
  virtual void start_container(const std::string& id) = 0;
  /// 304 (already stopped) is success. `timeout_s` < 0 uses the container's own.
  virtual void stop_container(const std::string& id, int timeout_s) = 0;
  virtual void restart_container(const std::string& id, int timeout_s) = 0;
  virtual void kill_container(const std::string& id, const std::string& signal) = 0;
  virtual void remove_container(const std::string& id, bool force, bool remove_volumes) = 0;
  virtual void rename_container(const std::string& id, const std::string& new_name) = 0;
  virtual ContainerInfo inspect_container(const std::string& id) = 0;
  /// One stats sample of a running container, without the Engine's second sample.
  virtual ContainerStats container_stats(const std::string& id) = 0;
  virtual std::vector<ContainerSummary> list_containers(const Filters& filters, bool all) = 0;
  /// Blocks until the condition; returns the exit code.
  virtual int wait_container(const std::string& id, WaitCondition condition) = 0;

  // --- logs, exec, files
  /// Demultiplexes the log stream (8-byte frames; raw when the container has a TTY).
  virtual void logs(const std::string& id, const LogOptions& options, const OutputSink& sink) = 0;
  /// Runs `spec` in the container. Output goes to `sink` when given, else is collected into
  /// the result. `stdin_data`, when set, is written to the process's stdin (then closed).
  virtual ExecResult exec(const std::string& id, const ExecSpec& spec, const OutputSink& sink = {},
                          const std::optional<std::string>& stdin_data = std::nullopt) = 0;
  /// Runs `spec` attached to the caller's terminal: bytes read from `input_fd` go to the
  /// process, its output to `sink` (raw when spec.tty), the exec's terminal sized to
  /// `rows` x `cols` when both are set. Returns the exit code.
  virtual int exec_attached(const std::string& id, const ExecSpec& spec, int input_fd, const OutputSink& sink,
                            unsigned rows, unsigned cols) {
    (void)id, (void)spec, (void)input_fd, (void)sink, (void)rows, (void)cols;
    throw EngineError(ErrorKind::unsupported, 0, "this Engine client cannot attach a terminal");
  }
  /// `PUT /containers/{id}/archive?path=`: extracts the tar `archive` under `path`.
  virtual void put_archive(const std::string& id, const std::string& path, const std::string& archive) = 0;
  /// put_archive of the tar in host file `tar_file`, streamed from disk (never read whole).
  virtual void put_archive_file(const std::string& id, const std::string& path, const std::filesystem::path& tar_file);
  /// `GET /containers/{id}/archive?path=`: a tar of `path`, streamed to `out`.
  virtual void get_archive(const std::string& id, const std::string& path,
                           const std::function<void(std::string_view)>& out) = 0;

  // --- swarm: the Engine's own JSON shapes in and out (swarm/ types them)
  /// One swarm request: `method` ("GET", "POST", "DELETE") on `path` (with its query, below
  /// the API version), `body` sent as JSON unless null. Returns the parsed answer (null when
  /// the answer is empty). Throws EngineError naming `what`. Engines without swarm support
  /// (the test fakes) throw ErrorKind::unsupported.
  virtual nlohmann::json call_json(const std::string& method, const std::string& path, const nlohmann::json& body,
                                   const std::string& what);
  /// `GET /services/{id}/logs`, demultiplexed into `sink` like container logs.
  virtual void service_logs(const std::string& service, const LogOptions& options, const OutputSink& sink);

  /// Number of HTTP requests made so far (benchmarks and tests count them).
  virtual uint64_t request_count() const = 0;
};

/// Where and how to reach the Engine, as resolved by `resolve_endpoint`.
struct Endpoint {
  std::string host;    ///< "unix:///var/run/docker.sock" or "tcp://host:2376"
  std::string source;  ///< why: "--host", "DOCKER_HOST", "context rootless", "default socket", ...
  bool tls = false;    ///< tcp with client certificates
  bool tls_verify = false;
  std::string cert_path;        ///< folder with ca.pem, cert.pem, key.pem
  std::string api_version_pin;  ///< DOCKER_API_VERSION, empty = negotiate
};

/// Resolves the Engine endpoint: `host_flag` → DOCKER_HOST → DOCKER_CONTEXT → currentContext in
/// $DOCKER_CONFIG/config.json → $XDG_RUNTIME_DIR/docker.sock → /var/run/docker.sock → Podman's
/// sockets. Reads only the environment and files; no connection is made.
Endpoint resolve_endpoint(const std::string& host_flag = {});

/// Connects to `endpoint` and negotiates the API version (from `/_ping`). Throws EngineError
/// with a one-line hint when nothing answers or the Engine is too old.
std::unique_ptr<Engine> connect(const Endpoint& endpoint);

/// Lowest and highest API versions supactl implements.
inline constexpr const char* k_min_api_version = "1.41";
inline constexpr const char* k_max_api_version = "1.51";

}  // namespace supactl::docker

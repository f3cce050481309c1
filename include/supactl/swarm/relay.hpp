// SPDX-License-Identifier: Apache-2.0
#pragma once

// Reaching a swarm instance's task containers on other nodes through the manager alone.
//
// `NodeRelay` is an Engine that forwards every call to the Engine supactl talks to (a swarm
// manager), with two additions for the instances `relay_image` names (swarm instances):
//   - listing an instance's containers also lists its running tasks on other nodes (from the
//     manager's task list: id, image, labels), so `running_container` finds them;
//   - `exec`, `put_archive`, `get_archive`, `inspect_container` and `restart_container` on
//     such a container (by id or name) run as a one-shot Swarm job
//     placed on that container's node. The job's task talks to its own node's Engine at
//     /var/run/docker.sock, and prints what came back base64-encoded; supactl reads that from
//     the job's service logs, then removes the job and its secrets.
// What a call sends (the exec's command and environment, the bytes of an archive or of stdin)
// goes in a Swarm secret mounted into the job, never in its spec. A secret holds at most
// 500 KiB, so larger input (a restore's dump) still needs `--host` to that node's Engine; an
// interactive terminal does too.

#include <supactl/docker/engine.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace supactl::swarm {

/// The most bytes one relayed call may send (the Swarm secret limit, less room for the tar).
inline constexpr size_t k_relay_max_input = 480 * 1024;

/// The label of the jobs finish() runs (their containers are removed by the next one).
inline constexpr const char* k_sweep_label = "dev.supactl.relay-sweep";

/// Decodes what a relay job printed: base64 lines of the answer, then
/// `supactl-relay-exit CODE` (or `supactl-relay-error TEXT`). The decoded answer goes to
/// `out` line by line; returns CODE. Throws supactl::Error on an error line, on text that is
/// no base64, or when the exit line is missing (the job was cut short).
int decode_relay_output(std::string_view printed, const std::function<void(std::string_view)>& out);

/// The job's shell script (tests read it; the job runs it with `sh -c`).
std::string relay_script();

class NodeRelay final : public docker::Engine {
 public:
  /// `relay_image(project)`: the image for the project's relay jobs (one with sh, curl and
  /// base64, e.g. its db image), or "" when the project is no swarm instance (no relay).
  NodeRelay(docker::Engine& inner, std::function<std::string(const std::string&)> relay_image)
      : m_inner(inner), m_relay_image(std::move(relay_image)) {}

  docker::PingInfo ping() override { return m_inner.ping(); }
  docker::VersionInfo version() override { return m_inner.version(); }
  nlohmann::json info() override { return m_inner.info(); }
  std::string api_version() const override { return m_inner.api_version(); }
  void events(const docker::Filters& f, int64_t since, int64_t until, const docker::EventSink& sink) override {
    m_inner.events(f, since, until, sink);
  }
  std::string create_network(const docker::NetworkSpec& spec) override { return m_inner.create_network(spec); }
  docker::NetworkInfo inspect_network(const std::string& id) override { return m_inner.inspect_network(id); }
  std::vector<docker::NetworkInfo> list_networks(const docker::Filters& f) override { return m_inner.list_networks(f); }
  void remove_network(const std::string& id) override { m_inner.remove_network(id); }
  void connect_network(const std::string& n, const std::string& c, const std::vector<std::string>& a) override {
    m_inner.connect_network(n, c, a);
  }
  void disconnect_network(const std::string& n, const std::string& c, bool force) override {
    m_inner.disconnect_network(n, c, force);
  }
  docker::VolumeInfo create_volume(const docker::VolumeSpec& spec) override { return m_inner.create_volume(spec); }
  docker::VolumeInfo inspect_volume(const std::string& name) override { return m_inner.inspect_volume(name); }
  std::vector<docker::VolumeInfo> list_volumes(const docker::Filters& f) override { return m_inner.list_volumes(f); }
  void remove_volume(const std::string& name, bool force) override { m_inner.remove_volume(name, force); }
  std::optional<docker::ImageInfo> inspect_image(const std::string& ref) override { return m_inner.inspect_image(ref); }
  std::vector<docker::ImageInfo> list_images(const docker::Filters& f) override { return m_inner.list_images(f); }
  void pull_image(const std::string& ref, const docker::PullSink& progress) override {
    m_inner.pull_image(ref, progress);
  }
  void tag_image(const std::string& s, const std::string& repo, const std::string& tag) override {
    m_inner.tag_image(s, repo, tag);
  }
  void save_images(const std::vector<std::string>& refs, const std::function<void(std::string_view)>& out) override {
    m_inner.save_images(refs, out);
  }
  void load_images(const std::string& tar_path) override { m_inner.load_images(tar_path); }
  std::string create_container(const docker::ContainerSpec& spec) override { return m_inner.create_container(spec); }
  void start_container(const std::string& id) override { m_inner.start_container(id); }
  void stop_container(const std::string& id, int t) override { m_inner.stop_container(id, t); }

  void kill_container(const std::string& id, const std::string& sig) override { m_inner.kill_container(id, sig); }
  void remove_container(const std::string& id, bool force, bool v) override { m_inner.remove_container(id, force, v); }
  void rename_container(const std::string& id, const std::string& n) override { m_inner.rename_container(id, n); }

  docker::ContainerStats container_stats(const std::string& id) override { return m_inner.container_stats(id); }
  int wait_container(const std::string& id, docker::WaitCondition c) override { return m_inner.wait_container(id, c); }
  void logs(const std::string& id, const docker::LogOptions& o, const docker::OutputSink& sink) override {
    m_inner.logs(id, o, sink);
  }
  nlohmann::json call_json(const std::string& method, const std::string& path, const nlohmann::json& body,
                           const std::string& what) override {
    return m_inner.call_json(method, path, body, what);
  }
  void service_logs(const std::string& s, const docker::LogOptions& o, const docker::OutputSink& sink) override {
    m_inner.service_logs(s, o, sink);
  }
  uint64_t request_count() const override { return m_inner.request_count(); }

  /// The Engine's containers, plus (for an instance label filter of a swarm instance, with
  /// only label terms) that instance's running tasks on other nodes.
  std::vector<docker::ContainerSummary> list_containers(const docker::Filters& filters, bool all) override;
  docker::ExecResult exec(const std::string& id, const docker::ExecSpec& spec, const docker::OutputSink& sink = {},
                          const std::optional<std::string>& stdin_data = std::nullopt) override;
  int exec_attached(const std::string& id, const docker::ExecSpec& spec, int input_fd, const docker::OutputSink& sink,
                    unsigned rows, unsigned cols) override;
  void put_archive(const std::string& id, const std::string& path, const std::string& archive) override;
  void put_archive_file(const std::string& id, const std::string& path, const std::filesystem::path& tar) override;
  void get_archive(const std::string& id, const std::string& path,
                   const std::function<void(std::string_view)>& out) override;
  docker::ContainerInfo inspect_container(const std::string& id) override;
  void restart_container(const std::string& id, int timeout_s) override;

  /// Removes the containers the relay jobs left on their nodes (Swarm keeps a job's exited
  /// container, with its logs, which hold what the call answered, e.g. a dump) with their
  /// anonymous volumes: one last job per node used, which also removes earlier such jobs'
  /// containers. Call it once the command is done; it never throws (a failure is a warning).
  void finish();

 private:
  struct Remote {
    std::string node;     ///< node id
    std::string project;  ///< instance
  };
  std::optional<Remote> remote(const std::string& id);
  /// Runs one relay job on `where`'s node; `secrets` are the files it reads under
  /// /run/secrets, `env` its environment. Returns what the job printed, decoded, to `out`.
  int relay(const Remote& where, const std::string& container, const std::map<std::string, std::string>& secrets,
            const std::vector<std::string>& env, const std::function<void(std::string_view)>& out);
  /// One Engine request on `where`'s node (`url`: path and query); its answer to `out`.
  void call(const Remote& where, const std::string& method, const std::string& url,
            const std::function<void(std::string_view)>& out);
  /// `m_relay_image(project)`, asked again after 30 s at the most.
  std::string relay_image(const std::string& project);
  /// This Engine's node id when it is a swarm manager, else "" (asked again after 30 s).
  std::string manager_node();
  /// The error for what cannot go through a relay job.
  [[noreturn]] void refuse(const Remote& where, const std::string& what);

  docker::Engine& m_inner;
  std::function<std::string(const std::string&)> m_relay_image;
  std::mutex m_mutex;
  std::map<std::string, Remote> m_remote;  ///< container id -> where it runs
  struct Leftovers {
    Remote where;
    std::vector<std::string> containers;
  };
  std::map<std::string, Leftovers> m_leftovers;  ///< node -> its exited job containers
  struct Cached {
    std::string value;
    std::chrono::steady_clock::time_point at;
  };
  std::map<std::string, Cached> m_images;  ///< project -> relay image ("" = none)
  std::optional<Cached> m_self;            ///< manager_node()
};

}  // namespace supactl::swarm

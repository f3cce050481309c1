// SPDX-License-Identifier: Apache-2.0
#pragma once

// An in-memory Engine that records every call as one line ("create_container shop-db-1")
// and keeps just enough state (containers, networks, volumes, images) for the executor and
// the commands to run against it. Tests assert on `calls()`.

#include <supactl/docker/engine.hpp>

#include <mutex>
#include <set>

namespace supactl::test {

class FakeEngine : public docker::Engine {
 public:
  /// Health test exit codes by container name; missing = 0 (passes).
  std::map<std::string, int> probe_exit;
  /// Containers whose start makes them exit at once with this code.
  std::map<std::string, int> exit_on_start;
  /// Images that fail to pull.
  std::set<std::string> missing_images;
  /// When set, every pull fails as if the Engine's socket went away.
  bool engine_gone = false;
  /// Called on a container's stored state at each inspect, before it is returned (to play a
  /// container whose health or starts change over time).
  std::map<std::string, std::function<void(docker::ContainerState&)>> on_inspect;

  /// When set, answers every exec in place of the health-probe behaviour above (the test
  /// streams to `sink` when one is given, as the real client does, else fills the result).
  std::function<docker::ExecResult(const std::string& id, const docker::ExecSpec& spec, const docker::OutputSink& sink)>
      on_exec;
  /// Tar bytes that get_archive streams for {container id, path}, in chunks of 1000 bytes;
  /// any other pair is a 404.
  std::map<std::pair<std::string, std::string>, std::string> archives;
  /// The last tar put_archive was given, by {container id, path}.
  std::map<std::pair<std::string, std::string>, std::string> put_archives;

  /// What container_stats answers, by container name; missing = zeros.
  std::map<std::string, docker::ContainerStats> stats;
  /// How many removals of a network the Engine refuses with "has active endpoints" before it
  /// removes it (a real Engine does so for a moment after the network's last container went).
  std::map<std::string, int> network_busy_refusals;
  /// Answers call_json(method, path) when set (else the Engine's default: unsupported).
  std::function<nlohmann::json(const std::string& method, const std::string& path)> on_call_json;
  /// The bodies sent with call_json, by path (read once the calls are done).
  std::vector<std::pair<std::string, nlohmann::json>> bodies;
  /// What service_logs(service) prints on stdout when set (else the Engine's default).
  std::function<std::string(const std::string& service)> on_service_logs;
  /// What info() answers when set (else a fixed small document).
  std::optional<nlohmann::json> info_answer;

  /// Adds a container as it would be after create and start.
  void put_container(const docker::ContainerInfo& info) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_containers[info.name] = info;
  }

  std::vector<std::string> calls() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_calls;
  }
  /// Calls whose name starts with `prefix`.
  std::vector<std::string> calls_of(const std::string& prefix) const {
    std::vector<std::string> out;
    for (const std::string& c : calls()) {
      if (c.rfind(prefix, 0) == 0) out.push_back(c);
    }
    return out;
  }
  bool has_container(const std::string& name) const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_containers.count(name) != 0;
  }

  docker::PingInfo ping() override {
    record("ping");
    return {"1.41", "linux", "inactive"};
  }
  docker::VersionInfo version() override {
    record("version");
    return {"fake", "1.41", "1.12", "linux", "amd64"};
  }
  nlohmann::json info() override {
    record("info");
    return info_answer ? *info_answer : nlohmann::json::object();
  }
  std::string api_version() const override { return "1.41"; }
  nlohmann::json call_json(const std::string& method, const std::string& path, const nlohmann::json& body,
                           const std::string& what) override {
    record("call_json " + method + " " + path);
    if (!body.is_null()) {
      std::lock_guard<std::mutex> lock(m_mutex);
      bodies.emplace_back(path, body);
    }
    if (on_call_json) return on_call_json(method, path);
    return docker::Engine::call_json(method, path, body, what);
  }
  void service_logs(const std::string& service, const docker::LogOptions& options,
                    const docker::OutputSink& sink) override {
    record("service_logs " + service);
    if (!on_service_logs) return docker::Engine::service_logs(service, options, sink);
    sink(docker::StreamKind::stdout_, on_service_logs(service));
  }
  void events(const docker::Filters&, int64_t, int64_t, const docker::EventSink&) override {}

  std::string create_network(const docker::NetworkSpec& spec) override {
    record("create_network " + spec.name);
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_networks.count(spec.name) != 0) throw docker::EngineError(docker::ErrorKind::conflict, 409, "exists");
    m_networks[spec.name] = docker::NetworkInfo{.id = spec.name,
                                                .name = spec.name,
                                                .driver = spec.driver,
                                                .internal = spec.internal,
                                                .labels = spec.labels,
                                                .container_ids = {}};
    return spec.name;
  }
  docker::NetworkInfo inspect_network(const std::string& id) override {
    record("inspect_network " + id);
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_networks.at(id);
  }
  std::vector<docker::NetworkInfo> list_networks(const docker::Filters& f) override {
    record("list_networks");
    std::lock_guard<std::mutex> lock(m_mutex);
    std::vector<docker::NetworkInfo> out;
    for (auto& [n, info] : m_networks)
      if (matches(info.labels, f)) out.push_back(info);
    return out;
  }
  void remove_network(const std::string& id) override {
    record("remove_network " + id);
    std::lock_guard<std::mutex> lock(m_mutex);
    if (auto busy = network_busy_refusals.find(id); busy != network_busy_refusals.end() && busy->second > 0) {
      --busy->second;
      throw docker::EngineError(docker::ErrorKind::server, 403,
                                "error while removing network: network " + id + " has active endpoints");
    }
    m_networks.erase(id);
  }
  void connect_network(const std::string& n, const std::string& c, const std::vector<std::string>&) override {
    record("connect_network " + n + " " + c);
  }
  void disconnect_network(const std::string& n, const std::string& c, bool) override {
    record("disconnect_network " + n + " " + c);
  }

  docker::VolumeInfo create_volume(const docker::VolumeSpec& spec) override {
    record("create_volume " + spec.name);
    std::lock_guard<std::mutex> lock(m_mutex);
    m_volumes[spec.name] = docker::VolumeInfo{spec.name, spec.driver, "/fake/" + spec.name, spec.labels};
    return m_volumes[spec.name];
  }
  docker::VolumeInfo inspect_volume(const std::string& name) override {
    record("inspect_volume " + name);
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_volumes.at(name);
  }
  std::vector<docker::VolumeInfo> list_volumes(const docker::Filters& f) override {
    record("list_volumes");
    std::lock_guard<std::mutex> lock(m_mutex);
    std::vector<docker::VolumeInfo> out;
    for (auto& [n, info] : m_volumes)
      if (matches(info.labels, f)) out.push_back(info);
    return out;
  }
  void remove_volume(const std::string& name, bool) override {
    record("remove_volume " + name);
    std::lock_guard<std::mutex> lock(m_mutex);
    m_volumes.erase(name);
  }

  std::optional<docker::ImageInfo> inspect_image(const std::string& ref) override {
    record("inspect_image " + ref);
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_images.count(ref) == 0) return std::nullopt;
    return docker::ImageInfo{.id = "sha256:" + ref, .repo_tags = {ref}, .repo_digests = {}, .size = 0, .labels = {}};
  }
  std::vector<docker::ImageInfo> list_images(const docker::Filters&) override {
    record("list_images");
    std::lock_guard<std::mutex> lock(m_mutex);
    std::vector<docker::ImageInfo> out;
    for (const std::string& ref : m_images)
      out.push_back({.id = "sha256:" + ref, .repo_tags = {ref}, .repo_digests = {}, .size = 0, .labels = {}});
    return out;
  }
  void pull_image(const std::string& ref, const docker::PullSink& sink) override {
    record("pull_image " + ref);
    if (engine_gone) throw docker::EngineError(docker::ErrorKind::connection, 0, "no Docker Engine socket");
    if (missing_images.count(ref) != 0) {
      throw docker::EngineError(docker::ErrorKind::not_found, 404, "pull access denied for " + ref);
    }
    if (sink) sink(docker::PullProgress{.layer = "", .status = "Pull complete", .current = 1, .total = 1});
    std::lock_guard<std::mutex> lock(m_mutex);
    m_images.insert(ref);
  }
  void add_image(const std::string& ref) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_images.insert(ref);
  }
  void tag_image(const std::string& s, const std::string& r, const std::string& t) override {
    record("tag_image " + s + " " + r + ":" + t);
  }
  void save_images(const std::vector<std::string>&, const std::function<void(std::string_view)>&) override {
    record("save_images");
  }
  void load_images(const std::string& path) override { record("load_images " + path); }

  std::string create_container(const docker::ContainerSpec& spec) override {
    record("create_container " + spec.name);
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_containers.count(spec.name) != 0) throw docker::EngineError(docker::ErrorKind::conflict, 409, "name in use");
    if (m_images.count(spec.image) == 0)
      throw docker::EngineError(docker::ErrorKind::not_found, 404, "No such image: " + spec.image);
    docker::ContainerInfo info;
    info.id = "id-" + spec.name;
    info.name = spec.name;
    info.image = spec.image;
    info.image_id = "sha256:" + spec.image;
    info.labels = spec.labels;
    info.env = spec.env;
    info.healthcheck = spec.healthcheck;
    info.state.status = "created";
    m_containers[spec.name] = info;
    return info.id;
  }
  void start_container(const std::string& id) override {
    record("start_container " + id);
    std::lock_guard<std::mutex> lock(m_mutex);
    auto& c = m_containers.at(key(id));
    auto code = exit_on_start.find(c.name);
    if (code != exit_on_start.end()) {
      c.state.status = "exited";
      c.state.running = false;
      c.state.exit_code = code->second;
      return;
    }
    c.state.status = "running";
    c.state.running = true;
  }
  void stop_container(const std::string& id, int) override {
    record("stop_container " + id);
    std::lock_guard<std::mutex> lock(m_mutex);
    auto& c = m_containers.at(key(id));
    c.state.status = "exited";
    c.state.running = false;
  }
  void restart_container(const std::string& id, int) override { record("restart_container " + id); }
  void kill_container(const std::string& id, const std::string&) override { record("kill_container " + id); }
  void remove_container(const std::string& id, bool, bool) override {
    record("remove_container " + id);
    std::lock_guard<std::mutex> lock(m_mutex);
    m_containers.erase(key(id));
  }
  void rename_container(const std::string& id, const std::string& to) override {
    record("rename_container " + id + " " + to);
    std::lock_guard<std::mutex> lock(m_mutex);
    auto node = m_containers.extract(key(id));
    node.key() = to;
    node.mapped().name = to;
    m_containers.insert(std::move(node));
  }
  docker::ContainerInfo inspect_container(const std::string& id) override {
    record("inspect_container " + id);
    std::lock_guard<std::mutex> lock(m_mutex);
    auto it = m_containers.find(key(id));
    if (it == m_containers.end())
      throw docker::EngineError(docker::ErrorKind::not_found, 404, "No such container: " + id);
    if (auto hook = on_inspect.find(it->first); hook != on_inspect.end()) hook->second(it->second.state);
    return it->second;
  }
  docker::ContainerStats container_stats(const std::string& id) override {
    record("container_stats " + id);
    std::lock_guard<std::mutex> lock(m_mutex);
    auto it = m_containers.find(key(id));
    if (it == m_containers.end())
      throw docker::EngineError(docker::ErrorKind::not_found, 404, "No such container: " + id);
    auto s = stats.find(it->first);
    return s == stats.end() ? docker::ContainerStats{} : s->second;
  }
  std::vector<docker::ContainerSummary> list_containers(const docker::Filters& f, bool) override {
    record("list_containers");
    std::lock_guard<std::mutex> lock(m_mutex);
    std::vector<docker::ContainerSummary> out;
    for (auto& [name, c] : m_containers) {
      if (!matches(c.labels, f)) continue;
      docker::ContainerSummary s;
      s.id = c.id;
      s.name = c.name;
      s.image = c.image;
      s.image_id = c.image_id;
      s.state = c.state.status;
      s.status =
          c.state.running ? "Up 1 second (healthy)" : "Exited (" + std::to_string(c.state.exit_code) + ") 1 second ago";
      s.labels = c.labels;
      out.push_back(s);
    }
    return out;
  }
  int wait_container(const std::string& id, docker::WaitCondition) override {
    record("wait_container " + id);
    return 0;
  }
  void logs(const std::string& id, const docker::LogOptions&, const docker::OutputSink& sink) override {
    record("logs " + id);
    if (sink) sink(docker::StreamKind::stdout_, "fake log line\n");
  }
  docker::ExecResult exec(const std::string& id, const docker::ExecSpec& spec, const docker::OutputSink& sink,
                          const std::optional<std::string>&) override {
    record("exec " + id);
    if (on_exec) return on_exec(id, spec, sink);
    auto it = probe_exit.find(id);
    docker::ExecResult r;
    r.exit_code = it == probe_exit.end() ? 0 : it->second;
    if (r.exit_code != 0) r.out = "probe failed\n";
    return r;
  }
  void put_archive(const std::string& id, const std::string& path, const std::string& tar) override {
    record("put_archive " + id + " " + path);
    std::lock_guard<std::mutex> lock(m_mutex);
    put_archives[{id, path}] = tar;
  }
  void get_archive(const std::string& id, const std::string& path,
                   const std::function<void(std::string_view)>& out) override {
    record("get_archive " + id + " " + path);
    if (archives.empty()) return;
    auto it = archives.find({id, path});
    if (it == archives.end()) throw docker::EngineError(docker::ErrorKind::not_found, 404, "No such path: " + path);
    for (size_t at = 0; at < it->second.size(); at += 1000) out(std::string_view(it->second).substr(at, 1000));
  }
  uint64_t request_count() const override {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_calls.size();
  }

 private:
  /// The stored name of a container given by name or by id ("id-NAME"), as the Engine takes
  /// either. Called with the mutex held.
  std::string key(const std::string& id_or_name) const {
    if (m_containers.count(id_or_name) != 0) return id_or_name;
    if (id_or_name.rfind("id-", 0) == 0 && m_containers.count(id_or_name.substr(3)) != 0) return id_or_name.substr(3);
    return id_or_name;
  }
  void record(std::string call) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_calls.push_back(std::move(call));
  }
  static bool matches(const docker::Labels& labels, const docker::Filters& f) {
    auto it = f.terms.find("label");
    if (it == f.terms.end()) return true;
    for (const std::string& term : it->second) {
      auto eq = term.find('=');
      std::string key = term.substr(0, eq);
      auto l = labels.find(key);
      if (l == labels.end()) return false;
      if (eq != std::string::npos && l->second != term.substr(eq + 1)) return false;
    }
    return true;
  }

  mutable std::mutex m_mutex;
  std::vector<std::string> m_calls;
  std::map<std::string, docker::ContainerInfo> m_containers;
  std::map<std::string, docker::NetworkInfo> m_networks;
  std::map<std::string, docker::VolumeInfo> m_volumes;
  std::set<std::string> m_images;
};

}  // namespace supactl::test

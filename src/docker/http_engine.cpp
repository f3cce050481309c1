// SPDX-License-Identifier: Apache-2.0
//
// HttpEngine: the Engine interface over HTTP. Every call is prefixed with the API version
// negotiated from /_ping (clamped to what supactl implements), every error status becomes an
// EngineError carrying the Engine's own message and what was being done, and every line of a
// pull stream is checked for an error even under a 200 status.
#include <supactl/docker/engine.hpp>

#include "docker/json_codec.hpp"
#include "docker/streams.hpp"
#include "docker/transport.hpp"

#include <supactl/core/base64.hpp>
#include <supactl/core/cancel.hpp>
#include <supactl/core/fs.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <thread>

// Requests are written with designated initializers that name only what differs from the
// defaults of HttpRequest; leaving the rest out is the point, not an oversight.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace supactl::docker {
namespace {

/// How long the first request (`/_ping`) may take: SUPACTL_ENGINE_TIMEOUT seconds, default 10.
/// An Engine that accepts connections but does not answer (frozen, overloaded) fails here.
long ping_timeout_ms() {
  const std::string text = core::env_or("SUPACTL_ENGINE_TIMEOUT");
  long seconds = text.empty() ? 10 : std::atol(text.c_str());
  return (seconds > 0 ? seconds : 10) * 1000;
}

using nlohmann::json;

/// "host:5000/repo/name:tag" -> {"host:5000/repo/name", "tag"}; a digest stays in the repo.
std::pair<std::string, std::string> split_ref(const std::string& ref) {
  if (ref.find('@') != std::string::npos) return {ref, ""};
  auto slash = ref.rfind('/');
  auto colon = ref.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    return {ref.substr(0, colon), ref.substr(colon + 1)};
  }
  return {ref, "latest"};
}

/// Registry host of a reference ("docker.io" when it has none).
std::string registry_of(const std::string& ref) {
  auto slash = ref.find('/');
  if (slash == std::string::npos) return "docker.io";
  std::string first = ref.substr(0, slash);
  if (first.find('.') != std::string::npos || first.find(':') != std::string::npos || first == "localhost")
    return first;
  return "docker.io";
}

/// X-Registry-Auth for `ref` from the docker config file's `auths` (base64url JSON); "e30="
/// ({}) when there are no credentials.
std::string registry_auth(const std::string& ref) {
  std::string dir = core::env_or("DOCKER_CONFIG");
  std::filesystem::path config = dir.empty()
                                     ? std::filesystem::path(core::env_or("HOME", "/root")) / ".docker" / "config.json"
                                     : std::filesystem::path(dir) / "config.json";
  if (!std::filesystem::exists(config)) return "e30=";
  json j = json::parse(core::read_file(config), nullptr, false);
  if (!j.is_object() || !j.contains("auths") || !j["auths"].is_object()) return "e30=";
  const std::string reg = registry_of(ref);
  for (auto& [server, entry] : j["auths"].items()) {
    bool match = server == reg || server.find("//" + reg) != std::string::npos ||
                 (reg == "docker.io" && server.find("index.docker.io") != std::string::npos);
    if (!match || !entry.is_object() || !entry.contains("auth")) continue;
    std::string userpass =
        core::base64_decode(entry["auth"].get<std::string>(), core::Base64Alphabet::standard).value_or("");
    auto colon = userpass.find(':');
    if (colon == std::string::npos) continue;
    json auth = {
        {"username", userpass.substr(0, colon)}, {"password", userpass.substr(colon + 1)}, {"serveraddress", server}};
    return core::base64_encode(auth.dump(), core::Base64Alphabet::url, /*pad=*/true);
  }
  return "e30=";
}

class HttpEngine : public Engine {
 public:
  explicit HttpEngine(const Endpoint& endpoint) : m_transport(endpoint) {}

  void negotiate() {
    PingInfo p = ping();
    const Endpoint& e = m_transport.endpoint();
    if (!e.api_version_pin.empty()) {
      m_version = e.api_version_pin;
      return;
    }
    if (p.api_version.empty()) {
      m_version = k_min_api_version;
      return;
    }
    if (compare_api(p.api_version, k_min_api_version) < 0) {
      throw EngineError(ErrorKind::unsupported, 0,
                        fmt::format("the Docker Engine speaks API {}, older than the {} supactl needs", p.api_version,
                                    k_min_api_version),
                        "upgrade Docker (Engine 20.10 or newer), or pin DOCKER_API_VERSION at your own risk");
    }
    m_version = compare_api(p.api_version, k_max_api_version) > 0 ? k_max_api_version : p.api_version;
    spdlog::debug("engine at {} ({}): API {} (Engine offers {})", e.host, e.source, m_version, p.api_version);
  }

  // --- system
  PingInfo ping() override {
    HttpResponse r = m_transport.perform({.method = "GET", .path = "/_ping", .timeout_ms = ping_timeout_ms()});
    if (r.status != 200) fail(r, "ping the Docker Engine");
    return {header(r, "api-version"), header(r, "ostype"), header(r, "swarm")};
  }
  VersionInfo version() override {
    json j = get_json("/version", "read the Engine version");
    return {j.value("Version", ""), j.value("ApiVersion", ""), j.value("MinAPIVersion", ""), j.value("Os", ""),
            j.value("Arch", "")};
  }
  json info() override { return get_json("/info", "read Engine info"); }
  std::string api_version() const override { return m_version; }

  void events(const Filters& filters, int64_t since, int64_t until, const EventSink& sink) override {
    std::string q;
    if (since != 0) q += "&since=" + std::to_string(since);
    if (until != 0) q += "&until=" + std::to_string(until);
    if (!filters.empty()) q += "&filters=" + url_encode(encode_filters(filters));
    JsonLines lines([&](const json& j) { return sink(decode_event(j)); });
    HttpResponse r = m_transport.perform({.method = "GET",
                                          .path = v("/events?" + q.substr(q.empty() ? 0 : 1)),
                                          .sink = [&](std::string_view c) { return lines.feed(c); }});
    if (r.status >= 400) fail(r, "follow Engine events");
  }

  // --- networks
  std::string create_network(const NetworkSpec& spec) override {
    json body = {{"Name", spec.name},         {"Driver", spec.driver},
                 {"Internal", spec.internal}, {"Attachable", spec.attachable},
                 {"Labels", spec.labels},     {"CheckDuplicate", true}};
    HttpResponse r = post("/networks/create", body);
    if (r.status == 201 || r.status == 200) return json::parse(r.body).value("Id", "");
    // Podman answers an existing name with 500 "network already exists".
    if (r.body.find("already exists") != std::string::npos) {
      throw EngineError(ErrorKind::conflict, 409,
                        fmt::format("create network {}: {}", spec.name, error_message_from_body(r.body)));
    }
    // The Engine's default address pools hold about 30 networks; each instance uses three.
    if (r.body.find("non-overlapping IPv4 address pool") != std::string::npos) {
      throw EngineError(
          ErrorKind::server, static_cast<int>(r.status),
          fmt::format("create network {}: the Docker Engine has no free address pool left for networks", spec.name),
          "give dockerd more: \"default-address-pools\": [{\"base\": \"10.213.0.0/16\", \"size\": 24}] "
          "in /etc/docker/daemon.json, restart dockerd (docs/DEPLOYMENT.md, several instances)");
    }
    fail(r, "create network " + spec.name);
  }
  NetworkInfo inspect_network(const std::string& id) override {
    return decode_network(get_json("/networks/" + url_encode(id), "inspect network " + id));
  }
  std::vector<NetworkInfo> list_networks(const Filters& filters) override {
    std::vector<NetworkInfo> out;
    for (const json& n : get_json("/networks" + filter_query(filters, "?"), "list networks"))
      out.push_back(decode_network(n));
    return out;
  }
  void remove_network(const std::string& id) override {
    expect(del("/networks/" + url_encode(id)), {204, 200}, "remove network " + id);
  }
  void connect_network(const std::string& net, const std::string& container,
                       const std::vector<std::string>& aliases) override {
    json body = {{"Container", container}, {"EndpointConfig", {{"Aliases", aliases}}}};
    expect(post("/networks/" + url_encode(net) + "/connect", body), {200},
           fmt::format("connect {} to network {}", container, net));
  }
  void disconnect_network(const std::string& net, const std::string& container, bool force) override {
    json body = {{"Container", container}, {"Force", force}};
    expect(post("/networks/" + url_encode(net) + "/disconnect", body), {200},
           fmt::format("disconnect {} from network {}", container, net));
  }

  // --- volumes
  VolumeInfo create_volume(const VolumeSpec& spec) override {
    json body = {
        {"Name", spec.name}, {"Driver", spec.driver}, {"Labels", spec.labels}, {"DriverOpts", spec.driver_opts}};
    HttpResponse r = post("/volumes/create", body);
    expect(r, {201, 200}, "create volume " + spec.name);
    return decode_volume(json::parse(r.body));
  }
  VolumeInfo inspect_volume(const std::string& name) override {
    return decode_volume(get_json("/volumes/" + url_encode(name), "inspect volume " + name));
  }
  std::vector<VolumeInfo> list_volumes(const Filters& filters) override {
    json j = get_json("/volumes" + filter_query(filters, "?"), "list volumes");
    std::vector<VolumeInfo> out;
    if (j.contains("Volumes") && j["Volumes"].is_array()) {
      for (const json& vol : j["Volumes"]) out.push_back(decode_volume(vol));
    }
    return out;
  }
  void remove_volume(const std::string& name, bool force) override {
    expect(del("/volumes/" + url_encode(name) + (force ? "?force=1" : "")), {204, 200}, "remove volume " + name);
  }

  // --- images
  std::optional<ImageInfo> inspect_image(const std::string& ref) override {
    HttpResponse r = get("/images/" + ref + "/json");
    if (r.status == 404) return std::nullopt;
    expect(r, {200}, "inspect image " + ref);
    return decode_image(json::parse(r.body));
  }
  std::vector<ImageInfo> list_images(const Filters& filters) override {
    std::vector<ImageInfo> out;
    for (const json& i : get_json("/images/json" + filter_query(filters, "?"), "list images"))
      out.push_back(decode_image(i));
    return out;
  }
  void pull_image(const std::string& ref, const PullSink& progress) override {
    auto [repo, tag] = split_ref(ref);
    std::string path = "/images/create?fromImage=" + url_encode(repo) + (tag.empty() ? "" : "&tag=" + url_encode(tag));
    const std::string auth = "X-Registry-Auth: " + registry_auth(ref);
    for (int attempt = 0;; ++attempt) {
      std::string stream_error;
      JsonLines lines([&](const json& j) {
        if (std::string e = stream_line_error(j); !e.empty()) {
          stream_error = e;
          return false;
        }
        if (progress) {
          PullProgress p;
          p.layer = j.value("id", "");
          p.status = j.value("status", "");
          if (j.contains("progressDetail") && j["progressDetail"].is_object()) {
            p.current = j["progressDetail"].value("current", int64_t{0});
            p.total = j["progressDetail"].value("total", int64_t{0});
          }
          progress(p);
        }
        return true;
      });
      HttpResponse r = m_transport.perform({.method = "POST",
                                            .path = v(path),
                                            .body = "",
                                            .content_type = "application/json",
                                            .headers = {auth},
                                            .upload_file = "",
                                            .sink = [&](std::string_view c) { return lines.feed(c); },
                                            .timeout_ms = 0});
      if (r.status < 400 && stream_error.empty()) lines.finish();
      std::string message = r.status >= 400 ? error_message_from_body(r.body) : stream_error;
      if (message.empty()) return;
      const bool throttled = r.status == 429 || message.find("toomanyrequests") != std::string::npos;
      if (throttled && attempt < 4 && !core::cancel_requested()) {
        auto wait = std::chrono::seconds(2 << attempt);
        spdlog::warn("pull {}: registry rate limit, retrying in {} s", ref, wait.count());
        std::this_thread::sleep_for(wait);
        continue;
      }
      throw EngineError(r.status >= 400 ? kind_for_status(r.status) : ErrorKind::server,
                        r.status >= 400 ? static_cast<int>(r.status) : 0, fmt::format("pull {}: {}", ref, message),
                        registry_of(ref) == "docker.io"
                            ? "check the image name, or pull through a mirror with --registry HOST:PORT"
                            : fmt::format("check that {} serves {}", registry_of(ref), ref));
    }
  }
  void tag_image(const std::string& source, const std::string& repo, const std::string& tag) override {
    expect(post("/images/" + source + "/tag?repo=" + url_encode(repo) + "&tag=" + url_encode(tag), json()), {201, 200},
           fmt::format("tag {} as {}:{}", source, repo, tag));
  }
  void save_images(const std::vector<std::string>& refs, const std::function<void(std::string_view)>& out) override {
    std::string q;
    for (const std::string& r : refs) q += (q.empty() ? "?" : "&") + std::string("names=") + url_encode(r);
    HttpResponse r =
        m_transport.perform({.method = "GET", .path = v("/images/get" + q), .sink = [&](std::string_view c) {
                               out(c);
                               return true;
                             }});
    expect(r, {200}, "save images");
  }
  void load_images(const std::string& tar_path) override {
    std::string stream_error;
    JsonLines lines([&](const json& j) {
      if (std::string e = stream_line_error(j); !e.empty()) stream_error = e;
      return true;
    });
    HttpResponse r = m_transport.perform({.method = "POST",
                                          .path = v("/images/load?quiet=1"),
                                          .body = "",
                                          .content_type = "application/x-tar",
                                          .headers = {},
                                          .upload_file = tar_path,
                                          .sink = [&](std::string_view c) { return lines.feed(c); },
                                          .timeout_ms = 0});
    lines.finish();
    expect(r, {200}, "load images from " + tar_path);
    if (!stream_error.empty())
      throw EngineError(ErrorKind::server, 0, fmt::format("load images from {}: {}", tar_path, stream_error));
  }

  // --- containers
  std::string create_container(const ContainerSpec& spec) override {
    const bool multi = compare_api(m_version, "1.44") >= 0;
    json body = encode_container(spec, multi, multi);
    HttpResponse r = post("/containers/create?name=" + url_encode(spec.name), body);
    expect(r, {201}, "create container " + spec.name);
    std::string id = json::parse(r.body).value("Id", "");
    if (!multi) {
      for (size_t i = 1; i < spec.networks.size(); ++i)
        connect_network(spec.networks[i].network, id, spec.networks[i].aliases);
    }
    return id;
  }
  void start_container(const std::string& id) override {
    expect(post("/containers/" + id + "/start", json()), {204, 304}, "start container " + id);
  }
  void stop_container(const std::string& id, int timeout_s) override {
    std::string q = timeout_s >= 0 ? "?t=" + std::to_string(timeout_s) : "";
    expect(post("/containers/" + id + "/stop" + q, json()), {204, 304}, "stop container " + id);
  }
  void restart_container(const std::string& id, int timeout_s) override {
    std::string q = timeout_s >= 0 ? "?t=" + std::to_string(timeout_s) : "";
    expect(post("/containers/" + id + "/restart" + q, json()), {204}, "restart container " + id);
  }
  void kill_container(const std::string& id, const std::string& signal) override {
    expect(post("/containers/" + id + "/kill?signal=" + url_encode(signal.empty() ? "SIGKILL" : signal), json()), {204},
           "kill container " + id);
  }
  void remove_container(const std::string& id, bool force, bool remove_volumes) override {
    expect(del(fmt::format("/containers/{}?force={}&v={}", id, force ? 1 : 0, remove_volumes ? 1 : 0)), {204},
           "remove container " + id);
  }
  void rename_container(const std::string& id, const std::string& new_name) override {
    expect(post("/containers/" + id + "/rename?name=" + url_encode(new_name), json()), {204},
           fmt::format("rename {} to {}", id, new_name));
  }
  ContainerInfo inspect_container(const std::string& id) override {
    return decode_container_info(get_json("/containers/" + id + "/json", "inspect container " + id));
  }
  ContainerStats container_stats(const std::string& id) override {
    return decode_container_stats(
        get_json("/containers/" + id + "/stats?stream=false&one-shot=true", "read the stats of container " + id));
  }
  std::vector<ContainerSummary> list_containers(const Filters& filters, bool all) override {
    std::string q = std::string("?all=") + (all ? "1" : "0") + filter_query(filters, "&");
    std::vector<ContainerSummary> out;
    for (const json& c : get_json("/containers/json" + q, "list containers"))
      out.push_back(decode_container_summary(c));
    return out;
  }
  int wait_container(const std::string& id, WaitCondition condition) override {
    const char* c = condition == WaitCondition::next_exit ? "next-exit"
                    : condition == WaitCondition::removed ? "removed"
                                                          : "not-running";
    HttpResponse r = post(fmt::format("/containers/{}/wait?condition={}", id, c), json(), 0);
    expect(r, {200}, "wait for container " + id);
    return json::parse(r.body).value("StatusCode", -1);
  }

  // --- logs, exec, files
  json call_json(const std::string& method, const std::string& path, const json& body,
                 const std::string& what) override {
    HttpResponse r = m_transport.perform({.method = method,
                                          .path = v(path),
                                          .body = body.is_null() ? std::string() : body.dump(),
                                          .timeout_ms = 120000});
    if (r.status < 200 || r.status >= 300) fail(r, what);
    if (r.body.empty()) return json();
    return json::parse(r.body, nullptr, false);
  }
  void service_logs(const std::string& service, const LogOptions& o, const OutputSink& sink) override {
    std::string q = fmt::format("?stdout={}&stderr={}&follow={}&timestamps={}&tail={}", o.stdout_ ? 1 : 0,
                                o.stderr_ ? 1 : 0, o.follow ? 1 : 0, o.timestamps ? 1 : 0, url_encode(o.tail));
    if (o.since != 0) q += "&since=" + std::to_string(o.since);
    FrameDemuxer demux(sink);
    HttpResponse r = m_transport.perform({.method = "GET",
                                          .path = v("/services/" + url_encode(service) + "/logs" + q),
                                          .sink = [&](std::string_view c) { return demux.feed(c); }});
    if (r.status >= 400) fail(r, "read the logs of service " + service);
  }
  void logs(const std::string& id, const LogOptions& o, const OutputSink& sink) override {
    std::string q = fmt::format("?stdout={}&stderr={}&follow={}&timestamps={}&tail={}", o.stdout_ ? 1 : 0,
                                o.stderr_ ? 1 : 0, o.follow ? 1 : 0, o.timestamps ? 1 : 0, url_encode(o.tail));
    if (o.since != 0) q += "&since=" + std::to_string(o.since);
    if (o.until != 0) q += "&until=" + std::to_string(o.until);
    FrameDemuxer demux(sink);
    HttpResponse r = m_transport.perform({.method = "GET",
                                          .path = v("/containers/" + id + "/logs" + q),
                                          .sink = [&](std::string_view c) { return demux.feed(c); }});
    expect(r, {200}, "read logs of " + id);
  }
  /// `POST /containers/{id}/exec`: returns the exec id.
  std::string create_exec(const std::string& id, const ExecSpec& spec, bool attach_stdin) {
    json create = {{"AttachStdout", true},
                   {"AttachStderr", true},
                   {"AttachStdin", attach_stdin},
                   {"Cmd", spec.cmd},
                   {"Tty", spec.tty}};
    if (!spec.env.empty()) create["Env"] = spec.env;
    if (!spec.user.empty()) create["User"] = spec.user;
    if (!spec.working_dir.empty()) create["WorkingDir"] = spec.working_dir;
    HttpResponse r = post("/containers/" + id + "/exec", create);
    expect(r, {201}, "exec in " + id);
    return json::parse(r.body).value("Id", "");
  }
  ExecResult exec(const std::string& id, const ExecSpec& spec, const OutputSink& sink,
                  const std::optional<std::string>& stdin_data) override {
    const std::string exec_id = create_exec(id, spec, stdin_data.has_value());
    ExecResult result;
    FrameDemuxer demux([&](StreamKind k, std::string_view data) {
      if (sink) return sink(k, data);
      (k == StreamKind::stderr_ ? result.err : result.out).append(data);
      return true;
    });
    if (spec.tty) demux.force_raw();
    HttpRequest start{.method = "POST",
                      .path = v("/exec/" + exec_id + "/start"),
                      .body = json{{"Detach", false}, {"Tty", spec.tty}}.dump(),
                      .sink = [&](std::string_view c) { return demux.feed(c); }};
    if (stdin_data) {
      // Standard input needs the connection upgraded to a raw stream.
      long status = m_transport.hijack(start, *stdin_data, start.sink);
      if (status != 101 && status != 200) {
        throw EngineError(kind_for_status(status), static_cast<int>(status),
                          fmt::format("start exec in {}: HTTP {}", id, status));
      }
    } else {
      HttpResponse s = m_transport.perform(start);
      expect(s, {200, 101}, "start exec in " + id);
    }
    json info = get_json("/exec/" + exec_id + "/json", "inspect exec in " + id);
    result.exit_code = info.value("ExitCode", -1);
    return result;
  }
  int exec_attached(const std::string& id, const ExecSpec& spec, int input_fd, const OutputSink& sink, unsigned rows,
                    unsigned cols) override {
    const std::string exec_id = create_exec(id, spec, true);
    FrameDemuxer demux([&](StreamKind k, std::string_view data) { return sink ? sink(k, data) : true; });
    if (spec.tty) demux.force_raw();
    HttpRequest start{.method = "POST",
                      .path = v("/exec/" + exec_id + "/start"),
                      .body = json{{"Detach", false}, {"Tty", spec.tty}}.dump(),
                      .sink = [&](std::string_view c) { return demux.feed(c); }};
    auto resize = [&] {
      if (!spec.tty || rows == 0 || cols == 0) return;
      // Best effort: the process may already have ended.
      m_transport.perform({.method = "POST", .path = v(fmt::format("/exec/{}/resize?h={}&w={}", exec_id, rows, cols))});
    };
    long status = m_transport.hijack(start, {}, input_fd, resize, start.sink);
    if (status != 101 && status != 200) {
      throw EngineError(kind_for_status(status), static_cast<int>(status),
                        fmt::format("start exec in {}: HTTP {}", id, status));
    }
    json info = get_json("/exec/" + exec_id + "/json", "inspect exec in " + id);
    return info.value("ExitCode", -1);
  }
  void put_archive(const std::string& id, const std::string& path, const std::string& archive) override {
    HttpResponse r = m_transport.perform({.method = "PUT",
                                          .path = v("/containers/" + id + "/archive?path=" + url_encode(path)),
                                          .body = archive,
                                          .content_type = "application/x-tar"});
    expect(r, {200}, fmt::format("copy files into {}:{}", id, path));
  }
  void put_archive_file(const std::string& id, const std::string& path,
                        const std::filesystem::path& tar_file) override {
    HttpResponse r = m_transport.perform({.method = "PUT",
                                          .path = v("/containers/" + id + "/archive?path=" + url_encode(path)),
                                          .content_type = "application/x-tar",
                                          .upload_file = tar_file.string()});
    expect(r, {200}, fmt::format("copy files into {}:{}", id, path));
  }
  void get_archive(const std::string& id, const std::string& path,
                   const std::function<void(std::string_view)>& out) override {
    HttpResponse r = m_transport.perform({.method = "GET",
                                          .path = v("/containers/" + id + "/archive?path=" + url_encode(path)),
                                          .sink = [&](std::string_view c) {
                                            out(c);
                                            return true;
                                          }});
    expect(r, {200}, fmt::format("copy files out of {}:{}", id, path));
  }

  uint64_t request_count() const override { return m_transport.request_count(); }

 private:
  std::string v(const std::string& path) const { return "/v" + m_version + path; }

  static std::string header(const HttpResponse& r, const char* name) {
    auto it = r.headers.find(name);
    return it == r.headers.end() ? std::string() : it->second;
  }
  static std::string filter_query(const Filters& f, const char* sep) {
    return f.empty() ? std::string() : std::string(sep) + "filters=" + url_encode(encode_filters(f));
  }

  HttpResponse get(const std::string& path) {
    return m_transport.perform({.method = "GET", .path = v(path), .timeout_ms = 30000});
  }
  HttpResponse del(const std::string& path) {
    return m_transport.perform({.method = "DELETE", .path = v(path), .timeout_ms = 120000});
  }
  HttpResponse post(const std::string& path, const json& body, long timeout_ms = 180000) {
    return m_transport.perform({.method = "POST",
                                .path = v(path),
                                .body = body.is_null() ? std::string() : body.dump(),
                                .timeout_ms = timeout_ms});
  }
  json get_json(const std::string& path, const std::string& what) {
    HttpResponse r = path == "/_ping" ? get(path) : get(path);
    expect(r, {200}, what);
    return json::parse(r.body);
  }
  void expect(const HttpResponse& r, std::initializer_list<long> ok, const std::string& what) {
    for (long s : ok) {
      if (r.status == s) return;
    }
    fail(r, what);
  }
  [[noreturn]] void fail(const HttpResponse& r, const std::string& what) {
    throw EngineError(kind_for_status(r.status), static_cast<int>(r.status),
                      fmt::format("{}: {}", what, error_message_from_body(r.body)));
  }

  Transport m_transport;
  std::string m_version = k_min_api_version;
};

}  // namespace

std::unique_ptr<Engine> connect(const Endpoint& endpoint) {
  auto engine = std::make_unique<HttpEngine>(endpoint);
  engine->negotiate();
  return engine;
}

}  // namespace supactl::docker

// SPDX-License-Identifier: Apache-2.0
//
// The shared edge: settings, Caddy's JSON config, and bringing the running edge in line with
// the home (see edge/edge.hpp).
#include <supactl/edge/edge.hpp>

#include <supactl/compose/model.hpp>
#include <supactl/config/home.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/core/lock.hpp>
#include <supactl/docker/tar.hpp>
#include <supactl/render/render.hpp>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>
#include <kainjow/mustache.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

namespace supactl::edge {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool ip_address(const std::string& s) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

std::string settings_file(const fs::path& home) { return (edge_dir(home) / "edge.yaml").string(); }

/// "" for port 443 (https) or 80 (http), else ":PORT".
std::string port_suffix(int port, int standard) { return port == standard ? std::string() : fmt::format(":{}", port); }

json json_body_503(const std::string& instance) {
  return json{{"message", fmt::format("instance {} is not running: its gateway does not answer", instance)},
              {"instance", instance}};
}

}  // namespace

fs::path edge_dir(const fs::path& home) { return home / "edge"; }

void check_settings(const Settings& s) {
  auto port_ok = [](int p) { return p >= 1 && p <= 65535; };
  if (!port_ok(s.http_port) || !port_ok(s.https_port)) {
    throw Error(fmt::format("edge ports must be between 1 and 65535 (http {}, https {})", s.http_port, s.https_port),
                ExitCode::usage, "choose other ports with --http-port and --https-port");
  }
  if (s.http_port == s.https_port) {
    throw Error(fmt::format("the edge's HTTP and HTTPS ports are both {}", s.http_port), ExitCode::usage,
                "give --http-port and --https-port different ports");
  }
  if (!s.bind.empty() && !ip_address(s.bind)) {
    throw Error(fmt::format("--bind {} is not an IP address", s.bind), ExitCode::usage,
                "give an address of this host, e.g. --bind 127.0.0.1, or leave --bind out for every address");
  }
}

std::optional<Settings> load_settings(const fs::path& home) {
  const std::string path = settings_file(home);
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  Settings s;
  try {
    const YAML::Node root = YAML::LoadFile(path);
    if (root["http_port"]) s.http_port = root["http_port"].as<int>();
    if (root["https_port"]) s.https_port = root["https_port"].as<int>();
    if (root["bind"]) s.bind = root["bind"].as<std::string>();
    if (root["registry"]) s.registry = root["registry"].as<std::string>();
    if (root["email"]) s.email = root["email"].as<std::string>();
    if (root["image"]) s.image = root["image"].as<std::string>();
  } catch (const YAML::Exception& e) {
    throw Error(fmt::format("{} is not valid: {}", path, e.what()), ExitCode::usage,
                "fix the file, or remove it and run `supactl edge up` with the options you want");
  }
  try {
    check_settings(s);
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", path, e.what()), ExitCode::usage,
                "fix the file or run `supactl edge up` with other options");
  }
  return s;
}

void save_settings(const fs::path& home, const Settings& s) {
  check_settings(s);
  fs::create_directories(edge_dir(home));
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "http_port" << YAML::Value << s.http_port;
  out << YAML::Key << "https_port" << YAML::Value << s.https_port;
  out << YAML::Key << "bind" << YAML::Value << YAML::DoubleQuoted << s.bind;
  out << YAML::Key << "registry" << YAML::Value << YAML::DoubleQuoted << s.registry;
  out << YAML::Key << "email" << YAML::Value << YAML::DoubleQuoted << s.email;
  out << YAML::Key << "image" << YAML::Value << YAML::DoubleQuoted << s.image;
  out << YAML::EndMap;
  core::write_file_atomic(settings_file(home),
                          "# The shared edge's settings, written by `supactl edge up` (its options change them).\n" +
                              std::string(out.c_str()) + "\n",
                          0644);
}

bool internal_name(const std::string& domain) {
  if (domain == "localhost" || ip_address(domain)) return true;
  for (const char* suffix : {".localhost", ".test", ".internal", ".local", ".home.arpa", ".invalid", ".example"}) {
    if (ends_with(domain, suffix)) return true;
  }
  return false;
}

std::string gateway_host(const std::string& instance) { return instance + "-kong"; }

std::string access_log_path(const std::string& instance) { return "/data/access/" + instance + ".log"; }

bool caddy_keeps_streams(const std::string& version_text) {
  int major = 0;
  int minor = 0;
  const char* text = version_text.c_str();
  if (*text == 'v') ++text;  // official builds print "v2.10.2 h1:...", Debian's "2.6.2"
  if (std::sscanf(text, "%d.%d", &major, &minor) != 2) return false;
  return major > 2 || (major == 2 && minor >= 7);
}

json caddy_config(const Settings& settings, const std::vector<Route>& unsorted, const std::string& stream_close_delay) {
  std::vector<Route> routes = unsorted;
  std::sort(routes.begin(), routes.end(), [](const Route& a, const Route& b) { return a.instance < b.instance; });

  json https_routes = json::array();
  json error_routes = json::array();
  json redirect_routes = json::array();
  json logger_names = json::object();
  json logs = json::object();
  json excluded = json::array();
  json internal_subjects = json::array();
  json acme_subjects = json::array();
  const std::string https_suffix = port_suffix(settings.https_port, 443);

  for (const Route& r : routes) {
    const json host_match = json::array({json{{"host", json::array({r.domain})}}});
    json proxy{
        {"handler", "reverse_proxy"},
        // Resolved at every dial: a stopped gateway is gone from Docker's DNS at once, so the
        // request fails fast into the 503 below instead of hanging.
        {"upstreams", json::array({json{{"dial", gateway_host(r.instance) + ":8000"}}})},
        {"transport", json{{"protocol", "http"}, {"dial_timeout", "2s"}}},
    };
    // Every route change reloads the whole config; without a delay Caddy closes every proxied
    // websocket (Realtime) of every instance at each reload.
    if (!stream_close_delay.empty()) proxy["stream_close_delay"] = stream_close_delay;
    https_routes.push_back(json{
        {"@id", "supactl-" + r.instance},
        {"match", host_match},
        {"handle", json::array({proxy})},
        {"terminal", true},
    });
    error_routes.push_back(json{
        {"match", host_match},
        {"handle", json::array({json{
                       {"handler", "static_response"},
                       {"status_code", 503},
                       {"headers",
                        json{{"Content-Type", json::array({"application/json"})}, {"Retry-After", json::array({"5"})}}},
                       {"body", json_body_503(r.instance).dump()},
                   }})},
        {"terminal", true},
    });
    redirect_routes.push_back(json{
        {"match", host_match},
        {"handle", json::array({json{
                       {"handler", "static_response"},
                       {"status_code", 308},
                       {"headers", json{{"Location", json::array({"https://{http.request.host}" + https_suffix +
                                                                  "{http.request.uri}"})}}},
                   }})},
        {"terminal", true},
    });
    logger_names[r.domain] = r.instance;
    const std::string logger = "http.log.access." + r.instance;
    excluded.push_back(logger);
    logs["access-" + r.instance] = json{
        {"writer",
         json{{"output", "file"}, {"filename", access_log_path(r.instance)}, {"roll_size_mb", 10}, {"roll_keep", 5}}},
        {"encoder", json{{"format", "filter"},
                         {"wrap", json{{"format", "json"}}},
                         {"fields", json{{"request>headers>Apikey", json{{"filter", "delete"}}},
                                         {"request>headers>Authorization", json{{"filter", "delete"}}},
                                         {"request>headers>Cookie", json{{"filter", "delete"}}},
                                         {"request>headers>Proxy-Authorization", json{{"filter", "delete"}}},
                                         {"resp_headers>Set-Cookie", json{{"filter", "delete"}}}}}}},
        {"include", json::array({logger})},
    };
    (r.internal_tls ? internal_subjects : acme_subjects).push_back(r.domain);
  }
  const json not_here = json{{"handle", json::array({json{{"handler", "static_response"},
                                                          {"status_code", 404},
                                                          {"body", "no instance answers at this address\n"}}})}};
  https_routes.push_back(not_here);
  redirect_routes.push_back(not_here);
  logs["default"] = json{{"exclude", excluded}};

  json policies = json::array();
  if (!internal_subjects.empty()) {
    policies.push_back(json{{"subjects", internal_subjects}, {"issuers", json::array({json{{"module", "internal"}}})}});
  }
  if (!acme_subjects.empty()) {
    json acme{{"module", "acme"}};
    if (!settings.email.empty()) acme["email"] = settings.email;
    policies.push_back(json{{"subjects", acme_subjects}, {"issuers", json::array({acme})}});
  }

  json https_server{
      {"listen", json::array({fmt::format(":{}", settings.https_port)})},
      {"routes", https_routes},
      {"errors", json{{"routes", error_routes}}},
      {"logs", json{{"logger_names", logger_names}}},
      // The redirects are the HTTP server's below, one per known domain.
      {"automatic_https", json{{"disable_redirects", true}}},
  };
  json http_server{
      {"listen", json::array({fmt::format(":{}", settings.http_port)})},
      {"routes", redirect_routes},
  };
  json apps{{"http", json{{"http_port", settings.http_port},
                          {"https_port", settings.https_port},
                          {"servers", json{{"edge", https_server}, {"redirect", http_server}}}}}};
  if (!policies.empty()) apps["tls"] = json{{"automation", json{{"policies", policies}}}};
  return json{{"admin", json{{"listen", k_admin}}}, {"logging", json{{"logs", logs}}}, {"apps", apps}};
}

std::string render_compose(const Settings& settings, const std::string& templates_override) {
  const std::map<std::string, std::string> templates = render::load_templates(templates_override);
  auto it = templates.find("edge/compose.yml.mustache");
  if (it == templates.end()) {
    throw Error("the template edge/compose.yml.mustache is missing", ExitCode::failure,
                "add it to the --templates folder, or leave --templates out");
  }
  std::string image = settings.image;
  if (image.empty()) {
    const std::map<std::string, std::string> images =
        render::release_images(config::k_default_release, templates_override);
    auto c = images.find("caddy");
    if (c == images.end()) throw Error("the release's image list names no caddy image", ExitCode::failure);
    image = c->second;
    if (!settings.registry.empty()) image = settings.registry + "/" + image;
  }
  kainjow::mustache::data data;
  data.set("image", image);
  data.set("http_port", std::to_string(settings.http_port));
  data.set("https_port", std::to_string(settings.https_port));
  const std::string bind = settings.bind.find(':') != std::string::npos ? "[" + settings.bind + "]" : settings.bind;
  data.set("bind_prefix", bind.empty() ? std::string() : bind + ":");
  kainjow::mustache::mustache tmpl(it->second);
  tmpl.set_custom_escape([](const std::string& s) { return s; });
  std::string out = tmpl.render(data);
  if (!tmpl.is_valid()) {
    throw Error(fmt::format("template edge/compose.yml.mustache: {}", tmpl.error_message()), ExitCode::failure,
                "fix the template (or remove it from the --templates folder)");
  }
  return out;
}

std::string find_container(docker::Engine& engine) {
  docker::Filters f;
  f.label(compose::k_label_project, k_project).label(compose::k_label_service, "caddy");
  std::vector<docker::ContainerSummary> found = engine.list_containers(f, true);
  if (found.empty()) return {};
  // A running one first (a replacement may be starting beside an old one).
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return (a.run_state() == docker::RunState::running) > (b.run_state() == docker::RunState::running);
  });
  return found.front().id;
}

namespace {

/// Every instance of the home with `edge: shared`, as routes (unreadable ones to `warnings`).
std::vector<Route> shared_instances(const fs::path& home, std::vector<std::string>& warnings) {
  std::vector<Route> out;
  for (const std::string& name : config::list_instances(home)) {
    try {
      const config::Instance inst = config::load_instance(home, name);
      if (!inst.spec.shared_edge()) continue;
      out.push_back(
          Route{.instance = name, .domain = inst.spec.domain, .internal_tls = internal_name(inst.spec.domain)});
    } catch (const Error& e) {
      warnings.push_back(fmt::format("instance {} is not routed: {}", name, e.what()));
    }
  }
  return out;
}

constexpr const char* k_stream_close_delay = "30m";

/// `caddy version` in the edge container ("" when it cannot be run).
std::string caddy_version(docker::Engine& engine, const std::string& container) {
  docker::ExecSpec spec;
  spec.cmd = {"caddy", "version"};
  try {
    const docker::ExecResult r = engine.exec(container, spec);
    return r.exit_code == 0 ? r.out : std::string();
  } catch (const docker::EngineError& e) {
    spdlog::debug("edge: caddy version: {}", e.what());
    return {};
  }
}

/// Loads `config` into the running edge: the file is put into the container's config volume,
/// then `caddy reload` hands it to the admin API (a graceful reload, never a restart).
void load_config(docker::Engine& engine, const std::string& container, const json& config) {
  engine.put_archive(
      container, "/config",
      docker::make_tar({docker::TarFile{.path = "supactl-edge.json", .content = config.dump(2), .mode = 0644}}));
  docker::ExecSpec spec;
  spec.cmd = {"caddy", "reload", "--config", "/config/supactl-edge.json", "--address", k_admin};
  const docker::ExecResult r = engine.exec(container, spec);
  if (r.exit_code != 0) {
    std::string why = r.err.empty() ? r.out : r.err;
    while (!why.empty() && (why.back() == '\n' || why.back() == '\r')) why.pop_back();
    throw Error(fmt::format("the shared edge refused its routes (caddy reload exit {}): {}", r.exit_code, why),
                ExitCode::failure, "`supactl edge status` shows the edge; `docker logs` of its container says more");
  }
}

}  // namespace

namespace {

/// Each instance's edge network, by project (compose labels, one list call).
std::map<std::string, std::string> instance_networks(docker::Engine& engine) {
  docker::Filters nf;
  nf.label(compose::k_label_network, "edge");
  std::map<std::string, std::string> network_of;  // project -> network name
  for (const docker::NetworkInfo& n : engine.list_networks(nf)) {
    auto p = n.labels.find(compose::k_label_project);
    if (p != n.labels.end() && p->second != k_project) network_of[p->second] = n.name;
  }
  return network_of;
}

std::vector<Route> routed(const std::vector<Route>& shared, const std::map<std::string, std::string>& network_of,
                          const std::string& leaving) {
  std::vector<Route> out;
  for (const Route& r : shared) {
    if (r.instance != leaving && network_of.count(r.instance) != 0) out.push_back(r);
  }
  return out;
}

}  // namespace

std::vector<Route> wanted_routes(docker::Engine& engine, const fs::path& home, std::vector<std::string>& warnings) {
  return routed(shared_instances(home, warnings), instance_networks(engine), {});
}

void leave_all(docker::Engine& engine) {
  const std::string container = find_container(engine);
  if (container.empty()) return;
  const docker::ContainerInfo info = engine.inspect_container(container);
  for (const auto& [project, network] : instance_networks(engine)) {
    if (info.networks.count(network) != 0) engine.disconnect_network(network, container, true);
  }
}

SyncReport sync(docker::Engine& engine, const fs::path& home, const std::string& leaving) {
  // One sync at a time per home: two instances coming up at once would otherwise each load a
  // config computed before the other's network existed, and the later load would drop a route.
  std::error_code ec;
  fs::create_directories(edge_dir(home), ec);
  const core::FileLock lock = core::FileLock::directory(edge_dir(home));
  SyncReport report;
  const std::string container = find_container(engine);
  const std::map<std::string, std::string> network_of = instance_networks(engine);
  report.routes = routed(shared_instances(home, report.warnings), network_of, leaving);
  std::set<std::string> routed_networks;
  for (const Route& r : report.routes) routed_networks.insert(network_of.at(r.instance));
  if (container.empty()) return report;

  const docker::ContainerInfo info = engine.inspect_container(container);
  report.edge_running = info.state.running;
  // Networks the edge must not hold: an instance going down, or one no longer shared.
  std::vector<std::string> to_leave;
  for (const auto& [network, aliases] : info.networks) {
    bool instance_network = false;
    for (const auto& [project, name] : network_of) instance_network = instance_network || name == network;
    if (instance_network && routed_networks.count(network) == 0) to_leave.push_back(network);
  }
  auto leave = [&]() {
    for (const std::string& network : to_leave) {
      engine.disconnect_network(network, container, true);
      report.left.push_back(network);
    }
  };
  if (!report.edge_running) {
    leave();
    return report;
  }
  for (const std::string& network : routed_networks) {
    if (info.networks.count(network) != 0) continue;
    engine.connect_network(network, container, {});
    report.joined.push_back(network);
  }
  // Routes first, then the networks go: no request is sent to a network being left.
  try {
    const std::string delay = caddy_keeps_streams(caddy_version(engine, container)) ? k_stream_close_delay : "";
    load_config(engine, container, caddy_config(load_settings(home).value_or(Settings{}), report.routes, delay));
  } catch (...) {
    leave();  // a network `down` removes is let go even so
    throw;
  }
  leave();
  return report;
}

void release(docker::Engine& engine, const fs::path& home, const std::string& name) {
  if (!in_use(home)) return;
  try {
    const SyncReport r = sync(engine, home, name);
    for (const std::string& w : r.warnings) spdlog::warn("{}", w);
  } catch (const Error& e) {
    spdlog::warn("the shared edge keeps its old routes: {}", e.what());
  }
}

bool in_use(const fs::path& home) {
  std::error_code ec;
  return fs::exists(edge_dir(home) / "edge.yaml", ec);
}

std::optional<std::vector<std::string>> live_routes(docker::Engine& engine) {
  const std::string container = find_container(engine);
  if (container.empty()) return std::nullopt;
  docker::ExecSpec spec;
  spec.cmd = {"wget", "-q", "-O", "-", fmt::format("http://{}/config/apps/http/servers/edge/routes", k_admin)};
  docker::ExecResult r;
  try {
    r = engine.exec(container, spec);
  } catch (const docker::EngineError& e) {
    spdlog::debug("edge: cannot ask the admin API: {}", e.what());
    return std::nullopt;
  }
  if (r.exit_code != 0) return std::nullopt;
  std::vector<std::string> out;
  const json routes = json::parse(r.out, nullptr, false);
  if (!routes.is_array()) return out;
  for (const json& route : routes) {
    const std::string id = route.value("@id", std::string());
    if (id.rfind("supactl-", 0) == 0) out.push_back(id.substr(8));
  }
  return out;
}

}  // namespace supactl::edge

// SPDX-License-Identifier: Apache-2.0
#pragma once

// The shared edge: one Caddy, compose project `supactl-edge`, that publishes 80/443 for every
// instance created with `edge: shared` and routes each by Host and SNI to that instance's Kong.
//
// - Its settings (ports, bind address, registry, ACME e-mail) live in HOME/edge/edge.yaml,
//   written by `supactl edge up`; its compose file is rendered from templates/edge/ into
//   HOME/edge/rendered and converged by the same stack::up as an instance.
// - Routes are not in any file the container reads at start: supactl builds Caddy's whole JSON
//   config (caddy_config, pure) from the instances of the home and loads it through Caddy's
//   admin API, which listens on localhost inside the container only (`caddy reload` run by
//   exec). A reload never restarts the container; Caddy keeps the last config it loaded in its
//   config volume and starts from it again (`caddy run --resume`).
// - An instance is routed while its `edge` network exists (from its `up` to its `down`); the
//   edge joins that network and reaches the instance's Kong replicas by the alias NAME-kong.
//   The instances never share a network with each other.

#include <supactl/docker/engine.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace supactl::edge {

/// The edge's compose project, and the container label value its services carry.
inline constexpr const char* k_project = "supactl-edge";
/// Where Caddy's admin API listens, inside the edge container only.
inline constexpr const char* k_admin = "localhost:2019";

struct Settings {
  int http_port = 80;
  int https_port = 443;
  std::string bind;      ///< host address the ports are published on; "" = every address
  std::string registry;  ///< image mirror HOST:PORT; "" = none
  std::string email;     ///< ACME account e-mail; "" = none
  std::string image;     ///< "" = the release's caddy image
};

/// HOME/edge
std::filesystem::path edge_dir(const std::filesystem::path& home);
/// The saved settings, or nullopt when `edge up` never ran in this home. Throws
/// supactl::Error(usage) when edge.yaml is not valid.
std::optional<Settings> load_settings(const std::filesystem::path& home);
void save_settings(const std::filesystem::path& home, const Settings& settings);
/// Refuses (usage) ports outside 1-65535, equal ports, a bind address that is not an IP.
void check_settings(const Settings& settings);

/// One instance routed through the edge.
struct Route {
  std::string instance;
  std::string domain;
  /// Caddy's internal CA signs the certificate (localhost, *.localhost, *.test, *.internal,
  /// *.local, *.home.arpa, IP addresses); otherwise ACME.
  bool internal_tls = false;
};

/// Whether `domain` gets a certificate of Caddy's internal CA rather than ACME's.
bool internal_name(const std::string& domain);
/// The host name the edge dials for `instance`'s Kong (its alias on the instance's edge network).
std::string gateway_host(const std::string& instance);
/// Where the edge writes `instance`'s JSON access log, inside the edge container.
std::string access_log_path(const std::string& instance);

/// Caddy's complete JSON config for `settings` and `routes` (sorted by instance), pure and
/// deterministic:
/// - an HTTPS server on https_port: a route per domain to its Kong (websockets pass through;
///   X-Forwarded-* are set by Caddy, which believes none it receives), a 503 JSON answer when
///   the instance's gateway cannot be reached, 404 for an unknown host;
/// - an HTTP server on http_port that redirects every known domain to HTTPS (ACME's HTTP
///   challenge is answered before any route);
/// - a JSON access log per instance without API keys, tokens or cookies;
/// - TLS automation: the internal issuer for internal names, ACME (with `email`) otherwise.
///
/// `stream_close_delay`: keep websockets open across a reload for that long (e.g. "30m"); only
/// Caddy 2.7 and later know the setting, so it is "" (left out) for older ones.
nlohmann::json caddy_config(const Settings& settings, const std::vector<Route>& routes,
                            const std::string& stream_close_delay = {});

/// Whether the `caddy version` text (e.g. "v2.10.2 h1:...") names Caddy 2.7 or later.
bool caddy_keeps_streams(const std::string& version_text);

/// The edge's compose file for `settings` (templates/edge/compose.yml.mustache).
std::string render_compose(const Settings& settings, const std::string& templates_override);

/// The edge's Caddy container (any state), or "" when there is none.
std::string find_container(docker::Engine& engine);

/// What sync found and did.
struct SyncReport {
  bool edge_running = false;
  std::vector<Route> routes;          ///< routed instances, as loaded into Caddy
  std::vector<std::string> joined;    ///< networks the edge joined in this run
  std::vector<std::string> left;      ///< networks the edge left in this run
  std::vector<std::string> warnings;  ///< instances of the home that could not be read
};

/// Brings the running edge in line with the home: joins the edge network of every `edge:
/// shared` instance whose network exists (except `leaving`), leaves the networks of any other
/// project, and loads the config for those routes. With no running edge nothing is loaded
/// (edge_running false), but a `leaving` network is still left, so a stopped edge never holds a
/// network that `down` removes. Throws supactl::Error when Caddy refuses the config.
SyncReport sync(docker::Engine& engine, const std::filesystem::path& home, const std::string& leaving = {});

/// The routes sync would load now: every `edge: shared` instance of the home whose edge network
/// exists (instances that cannot be read go to `warnings`).
std::vector<Route> wanted_routes(docker::Engine& engine, const std::filesystem::path& home,
                                 std::vector<std::string>& warnings);

/// The edge leaves every instance's network (`edge down --force`).
void leave_all(docker::Engine& engine);

/// Before instance `name` goes down (`down`, `rm`): the edge drops its route and leaves its
/// network, so the network can be removed and a stopped edge never starts with a network that
/// is gone. A no-op when the edge was never used here. An edge that refuses the new config is
/// logged as a warning, not thrown: the instance goes down even so.
void release(docker::Engine& engine, const std::filesystem::path& home, const std::string& name);

/// Whether `edge up` ever ran in this home (then up and down of every instance sync the edge).
bool in_use(const std::filesystem::path& home);

/// The live config's routed instances (from the admin API, by route @id), or nullopt when the
/// edge does not run or cannot be asked.
std::optional<std::vector<std::string>> live_routes(docker::Engine& engine);

}  // namespace supactl::edge

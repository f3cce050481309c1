// SPDX-License-Identifier: Apache-2.0
#pragma once

// InstanceSpec: everything non-secret that describes one instance, as stored in its
// instance.yaml. Secrets live in secrets.env (supactl::secrets); derived values (URLs, image
// references) are computed by supactl::render.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace supactl::config {

/// The release supactl's templates describe when an instance does not name one.
inline constexpr const char* k_default_release = "v0.8.1";

enum class StorageBackend { minio, file };
enum class TlsMode { internal, acme, off };

struct Ports {
  int http = 0;                ///< host port Caddy publishes for HTTP
  int https = 0;               ///< host port Caddy publishes for HTTPS (unused when tls.mode is off)
  int db = 0;                  ///< host port of Postgres on 127.0.0.1; 0 = not published
  int pooler_session = 0;      ///< Supavisor session mode on 127.0.0.1; 0 = not published
  int pooler_transaction = 0;  ///< Supavisor transaction mode on 127.0.0.1; 0 = not published
};

struct RateLimit {
  bool enabled = true;
  int per_second = 100;   ///< requests per client IP and second; 0 = no limit
  int per_minute = 3000;  ///< requests per client IP and minute; 0 = no limit
};

struct KongSpec {
  int replicas = 1;  ///< Kong containers behind Caddy's load balancer
  RateLimit rate_limit;
};

struct OAuthProvider {
  bool enabled = false;
  std::string client_id;
  std::string redirect_uri;  ///< empty = API_EXTERNAL_URL + /callback
};

struct SmtpSpec {
  std::string host = "supabase-mail";
  int port = 2500;
  std::string user = "fake_mail_user";
  std::string sender_name = "fake_sender";
  std::string admin_email = "admin@example.com";
};

struct AuthSpec {
  std::string site_url = "http://localhost:3000";
  std::vector<std::string> additional_redirect_urls;
  int jwt_expiry = 3600;
  bool disable_signup = false;
  bool email_signup = true;
  bool email_autoconfirm = false;
  bool anonymous_users = false;
  bool phone_signup = true;
  bool phone_autoconfirm = true;
  std::map<std::string, OAuthProvider> providers;  ///< google, github, azure
  SmtpSpec smtp;
};

struct RestSpec {
  std::vector<std::string> schemas = {"public", "storage", "graphql_public"};
  int max_rows = 1000;
};

struct StorageSpec {
  StorageBackend backend = StorageBackend::minio;
  std::string bucket = "stub";
  std::int64_t file_size_limit = 52428800;  ///< bytes (50 MiB)
};

struct TlsSpec {
  TlsMode mode = TlsMode::internal;
  std::string email;  ///< ACME account e-mail (tls.mode acme)
};

/// Container limits of one service; empty = no limit.
struct Resources {
  std::string memory;  ///< e.g. "512m", "2g"
  std::string cpus;    ///< e.g. "1.5"
};

/// json-file log rotation of every service's container.
struct LogsSpec {
  std::string max_size = "10m";  ///< size of one log file before it rotates: a number and k, m or g
  int max_files = 5;             ///< rotated files kept per container
};

/// Where backups also go, off this host.
struct BackupSpec {
  std::string target;       ///< `s3://bucket[/prefix]`; empty = local backups only
  std::string credentials;  ///< the 0600 file with the endpoint, region and keys (see backup/s3.hpp)
  /// WAL archiving: Postgres' archive_command copies every finished WAL segment into the
  /// instance's archive volume, `supactl backup` ships them on to the backup target, and
  /// `backup --base` plus `restore NEW --from NAME --to-time` recover to a point in time.
  bool wal = false;
};

struct WaitSpec {
  int timeout_s = 600;  ///< how long `up` waits for the whole stack to become healthy
};

struct InstanceSpec {
  std::string name;
  std::string release = k_default_release;
  std::string domain = "localhost";
  /// `public_url`: the address clients use when the instance sits behind the user's own proxy
  /// (nginx, Traefik, a cloud load balancer), `http(s)://HOST[:PORT]` with no path and no
  /// trailing slash; every public URL the services use follows it. Empty = derived from
  /// `domain`, `tls.mode` and the ports.
  std::string public_url;
  /// `edge`: `own` (the default) = the instance's own Caddy publishes ports.http/https;
  /// `shared` = no Caddy of its own: the shared edge (`supactl edge up`) routes `domain` to its
  /// gateway, and ports.http/https stay reserved for a return to `own`.
  std::string edge = "own";
  bool shared_edge() const { return edge == "shared"; }
  /// `engine.mode`: `standalone` (the default) = containers on one Engine; `swarm` = Swarm
  /// services, overlay networks, configs and secrets on the swarm the Engine manages.
  std::string engine_mode = "standalone";
  bool swarm() const { return engine_mode == "swarm"; }
  /// `placement.<service>`: the node (id or hostname) a stateful service is pinned to on a
  /// swarm; unset = the manager supactl talks to.
  std::map<std::string, std::string> placement;
  std::string registry;                       ///< image mirror, e.g. 127.0.0.1:5000; empty = none
  std::map<std::string, std::string> images;  ///< service → image, overriding the release's
  Ports ports;
  std::map<std::string, bool> services;  ///< optional services switched on or off
  KongSpec kong;
  /// `scale.<service>`: replicas of a stateless service (kong has kong.replicas).
  std::map<std::string, int> scale;
  AuthSpec auth;
  RestSpec rest;
  StorageSpec storage;
  TlsSpec tls;
  std::map<std::string, Resources> resources;
  WaitSpec wait;
  LogsSpec logs;
  BackupSpec backup;
  bool functions_verify_jwt = false;
  /// `db.standby`: a streaming hot standby of Postgres runs as service `db-standby`
  /// (`supactl db standby add|rm` set it).
  bool db_standby = false;
  /// `db.primary`: the service whose Postgres takes writes, `db` (the default) or
  /// `db-standby` (`supactl db failover` moves it). Every service reaches it by that host
  /// name; the other service is the standby (when db.standby) or is not run (fenced).
  std::string db_primary = "db";
  /// The service that follows db_primary when db.standby is set: the other of the two.
  std::string db_standby_service() const { return db_primary == "db" ? "db-standby" : "db"; }
  /// `overrides.allow_host_access`: compose.override.yml may hand over the host (Docker
  /// socket, host paths, privileged, host namespaces, ...); refused unless true.
  bool overrides_allow_host_access = false;

  /// Whether `service` runs in this instance (core services always; optional ones as
  /// switched; minio and minio-init with storage on MinIO).
  bool enabled(std::string_view service) const;
  /// Every running service, in the canonical order of all_services().
  std::vector<std::string> enabled_services() const;
};

/// Every service supactl's templates know, in canonical order.
const std::vector<std::string>& all_services();

/// Services that may be switched off or on (`services:` keys, `init --exclude/--enable`).
const std::vector<std::string>& optional_services();

/// Services that may run as several replicas behind one network alias: rest, auth,
/// storage, functions, imgproxy, meta (scale.<service>) and kong (kong.replicas).
const std::vector<std::string>& scalable_services();

/// Why `service` must stay at one replica (empty when it may scale).
std::string scale_refusal(std::string_view service);

/// Whether optional `service` is on when instance.yaml does not say.
bool default_enabled(std::string_view service);

/// OAuth providers instance.yaml knows under `auth.providers` (google, github, azure).
const std::vector<std::string>& oauth_providers();

/// Every key path instance.yaml accepts, leaves only, in file order, e.g. `ports.http` or
/// `kong.rate_limit.per_second`. `<service>` stands for a service name (an optional one under
/// `services`, any under `images` and `resources`) and `<provider>` for one of
/// oauth_providers(). parse_spec takes the keys it accepts from this list, so the list and
/// the loader cannot disagree; docs/API_REFERENCE.md documents each entry (a test checks).
const std::vector<std::string>& spec_key_paths();

/// The keys allowed directly below `path` in spec_key_paths() ("" = the top level), in order;
/// empty when any key is allowed there (a `<service>` map).
std::vector<std::string> spec_child_keys(std::string_view path);

/// Parses instance.yaml text. Every problem is collected (unknown keys, wrong types, values
/// out of range, inconsistent services) as `label:line: message`, and they are thrown together
/// once as supactl::Error(ExitCode::usage), one per line.
InstanceSpec parse_spec(const std::string& text, const std::string& label);

/// The instance.yaml text of `spec`: every field, defaults included, in a fixed order, so
/// that parse_spec(format_spec(s)) == s and the same spec always gives the same bytes.
std::string format_spec(const InstanceSpec& spec);

/// `tls.mode` and `storage.backend` as written in instance.yaml.
std::string to_string(TlsMode mode);
std::string to_string(StorageBackend backend);

}  // namespace supactl::config

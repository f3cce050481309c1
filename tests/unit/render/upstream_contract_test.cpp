// SPDX-License-Identifier: Apache-2.0
//
// The rendered stack measured against upstream's contract: Supabase self-hosted v0.8.1
// (supabase/supabase docker/ at 1f37f2a9, its docker-compose.yml with the Kong override
// docker-compose.kong.yml, and the logs, s3 and caddy overlays for the parts supactl makes
// optional or adds) and the real images that release pins. The default and the full instance
// of render_fixture.hpp are rendered into a temporary folder and read back with yaml-cpp.
//
// - EveryRequiredVariableIsSet: each image's start-up needs (variables it refuses to start
//   without, lengths, URL shapes, fixed values, values several services must share), checked
//   on the values the containers really get: compose.yml interpolated with the rendered .env.
// - EntrypointsCommandsAndHealthChecksUseOnlyWhatTheImageHas: per image, ENTRYPOINT, CMD and
//   the programs present; every effective entrypoint + command, every health check, and the
//   rendered kong-entrypoint.sh may only run programs and paths the image (or a mount) has.
// - KongEntrypointHandsOverToTheImagesOwnEntrypoint: kong-entrypoint.sh ends in `exec
//   /entrypoint.sh kong docker-start` (kong/kong 3.x has no /docker-entrypoint.sh) and uses
//   only kong/kong's tools and paths.
// - KongRoutesAndAclGroupsMatchUpstream: consumers and ACL groups as upstream; request paths
//   are routed through both configurations (Kong 3.9's precedence: expression routes, then
//   regex paths, then the longest prefix) and no path may be reachable with fewer credentials
//   than upstream asks for; plugins and placeholders are all available to Kong.
// - EveryDifferenceIsListedInArchitecture: every difference between the rendered instances
//   and the upstream model below (services, images, environment names, commands, health
//   checks, published ports, Kong routes and plugins) must have a row, by id, in the table of
//   docs/ARCHITECTURE.md "## Intentional differences from upstream v0.8.1", and every row
//   must still match a difference.
// - ChecksFailOnBrokenTemplates: the checks above report a curl health check in edge-runtime,
//   a shell in PostgREST, the wrong Kong entrypoint, an anon-readable OpenAPI root and bad
//   values (templates edited through a --templates folder). The *CatchWhatTheyShould and
//   KongModelRoutesLikeKong tests pin the helpers (rules, shell parsing, Kong precedence).
//
// The tables in this file (required variables, image contents, upstream services and routes)
// are supactl's own summary of those sources; a [I] marks what was inferred (for example the
// utilities a distribution's base image ships) rather than read.
#include <supactl/compose/model.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/render/render.hpp>
#include <supactl/secrets/secrets_file.hpp>

#include "support/temp_dir.hpp"
#include "unit/render/render_fixture.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace supactl::render {
namespace {

namespace fs = std::filesystem;

using Strings = std::vector<std::string>;
using StringSet = std::set<std::string>;
using Env = std::map<std::string, std::string>;

const fs::path k_source_dir = SUPACTL_SOURCE_DIR;

// ------------------------------------------------------------------------------------------
// Small text helpers

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string join(const Strings& v, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

std::string join(const StringSet& v, const std::string& sep) { return join(Strings(v.begin(), v.end()), sep); }

Strings split(const std::string& s, char sep) {
  Strings out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

std::string basename_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool is_integer(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

/// Splits a command line the way a POSIX shell splits words: blanks separate, single quotes
/// keep everything, double quotes keep everything but `\"` and `\\`, a backslash escapes.
Strings shell_words(const std::string& text) {
  Strings words;
  std::string cur;
  bool have = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\'') {
      size_t end = text.find('\'', i + 1);
      if (end == std::string::npos) end = text.size();
      cur += text.substr(i + 1, end - i - 1);
      have = true;
      i = end;
    } else if (c == '"') {
      have = true;
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == '"' || text[i + 1] == '\\' || text[i + 1] == '$'))
          ++i;
        cur += text[i];
      }
    } else if (c == '\\' && i + 1 < text.size()) {
      cur += text[++i];
      have = true;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      if (have) words.push_back(cur);
      cur.clear();
      have = false;
    } else {
      cur += c;
      have = true;
    }
  }
  if (have) words.push_back(cur);
  return words;
}

/// Compose interpolation: `$$` → `$`, `${NAME}`, `${NAME:-default}`, `${NAME-default}`,
/// `$NAME`. A name that `vars` lacks becomes "" (compose warns and does the same).
std::string interpolate(const std::string& text, const Env& vars) {
  auto lookup = [&](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != '$' || i + 1 == text.size()) {
      out += c;
      continue;
    }
    char n = text[i + 1];
    if (n == '$') {
      out += '$';
      ++i;
    } else if (n == '{') {
      size_t end = text.find('}', i + 2);
      if (end == std::string::npos) {
        out += c;
        continue;
      }
      std::string inner = text.substr(i + 2, end - i - 2);
      size_t op = inner.find_first_of(":-?");
      std::string name = inner.substr(0, op);
      std::optional<std::string> value = lookup(name);
      if (op == std::string::npos) {
        out += value.value_or("");
      } else {
        bool colon = inner[op] == ':';
        size_t def_at = op + (colon ? 2 : 1);
        std::string def = def_at <= inner.size() ? inner.substr(def_at) : "";
        bool use_default = !value || (colon && value->empty());
        out += use_default ? def : *value;
      }
      i = end;
    } else if (std::isalpha(static_cast<unsigned char>(n)) || n == '_') {
      size_t j = i + 1;
      while (j < text.size() && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_')) ++j;
      out += lookup(text.substr(i + 1, j - i - 1)).value_or("");
      i = j - 1;
    } else {
      out += c;
    }
  }
  return out;
}

struct Url {
  std::string scheme;
  std::string host;
  std::string port;  ///< "" when the URL names none
  std::string path;
};

/// scheme://[user[:password]@]host[:port][/path]; nullopt when it is not of that shape.
std::optional<Url> parse_url(const std::string& text) {
  static const std::regex shape(R"(^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)([/?#].*)?$)");
  std::smatch m;
  if (!std::regex_match(text, m, shape)) return std::nullopt;
  Url u;
  u.scheme = m[1];
  std::string authority = m[2];
  u.path = m[3];
  size_t at = authority.rfind('@');
  if (at != std::string::npos) authority = authority.substr(at + 1);
  size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']') == std::string::npos) {
    u.port = authority.substr(colon + 1);
    authority = authority.substr(0, colon);
    if (!is_integer(u.port)) return std::nullopt;
  }
  u.host = authority;
  if (u.host.empty()) return std::nullopt;
  return u;
}

// ------------------------------------------------------------------------------------------
// The rendered instances

Strings node_strings(const YAML::Node& node) {
  Strings out;
  if (!node) return out;
  if (node.IsSequence()) {
    for (const auto& item : node) out.push_back(item.as<std::string>());
  } else if (node.IsScalar()) {
    out = shell_words(node.as<std::string>());
  }
  return out;
}

struct Rendered {
  std::string label;
  std::unique_ptr<test::TempDir> tmp;
  config::Instance instance;
  RenderResult result;
  YAML::Node compose;
  YAML::Node kong;
  Env dotenv;

  YAML::Node service(const std::string& name) const {
    const YAML::Node& c = compose;
    return c["services"][name];
  }
  bool has(const std::string& name) const { return static_cast<bool>(service(name)); }
  Strings services() const {
    Strings out;
    const YAML::Node& c = compose;
    for (const auto& kv : c["services"]) out.push_back(kv.first.as<std::string>());
    return out;
  }
  /// The environment as compose.yml writes it (before interpolation).
  Env raw_env(const std::string& name) const {
    Env env;
    YAML::Node e = service(name)["environment"];
    if (!e) return env;
    if (e.IsMap()) {
      for (const auto& kv : e) env[kv.first.as<std::string>()] = kv.second.IsNull() ? "" : kv.second.as<std::string>();
    } else {
      for (const auto& item : e) {
        std::string s = item.as<std::string>();
        size_t eq = s.find('=');
        env[s.substr(0, eq)] = eq == std::string::npos ? "" : s.substr(eq + 1);
      }
    }
    return env;
  }
  /// The environment the container gets: compose.yml's values interpolated with .env.
  Env env(const std::string& name) const {
    Env out;
    for (const auto& [k, v] : raw_env(name)) out[k] = interpolate(v, dotenv);
    return out;
  }
  std::string interpolated(const std::string& text) const { return interpolate(text, dotenv); }
  /// Service names and network aliases, i.e. every host name the stack's DNS answers.
  StringSet host_names() const {
    StringSet names;
    for (const std::string& s : services()) {
      names.insert(s);
      YAML::Node nets = service(s)["networks"];
      if (!nets || !nets.IsMap()) continue;
      for (const auto& kv : nets) {
        if (kv.second.IsMap() && kv.second["aliases"]) {
          for (const auto& a : kv.second["aliases"]) names.insert(a.as<std::string>());
        }
      }
    }
    return names;
  }
  fs::path dir() const { return result.dir; }
};

std::unique_ptr<Rendered> render_one(const std::string& label,
                                     const std::function<config::Instance(const fs::path&)>& make,
                                     const std::string& templates_override = "") {
  auto r = std::make_unique<Rendered>();
  r->label = label;
  r->tmp = std::make_unique<test::TempDir>();
  r->instance = make(r->tmp->path());
  r->result = render_instance(r->instance, r->tmp->path() / "rendered", templates_override);
  r->compose = YAML::LoadFile(r->result.compose_file.string());
  r->kong = YAML::LoadFile((r->result.dir / "kong.yml").string());
  r->dotenv = compose::parse_env_file(core::read_file(r->result.dir / ".env"));
  return r;
}

/// The default and the full instance, rendered once per test program.
const std::vector<std::unique_ptr<Rendered>>& rendered() {
  static const std::vector<std::unique_ptr<Rendered>> all = [] {
    std::vector<std::unique_ptr<Rendered>> v;
    v.push_back(render_one("default", [](const fs::path& p) { return test::default_instance(p); }));
    v.push_back(render_one("full", [](const fs::path& p) { return test::full_instance(p); }));
    return v;
  }();
  return all;
}

// ------------------------------------------------------------------------------------------
// 1. Variables each image needs to start and work

struct Requirement {
  const char* service;
  const char* variable;
  /// `;`-separated rules, applied in order to the interpolated value:
  ///   if-set            skip the row when the variable is not set at all
  ///   when:VAR=value    skip the row unless the service's VAR has that value
  ///   set | absent      the variable is (not) in the environment
  ///   nonempty | int | =value | !=value | in:a|b | not-in:a|b
  ///   len>=N | len==N   length in bytes
  ///   url:s1|s2         scheme://host[:port]/... with one of those schemes
  ///   internal-host     the URL's host (or the bare value) is a service or alias of the stack
  ///   under:/dir/       a path inside that directory
  ///   same:svc/VAR      equal to another service's variable (when that service runs)
  ///   differs:svc/VAR   different from another service's variable
  ///   port-of:svc/VAR   the URL's port is the port in another variable (e.g. ":5001")
  const char* rules;
  const char* why;
};

// Written from the images' sources as summarised in the file header; "fatal" means the
// container exits or restarts forever without it.
const std::vector<Requirement>& requirements() {
  static const std::vector<Requirement> table = {
      // supabase/postgres (docker-library entrypoint + supabase migrate.sh)
      {"db", "POSTGRES_PASSWORD", "nonempty", "the entrypoint exits 1 on an empty password when it initialises PGDATA"},
      {"db", "PGPASSWORD", "same:db/POSTGRES_PASSWORD",
       "the init scripts read one or the other for the service roles' passwords"},
      {"db", "POSTGRES_HOST", "=/var/run/postgresql",
       "migrate.sh connects through the socket: TCP is off while init runs"},
      {"db", "POSTGRES_PORT", "int", "the listen port every DB URL of the stack uses"},
      {"db", "PGPORT", "same:db/POSTGRES_PORT", "migrate.sh and the server must agree on the port"},
      {"db", "POSTGRES_USER", "absent", "migrate.sh hard-codes supabase_admin as the bootstrap superuser"},
      {"db", "JWT_EXP", "int", "jwt.sql stores it as app.settings.jwt_exp"},
      {"db", "JWT_SECRET", "absent", "the signing secret must not reach the database (any role could read it)"},
      // kong/kong:3.9.3 and kong-entrypoint.sh
      {"kong", "KONG_DATABASE", "=off", "DB-less Kong reads only the declarative file"},
      {"kong", "KONG_DECLARATIVE_CONFIG", "nonempty;under:/usr/local/kong/",
       "the entrypoint writes it and user kong can write only below its prefix"},
      {"kong", "KONG_PLUGINS", "nonempty", "every plugin kong.yml names must be enabled"},
      {"kong", "SUPABASE_ANON_KEY", "nonempty", "the anon consumer's key-auth credential"},
      {"kong", "SUPABASE_SERVICE_KEY", "nonempty;differs:kong/SUPABASE_ANON_KEY",
       "the service_role consumer's credential; equal keys would make anon an admin"},
      {"kong", "DASHBOARD_USERNAME", "nonempty", "Studio's basic-auth user"},
      {"kong", "DASHBOARD_PASSWORD", "nonempty", "Studio's basic-auth password"},
      {"kong", "JWT_ISSUER", "if-set;url:http|https", "upstream's entrypoint exits 1 on an issuer that is not http(s)"},
      // supabase/gotrue (internal/conf/configuration.go)
      {"auth", "GOTRUE_DB_DRIVER", "=postgres", "required key; only postgres is supported"},
      {"auth", "GOTRUE_DB_DATABASE_URL", "url:postgres|postgresql;internal-host",
       "required key; migrate is fatal when it cannot connect"},
      {"auth", "GOTRUE_JWT_SECRET", "len>=32", "required key; the same secret must satisfy PostgREST's minimum"},
      {"auth", "API_EXTERNAL_URL", "url:http|https", "required key and must pass url.ParseRequestURI"},
      {"auth", "GOTRUE_SITE_URL", "url:http|https", "required key; the default redirect target"},
      {"auth", "GOTRUE_API_HOST", "=0.0.0.0", "other containers reach auth over the network"},
      {"auth", "GOTRUE_API_PORT", "=9999", "the image defaults to 8081; Kong's routes and the health check use 9999"},
      {"auth", "GOTRUE_JWT_EXP", "int", "token lifetime in seconds"},
      // postgrest/postgrest:v14.17 (Config.hs)
      {"rest", "PGRST_DB_URI", "url:postgres|postgresql;internal-host",
       "defaults to a local socket that does not exist"},
      {"rest", "PGRST_JWT_SECRET", "len>=32;same:auth/GOTRUE_JWT_SECRET", "a text secret under 32 characters is fatal"},
      {"rest", "PGRST_ADMIN_SERVER_PORT", "int;!=3000",
       "`postgrest --ready` needs the admin server, on a port of its own"},
      {"rest", "PGRST_ADMIN_SERVER_HOST", "nonempty;not-in:*|*4|!4|*6|!6",
       "`--ready` cannot reach a wildcard host (the default !4)"},
      {"rest", "PGRST_DB_ANON_ROLE", "=anon", "requests without a user JWT run as anon"},
      {"rest", "PGRST_DB_SCHEMAS", "nonempty", "the schemas the API exposes"},
      {"rest", "PGRST_APP_SETTINGS_JWT_SECRET", "absent", "the signing secret must not become a database setting"},
      // supabase/realtime (config/runtime.exs, run.sh)
      {"realtime", "METRICS_JWT_SECRET", "nonempty", "System.fetch_env! at boot"},
      {"realtime", "SECRET_KEY_BASE", "len>=64", "System.fetch_env! at boot; Phoenix wants 64 bytes"},
      {"realtime", "APP_NAME", "nonempty", "an empty APP_NAME raises at boot"},
      {"realtime", "DB_ENC_KEY", "len==16", "AES-128 key of the tenant secrets; any other size fails the seed"},
      {"realtime", "DB_ENC_KEY_GCM", "if-set;len==32", "must be 32 bytes when set"},
      {"realtime", "DB_HOST", "internal-host", "an unresolvable host raises \"Failed to detect IP version\""},
      {"realtime", "DB_PORT", "int", "metadata database port"},
      {"realtime", "DB_USER", "nonempty", "migrations run as this user"},
      {"realtime", "DB_PASSWORD", "same:db/POSTGRES_PASSWORD", "supabase_admin's password"},
      {"realtime", "DB_NAME", "nonempty", "database of the _realtime schema"},
      {"realtime", "DB_AFTER_CONNECT_QUERY", "=SET search_path TO _realtime", "its metadata lives in schema _realtime"},
      {"realtime", "API_JWT_SECRET", "same:auth/GOTRUE_JWT_SECRET", "seeded as the tenant's JWT secret"},
      {"realtime", "SEED_SELF_HOST", "=true", "creates the realtime-dev tenant Kong's upstream host names"},
      {"realtime", "SELF_HOST_TENANT_NAME", "if-set;=realtime-dev",
       "must equal the first label of the host Kong calls"},
      {"realtime", "RLIMIT_NOFILE", "int", "run.sh passes it to ulimit"},
      {"realtime", "PORT", "=4000", "Kong's realtime upstreams use 4000"},
      {"realtime", "ERL_AFLAGS", "=-proto_dist inet_tcp", "the image defaults to IPv6 distribution"},
      // supabase/storage-api (src/config.ts)
      {"storage", "AUTH_JWT_SECRET", "nonempty;same:auth/GOTRUE_JWT_SECRET",
       "\"is undefined\" at boot in single-tenant mode"},
      {"storage", "DATABASE_URL", "url:postgres|postgresql;internal-host",
       "\"is undefined\" at boot; migrations run on it"},
      {"storage", "STORAGE_BACKEND", "in:file|s3", "the two backends storage has"},
      {"storage", "GLOBAL_S3_BUCKET", "nonempty", "bucket (s3) or directory (file)"},
      {"storage", "TENANT_ID", "nonempty", "tenant of the S3 protocol sessions"},
      {"storage", "POSTGREST_URL", "url:http;internal-host", "storage calls PostgREST"},
      {"storage", "FILE_STORAGE_BACKEND_PATH", "when:STORAGE_BACKEND=file;nonempty", "where the file backend writes"},
      {"storage", "GLOBAL_S3_ENDPOINT", "when:STORAGE_BACKEND=s3;url:http|https;internal-host", "the S3 server"},
      {"storage", "AWS_ACCESS_KEY_ID", "when:STORAGE_BACKEND=s3;same:minio/MINIO_ROOT_USER", "MinIO's credentials"},
      {"storage", "AWS_SECRET_ACCESS_KEY", "when:STORAGE_BACKEND=s3;same:minio/MINIO_ROOT_PASSWORD",
       "MinIO's credentials"},
      {"storage", "IMGPROXY_URL",
       "when:ENABLE_IMAGE_TRANSFORMATION=true;url:http;internal-host;port-of:imgproxy/IMGPROXY_BIND",
       "transformations call imgproxy where it listens"},
      {"storage", "ANON_KEY", "same:kong/SUPABASE_ANON_KEY", "one anon key for the whole stack"},
      {"storage", "SERVICE_KEY", "same:kong/SUPABASE_SERVICE_KEY", "one service key for the whole stack"},
      // darthsim/imgproxy
      {"imgproxy", "IMGPROXY_BIND", "nonempty", "the image listens on 8080 otherwise; `imgproxy health` dials it"},
      {"imgproxy", "IMGPROXY_MALLOC", "if-set;in:malloc|jemalloc|tcmalloc", "entrypoint.sh exits 1 on anything else"},
      // supabase/postgres-meta
      {"meta", "PG_META_PORT", "=8080", "the image's own health check and Studio's STUDIO_PG_META_URL use 8080"},
      {"meta", "PG_META_DB_HOST", "internal-host", "the database it describes"},
      {"meta", "PG_META_DB_PASSWORD", "same:db/POSTGRES_PASSWORD", "postgres' password"},
      {"meta", "CRYPTO_KEY", "nonempty;same:studio/PG_META_CRYPTO_KEY", "must decrypt what Studio encrypts"},
      // supabase/studio
      {"studio", "HOSTNAME", "=0.0.0.0", "Next.js binds $HOSTNAME, which Docker sets to the container id"},
      {"studio", "STUDIO_PG_META_URL", "url:http;internal-host", "schema introspection backend"},
      {"studio", "SUPABASE_URL", "url:http;internal-host", "the gateway inside the stack"},
      {"studio", "SUPABASE_PUBLIC_URL", "url:http|https", "the URL shown to users"},
      {"studio", "PG_META_CRYPTO_KEY", "len>=32", "falls back to the public SAMPLE_KEY when unset"},
      {"studio", "POSTGRES_HOST", "internal-host", "the SQL editor's database"},
      {"studio", "POSTGRES_PASSWORD", "same:db/POSTGRES_PASSWORD", "the SQL editor's password"},
      {"studio", "AUTH_JWT_SECRET", "same:auth/GOTRUE_JWT_SECRET", "JWT settings page"},
      {"studio", "SUPABASE_ANON_KEY", "same:kong/SUPABASE_ANON_KEY", "one anon key for the whole stack"},
      {"studio", "SUPABASE_SERVICE_KEY", "same:kong/SUPABASE_SERVICE_KEY", "one service key for the whole stack"},
      {"studio", "LOGFLARE_URL", "when:ENABLED_FEATURES_LOGS_ALL=true;url:http;internal-host",
       "the logs explorer's backend"},
      {"studio", "LOGFLARE_PRIVATE_ACCESS_TOKEN",
       "when:ENABLED_FEATURES_LOGS_ALL=true;same:analytics/LOGFLARE_PRIVATE_ACCESS_TOKEN",
       "queries the logs with the private token"},
      // supabase/edge-runtime (main service)
      {"functions", "JWT_SECRET", "same:auth/GOTRUE_JWT_SECRET", "the main service verifies HS256 JWTs with it"},
      {"functions", "SUPABASE_URL", "url:http;internal-host", "functions call the gateway inside the stack"},
      {"functions", "SUPABASE_DB_URL", "url:postgres|postgresql;internal-host",
       "direct database access from functions"},
      {"functions", "VERIFY_JWT", "in:true|false", "read by the main service"},
      {"functions", "SUPABASE_ANON_KEY", "same:kong/SUPABASE_ANON_KEY", "one anon key for the whole stack"},
      {"functions", "SUPABASE_SERVICE_ROLE_KEY", "same:kong/SUPABASE_SERVICE_KEY",
       "one service key for the whole stack"},
      // supabase/supavisor (config/runtime.exs)
      {"supavisor", "SECRET_KEY_BASE", "nonempty", "missing raises at boot"},
      {"supavisor", "VAULT_ENC_KEY", "len==32", "AES-GCM key; any other size fails at start"},
      {"supavisor", "DATABASE_URL", "url:ecto;internal-host", "bin/migrate runs on it"},
      {"supavisor", "API_JWT_SECRET", "same:auth/GOTRUE_JWT_SECRET", "API authentication"},
      {"supavisor", "METRICS_JWT_SECRET", "nonempty", "metrics authentication"},
      {"supavisor", "POOLER_TENANT_ID", "nonempty", "pooler.exs creates this tenant"},
      {"supavisor", "POSTGRES_HOST", "internal-host", "the tenant's database"},
      {"supavisor", "POSTGRES_PASSWORD", "same:db/POSTGRES_PASSWORD", "pooler.exs' manager user"},
      {"supavisor", "RLIMIT_NOFILE", "if-set;int",
       "limits.sh passes it to `ulimit -n`; a bad value stops the container"},
      // supabase/logflare (config/runtime.exs, single_tenant.ex)
      {"analytics", "POSTGRES_BACKEND_URL", "url:postgres|postgresql;internal-host",
       "an unparseable or unresolvable host is fatal"},
      {"analytics", "DB_HOSTNAME", "internal-host", "an unresolvable host is fatal"},
      {"analytics", "LOGFLARE_PUBLIC_ACCESS_TOKEN", "nonempty;differs:analytics/LOGFLARE_PRIVATE_ACCESS_TOKEN",
       "equal tokens mean the private one is never created"},
      {"analytics", "LOGFLARE_PRIVATE_ACCESS_TOKEN", "nonempty", "Studio queries logs with it"},
      {"analytics", "LOGFLARE_SINGLE_TENANT", "=true", "without it Logflare wants Google credentials"},
      // timberio/vector (vector.yml)
      {"vector", "LOGFLARE_PUBLIC_ACCESS_TOKEN", "nonempty;same:analytics/LOGFLARE_PUBLIC_ACCESS_TOKEN",
       "the config refuses to load without it; Logflare checks it"},
      // minio/minio and minio/mc
      {"minio", "MINIO_ROOT_USER", "len>=3", "shorter access keys are fatal"},
      {"minio", "MINIO_ROOT_PASSWORD", "len>=8", "shorter secret keys are fatal"},
      {"minio-init", "MINIO_ROOT_USER", "same:minio/MINIO_ROOT_USER", "the job logs in as root"},
      {"minio-init", "MINIO_ROOT_PASSWORD", "same:minio/MINIO_ROOT_PASSWORD", "the job logs in as root"},
  };
  return table;
}

/// Checks one requirement; returns the problems found (empty = satisfied or not applicable).
Strings check_requirement(const Rendered& r, const Requirement& req) {
  Strings problems;
  if (!r.has(req.service)) return problems;
  const Env env = r.env(req.service);
  auto it = env.find(req.variable);
  const bool set = it != env.end();
  const std::string value = set ? it->second : "";
  auto other = [&](const std::string& ref) -> std::optional<std::string> {
    size_t slash = ref.find('/');
    std::string svc = ref.substr(0, slash);
    if (!r.has(svc)) return std::nullopt;
    Env e = r.env(svc);
    auto o = e.find(ref.substr(slash + 1));
    return o == e.end() ? std::optional<std::string>("") : o->second;
  };
  for (const std::string& raw_rule : split(req.rules, ';')) {
    const std::string rule = trim(raw_rule);
    if (rule == "if-set") {
      if (!set) return problems;
      continue;
    }
    if (starts_with(rule, "when:")) {
      std::string cond = rule.substr(5);
      size_t eq = cond.find('=');
      auto c = env.find(cond.substr(0, eq));
      if (c == env.end() || c->second != cond.substr(eq + 1)) return problems;
      continue;
    }
    if (rule == "absent") {
      if (set) problems.push_back("must not be set");
      continue;
    }
    if (!set) {
      problems.push_back("is not set");
      return problems;
    }
    if (rule == "set") continue;
    if (rule == "nonempty") {
      if (value.empty()) problems.push_back("is empty");
    } else if (rule == "int") {
      if (!is_integer(value)) problems.push_back("`" + value + "` is not a number");
    } else if (starts_with(rule, "!=")) {
      if (value == rule.substr(2)) problems.push_back("must not be `" + value + "`");
    } else if (starts_with(rule, "=")) {
      if (value != rule.substr(1)) problems.push_back("is `" + value + "`, must be `" + rule.substr(1) + "`");
    } else if (starts_with(rule, "in:")) {
      Strings allowed = split(rule.substr(3), '|');
      if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
        problems.push_back("`" + value + "` is not one of " + rule.substr(3));
      }
    } else if (starts_with(rule, "not-in:")) {
      Strings banned = split(rule.substr(7), '|');
      if (std::find(banned.begin(), banned.end(), value) != banned.end())
        problems.push_back("`" + value + "` is not allowed");
    } else if (starts_with(rule, "len>=")) {
      size_t n = std::stoul(rule.substr(5));
      if (value.size() < n)
        problems.push_back("is " + std::to_string(value.size()) + " bytes, needs at least " + std::to_string(n));
    } else if (starts_with(rule, "len==")) {
      size_t n = std::stoul(rule.substr(5));
      if (value.size() != n)
        problems.push_back("is " + std::to_string(value.size()) + " bytes, must be exactly " + std::to_string(n));
    } else if (starts_with(rule, "url:")) {
      Strings schemes = split(rule.substr(4), '|');
      std::optional<Url> u = parse_url(value);
      if (!u) {
        problems.push_back("`" + value + "` is not a URL");
      } else if (std::find(schemes.begin(), schemes.end(), u->scheme) == schemes.end()) {
        problems.push_back("`" + value + "` must use " + rule.substr(4));
      }
    } else if (rule == "internal-host") {
      std::optional<Url> u = parse_url(value);
      std::string host = u ? u->host : value;
      if (!r.host_names().count(host)) problems.push_back("host `" + host + "` is no service or alias of the stack");
    } else if (starts_with(rule, "under:")) {
      if (!starts_with(value, rule.substr(6))) problems.push_back("`" + value + "` is not under " + rule.substr(6));
    } else if (starts_with(rule, "same:")) {
      std::optional<std::string> o = other(rule.substr(5));
      if (o && *o != value) problems.push_back("differs from " + rule.substr(5));
    } else if (starts_with(rule, "differs:")) {
      std::optional<std::string> o = other(rule.substr(8));
      if (o && *o == value) problems.push_back("equals " + rule.substr(8));
    } else if (starts_with(rule, "port-of:")) {
      std::optional<std::string> o = other(rule.substr(8));
      std::optional<Url> u = parse_url(value);
      if (o && u) {
        std::string port = o->substr(o->rfind(':') == std::string::npos ? 0 : o->rfind(':') + 1);
        if (u->port != port) problems.push_back("port " + u->port + " is not " + rule.substr(8) + " (" + *o + ")");
      }
    } else {
      problems.push_back("unknown rule `" + rule + "` in the test's table");
    }
  }
  return problems;
}

Strings requirement_problems(const Rendered& r) {
  Strings problems;
  for (const Requirement& req : requirements()) {
    for (const std::string& p : check_requirement(r, req)) {
      problems.push_back(std::string(req.service) + " " + req.variable + " " + p + " (" + req.why + ")");
    }
  }
  return problems;
}

TEST(UpstreamContract, EveryRequiredVariableIsSet) {
  for (const auto& r : rendered()) {
    for (const std::string& p : requirement_problems(*r)) ADD_FAILURE() << r->label << " instance: " << p;
  }
  // The same rules hold for secrets as `init` generates them, not only for the fixture's.
  std::unique_ptr<Rendered> generated = render_one("full, generated secrets", [](const fs::path& p) {
    config::Instance inst = test::full_instance(p);
    inst.secrets = secrets::generate_secrets(1767225600);
    return inst;
  });
  for (const std::string& p : requirement_problems(*generated)) ADD_FAILURE() << generated->label << " instance: " << p;
}

TEST(UpstreamContract, RequirementRulesCatchWhatTheyShould) {
  // The rule checker itself, on a copy of the default instance's values.
  const Rendered& r = *rendered().front();
  auto problems = [&](const char* svc, const char* var, const char* rules) {
    return check_requirement(r, Requirement{svc, var, rules, ""});
  };
  EXPECT_TRUE(problems("realtime", "DB_ENC_KEY", "len==16").empty());
  EXPECT_FALSE(problems("realtime", "DB_ENC_KEY", "len==32").empty());
  EXPECT_FALSE(problems("rest", "NOT_THERE", "nonempty").empty());
  EXPECT_TRUE(problems("rest", "NOT_THERE", "if-set;nonempty").empty());
  EXPECT_FALSE(problems("auth", "GOTRUE_DB_DATABASE_URL", "url:http").empty());
  EXPECT_TRUE(problems("auth", "GOTRUE_DB_DATABASE_URL", "url:postgres;internal-host").empty());
  EXPECT_FALSE(problems("auth", "GOTRUE_SITE_URL", "internal-host").empty());
  EXPECT_FALSE(problems("rest", "PGRST_JWT_SECRET", "differs:auth/GOTRUE_JWT_SECRET").empty());
  EXPECT_EQ(interpolate("a$${B}-${C:-d}-${E}", {{"E", "e"}}), "a${B}-d-e");
}

// ------------------------------------------------------------------------------------------
// 2. What each image has: entrypoint, command, programs

/// How an image's ENTRYPOINT treats the command after it.
enum class Passes {
  exec,  ///< a script that ends in `exec "$@"`: the command's first word is a program
  args,  ///< the entrypoint is the program itself; the command is its arguments
};

struct ImageContract {
  std::string repo;  ///< repository without registry and tag
  std::string tag;   ///< v0.8.1's tag (supactl's release table must pin the same)
  Strings entrypoint;
  Strings cmd;
  Passes passes = Passes::exec;
  StringSet first_args;  ///< Passes::args: the words the program accepts first (empty = any)
  StringSet programs;    ///< names found on PATH
  StringSet files;       ///< other absolute paths known to exist
  StringSet writable;    ///< directories the image's user can write
  std::string workdir;
};

StringSet merge(std::initializer_list<StringSet> sets, const StringSet& minus = {}) {
  StringSet out;
  for (const StringSet& s : sets) out.insert(s.begin(), s.end());
  for (const std::string& m : minus) out.erase(m);
  return out;
}

// [I] Utilities of the base images, by distribution.
const StringSet k_coreutils = {
    "basename", "cat",  "chmod", "chown", "cp",   "cut",    "date",    "dirname",  "echo",  "env",     "expr",
    "false",    "head", "id",    "ln",    "ls",   "mkdir",  "mktemp",  "mv",       "nproc", "printf",  "readlink",
    "rm",       "seq",  "sleep", "sort",  "stat", "tail",   "tee",     "test",     "[",     "timeout", "touch",
    "tr",       "true", "uname", "uniq",  "wc",   "base64", "sha1sum", "sha256sum"};
/// Debian and Ubuntu base: coreutils, dash as sh, bash, grep, sed, mawk, findutils, perl-base.
const StringSet k_debian = merge({k_coreutils,
                                  {"sh", "dash", "bash", "grep", "sed", "awk", "mawk", "find", "xargs", "hostname",
                                   "getent", "gzip", "tar", "perl", "which"}});
/// Alpine: BusyBox applets (wget and nc included; no bash, curl or perl).
const StringSet k_busybox =
    merge({k_coreutils,
           {"sh", "ash", "grep", "sed", "awk", "find", "xargs", "hostname", "gzip", "tar", "which", "wget", "nc"}});
/// Red Hat ubi-micro: bash as sh and coreutils only.
const StringSet k_ubi_micro = merge({k_coreutils, {"sh", "bash"}});

const std::vector<ImageContract>& image_contracts() {
  static const std::vector<ImageContract> table = {
      {.repo = "kong/kong",
       .tag = "3.9.3",
       .entrypoint = {"/entrypoint.sh"},
       .cmd = {"kong", "docker-start"},
       .passes = Passes::exec,
       .first_args = {},
       .programs = merge({k_debian, {"kong", "openssl"}}),
       .files = {"/entrypoint.sh"},
       .writable = {"/usr/local/kong", "/tmp"},
       .workdir = "/"},
      {.repo = "supabase/gotrue",
       .tag = "v2.196.0",
       .entrypoint = {},
       .cmd = {"auth"},
       .passes = Passes::exec,
       .first_args = {},
       .programs = merge({k_busybox, {"auth", "gotrue"}}),
       .files = {},
       .writable = {"/tmp"},
       .workdir = "/"},
      {.repo = "postgrest/postgrest",
       .tag = "v14.17",
       .entrypoint = {},
       .cmd = {"/bin/postgrest"},
       .passes = Passes::exec,
       .first_args = {},
       .programs = {"postgrest"},
       .files = {},
       .writable = {},
       .workdir = "/"},
      {.repo = "supabase/realtime",
       .tag = "v2.134.10",
       .entrypoint = {"/usr/bin/tini", "-s", "-g", "--", "/app/run.sh"},
       .cmd = {"/app/bin/server"},
       .passes = Passes::exec,
       .first_args = {},
       .programs = merge({k_debian, {"curl", "sudo", "tini", "jq", "aws", "openssl", "iptables"}}),
       .files = {"/app/run.sh", "/app/bin/server", "/app/bin/migrate", "/app/bin/realtime"},
       .writable = {"/tmp"},
       .workdir = "/app"},
      {.repo = "supabase/storage-api",
       .tag = "v1.74.0",
       .entrypoint = {"docker-entrypoint.sh"},
       .cmd = {"node", "dist/start/server.js"},
       .passes = Passes::exec,
       .first_args = {},
       .programs = merge({k_busybox, {"docker-entrypoint.sh", "node", "npm", "python3", "make", "g++"}}),
       .files = {},
       .writable = {"/tmp", "/var/lib/storage"},
       .workdir = "/app"},
      {.repo = "darthsim/imgproxy",
       .tag = "v3.31.4",
       .entrypoint = {"entrypoint.sh"},
       .cmd = {"imgproxy"},
       .passes = Passes::exec,
       .first_args = {},
       .programs = merge({k_debian, {"entrypoint.sh", "imgproxy"}}),
       .files = {"/opt/imgproxy/bin/imgproxy"},
       .writable = {"/tmp"},
       .workdir = "/"},
      {.repo = "supabase/postgres-meta",
       .tag = "v0.99.0",
       .entrypoint = {"docker-entrypoint.sh"},
       .cmd = {"node", "dist/server/server.js"},
       .passes = Passes::exec,
       .first_args = {},
       .programs = merge({k_debian, {"docker-entrypoint.sh", "node", "npm"}}),
       .files = {},
       .writable = {"/tmp"},
       .workdir = "/usr/src/app"},
      {.repo = "supabase/studio",
       .tag = "2026.09.07-sha-7996410",
       .entrypoint = {"docker-entrypoint.sh"},
       .cmd = {"node", "apps/studio/server.js"},
       .passes = Passes::exec,
       .first_args = {},
       .programs =
           merge({k_debian, {"docker-entrypoint.sh", "node", "npm", "git", "python3", "make", "gcc", "openssl"}}),
       .files = {},
       .writable = {"/tmp", "/app/snippets"},
       .workdir = "/app"},
      // perl is removed from this image.
      {.repo = "supabase/edge-runtime",
       .tag = "v1.76.2",
       .entrypoint = {"edge-runtime"},
       .cmd = {},
       .passes = Passes::args,
       .first_args = {"start", "bundle", "unbundle"},
       .programs = merge({k_debian, {"edge-runtime"}}, {"perl"}),
       .files = {},
       .writable = {"/tmp", "/root"},
       .workdir = "/"},
      {.repo = "supabase/postgres",
       .tag = "17.6.1.136",
       .entrypoint = {"docker-entrypoint.sh"},
       .cmd = {"postgres", "-D", "/etc/postgresql"},
       .passes = Passes::exec,
       .first_args = {},
       .programs = merge({k_debian,
                          {"docker-entrypoint.sh", "curl", "wget", "sudo", "gosu", "postgres", "psql", "pg_isready",
                           "pg_dump", "pg_ctl", "initdb", "openssl"}}),
       .files = {"/docker-entrypoint-initdb.d/migrate.sh"},
       .writable = {"/tmp", "/var/lib/postgresql/data"},
       .workdir = "/"},
      {.repo = "minio/minio",
       .tag = "RELEASE.2025-04-22T22-12-26Z",
       .entrypoint = {"/usr/bin/docker-entrypoint.sh"},
       .cmd = {"minio"},
       .passes = Passes::args,
       .first_args = {},
       .programs = merge({k_ubi_micro, {"minio", "mc", "curl", "docker-entrypoint.sh"}}),
       .files = {},
       .writable = {"/tmp", "/data"},
       .workdir = "/"},
      {.repo = "minio/mc",
       .tag = "RELEASE.2025-04-16T18-13-26Z",
       .entrypoint = {"mc"},
       .cmd = {},
       .passes = Passes::args,
       .first_args = {},
       .programs = merge({k_ubi_micro, {"mc"}}),
       .files = {},
       .writable = {"/tmp"},
       .workdir = "/"},
      {.repo = "redis",
       .tag = "7.4.5-bookworm",
       .entrypoint = {"docker-entrypoint.sh"},
       .cmd = {"redis-server"},
       .passes = Passes::exec,
       .first_args = {},
       .programs = merge({k_debian, {"docker-entrypoint.sh", "redis-server", "redis-cli", "gosu"}}),
       .files = {},
       .writable = {"/data", "/tmp"},
       .workdir = "/data"},
      {.repo = "caddy",
       .tag = "2.10.2",
       .entrypoint = {},
       .cmd = {"caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"},
       .passes = Passes::exec,
       .first_args = {},
       .programs = merge({k_busybox, {"caddy"}}),
       .files = {},
       .writable = {"/data", "/config", "/tmp"},
       .workdir = "/srv"},
      {.repo = "supabase/supavisor",
       .tag = "2.9.12",
       .entrypoint = {"/usr/bin/tini", "-s", "-g", "--", "/app/limits.sh"},
       .cmd = {"/app/bin/server"},
       .passes = Passes::exec,
       .first_args = {},
       .programs = merge({k_debian, {"curl", "sudo", "tini", "vim", "psql"}}),
       .files = {"/app/limits.sh", "/app/bin/server", "/app/bin/migrate", "/app/bin/supavisor"},
       .writable = {"/tmp"},
       .workdir = "/app"},
      {.repo = "supabase/logflare",
       .tag = "1.50.10",
       .entrypoint = {},
       .cmd = {"sh", "run.sh"},
       .passes = Passes::exec,
       .first_args = {},
       .programs = merge({k_debian, {"curl", "openssl"}}),
       .files = {"/opt/app/rel/logflare/bin/run.sh", "/opt/app/rel/logflare/bin/logflare"},
       .writable = {"/tmp"},
       .workdir = "/opt/app/rel/logflare/bin"},
      {.repo = "timberio/vector",
       .tag = "0.53.0-alpine",
       .entrypoint = {"/usr/local/bin/vector"},
       .cmd = {},
       .passes = Passes::args,
       .first_args = {},
       .programs = merge({k_busybox, {"vector"}}),
       .files = {},
       .writable = {"/tmp", "/var/lib/vector"},
       .workdir = "/"},
  };
  return table;
}

struct ImageRef {
  std::string repo;
  std::string tag;
};

/// Splits `[registry/]repo[:tag]`; a first component with a dot, a colon or `localhost` is a
/// registry.
ImageRef parse_image(const std::string& image) {
  std::string rest = image;
  size_t slash = rest.find('/');
  if (slash != std::string::npos) {
    std::string first = rest.substr(0, slash);
    if (first.find('.') != std::string::npos || first.find(':') != std::string::npos || first == "localhost") {
      rest = rest.substr(slash + 1);
    }
  }
  ImageRef ref;
  size_t colon = rest.rfind(':');
  if (colon != std::string::npos && rest.find('/', colon) == std::string::npos) {
    ref.repo = rest.substr(0, colon);
    ref.tag = rest.substr(colon + 1);
  } else {
    ref.repo = rest;
    ref.tag = "latest";
  }
  return ref;
}

const ImageContract* find_image(const std::string& repo) {
  for (const ImageContract& c : image_contracts()) {
    if (c.repo == repo) return &c;
  }
  return nullptr;
}

/// A container as the image and compose.yml make it: which files it has, which mounts.
struct Container {
  const Rendered* rendered = nullptr;
  std::string service;
  const ImageContract* image = nullptr;
  /// Mount target → rendered file (for bind mounts of files supactl renders) or "".
  std::map<std::string, fs::path> mounts;
};

Container container_of(const Rendered& r, const std::string& service, const ImageContract* image) {
  Container c;
  c.rendered = &r;
  c.service = service;
  c.image = image;
  for (const auto& v : r.service(service)["volumes"]) {
    std::string source;
    std::string target;
    if (v.IsMap()) {
      source = v["source"] ? v["source"].as<std::string>() : "";
      target = v["target"].as<std::string>();
    } else {
      Strings parts = split(v.as<std::string>(), ':');
      source = parts[0];
      target = parts.size() > 1 ? parts[1] : parts[0];
    }
    fs::path file;
    if (starts_with(source, "./")) file = r.dir() / source.substr(2);
    c.mounts[target] = file;
  }
  return c;
}

const StringSet k_path_dirs = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"};

bool under(const std::string& path, const std::string& dir) {
  return path == dir || starts_with(path, dir.back() == '/' ? dir : dir + "/");
}

/// Whether `path` (absolute) exists in the container: a program on PATH, a known file, inside
/// a mount, or inside a directory the image's user may write (files created at run time).
bool path_exists(const Container& c, const std::string& path) {
  fs::path p(path);
  if (k_path_dirs.count(p.parent_path().string()) && c.image->programs.count(p.filename().string())) return true;
  if (c.image->files.count(path)) return true;
  for (const auto& [target, file] : c.mounts) {
    if (under(path, target)) return true;
  }
  for (const std::string& dir : c.image->writable) {
    if (under(path, dir)) return true;
  }
  return under(path, "/dev") || under(path, "/proc");
}

/// Whether `word`, run as a program, is found: a path must exist, a bare name must be on PATH.
bool program_exists(const Container& c, const std::string& word) {
  if (word.find('/') == std::string::npos) return c.image->programs.count(word) > 0;
  if (word[0] != '/') return path_exists(c, (fs::path(c.image->workdir) / word).lexically_normal().string());
  return path_exists(c, word);
}

const StringSet k_shells = {"sh", "bash", "dash", "ash"};
const StringSet k_builtins = {".",      ":",    "[",    "alias",    "break",  "cd",      "command", "continue", "echo",
                              "eval",   "exec", "exit", "export",   "false",  "getopts", "hash",    "kill",     "local",
                              "printf", "pwd",  "read", "readonly", "return", "set",     "shift",   "test",     "times",
                              "trap",   "true", "type", "ulimit",   "umask",  "unalias", "unset",   "wait"};
const StringSet k_keywords = {"if",    "then",  "else", "elif", "fi", "do", "done",
                              "while", "until", "!",    "{",    "}",  "(",  ")"};

/// The simple commands of a shell script, each as its words (quotes removed). Pipelines,
/// lists, `$(...)` substitutions and `case` patterns are taken apart; the words before the
/// program (assignments, redirections, keywords) are dropped.
std::vector<Strings> script_commands(const std::string& script) {
  // Line continuations, then `case` patterns (`pat1 | pat2)` at the start of a line).
  std::string text;
  {
    std::string joined;
    for (size_t i = 0; i < script.size(); ++i) {
      if (script[i] == '\\' && i + 1 < script.size() && script[i + 1] == '\n') {
        joined += ' ';
        ++i;
      } else {
        joined += script[i];
      }
    }
    static const std::regex pattern_line(R"(^\s*[^()'"$]*\)(.*)$)");
    int in_case = 0;
    std::istringstream lines(joined);
    std::string line;
    while (std::getline(lines, line)) {
      Strings words = shell_words(line);
      std::smatch m;
      if (in_case > 0 && std::regex_match(line, m, pattern_line)) line = m[1];
      if (!words.empty() && words[0] == "case") ++in_case;
      if (!words.empty() && words[0] == "esac") --in_case;
      text += line + "\n";
    }
  }
  // Segments: split at unquoted ; & | newline, and around $( ... ) and `...`.
  struct Segment {
    std::string text;
    bool command_start = true;
  };
  std::vector<Segment> segments(1);
  std::vector<char> double_quoted(1, 0);  // per $( nesting level
  auto cut = [&](bool command_start) { segments.push_back(Segment{"", command_start}); };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    char& dq = double_quoted.back();
    if (c == '\'' && !dq) {
      size_t end = text.find('\'', i + 1);
      if (end == std::string::npos) end = text.size() - 1;
      segments.back().text += text.substr(i, end - i + 1);
      i = end;
    } else if (c == '"') {
      dq = static_cast<char>(!dq);
      segments.back().text += c;
    } else if (c == '\\' && i + 1 < text.size()) {
      segments.back().text += text.substr(i, 2);
      ++i;
    } else if (c == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      size_t end = text.find('}', i);
      if (end == std::string::npos) end = text.size() - 1;
      segments.back().text += text.substr(i, end - i + 1);
      i = end;
    } else if (c == '$' && i + 1 < text.size() && text[i + 1] == '(') {
      segments.back().text += "$SUBST";
      ++i;
      double_quoted.push_back(0);
      cut(true);
    } else if (c == ')' && !dq && double_quoted.size() > 1) {
      double_quoted.pop_back();
      cut(false);
    } else if (c == '#' && !dq &&
               (segments.back().text.empty() ||
                std::isspace(static_cast<unsigned char>(segments.back().text.back())))) {
      size_t end = text.find('\n', i);
      i = (end == std::string::npos ? text.size() : end) - 1;
    } else if (!dq && (c == '&' || c == '|') && i > 0 && (text[i - 1] == '>' || text[i - 1] == '<')) {
      segments.back().text += c;  // `>&2`, `<&0`, `>|`: part of a redirection
    } else if (!dq && c == '&' && i + 1 < text.size() && text[i + 1] == '>') {
      segments.back().text += c;  // `&>file`
    } else if (!dq && (c == ';' || c == '&' || c == '|' || c == '\n')) {
      cut(true);
    } else {
      segments.back().text += c;
    }
  }
  static const std::regex assignment(R"(^[A-Za-z_][A-Za-z0-9_]*=.*)");
  static const std::regex redirection(R"(^[0-9]*[<>].*)");
  std::vector<Strings> commands;
  for (const Segment& s : segments) {
    if (!s.command_start) continue;
    Strings words = shell_words(s.text);
    size_t i = 0;
    bool skip = false;
    while (i < words.size()) {
      const std::string& w = words[i];
      if (w == "for" || w == "case" || w == "esac" || w == "in" || w == "function" ||
          (w.size() > 2 && w.substr(w.size() - 2) == "()")) {
        skip = true;
        break;
      }
      if (k_keywords.count(w) || std::regex_match(w, assignment)) {
        ++i;
      } else if (std::regex_match(w, redirection)) {
        // `> file` takes the next word; `>file` does not.
        i += (w.find_first_not_of("0123456789<>&") == std::string::npos) ? 2 : 1;
      } else {
        break;
      }
    }
    if (skip || i >= words.size()) continue;
    commands.emplace_back(words.begin() + static_cast<std::ptrdiff_t>(i), words.end());
  }
  return commands;
}

void check_words(const Container& c, Strings words, const std::string& where, Strings& problems, int depth = 0);

void check_script(const Container& c, const std::string& script, const std::string& where, Strings& problems,
                  int depth) {
  for (const Strings& command : script_commands(script)) check_words(c, command, where, problems, depth + 1);
}

/// Checks one command line run inside container `c`: its program and what it hands over to
/// (timeout, env, tini, sudo, gosu, a shell's -c script, a mounted script file).
void check_words(const Container& c, Strings words, const std::string& where, Strings& problems, int depth) {
  if (depth > 8) return;
  while (!words.empty()) {
    const std::string w = words[0];
    if (w.find('$') != std::string::npos) return;  // a program named by a variable: unknown
    if (w == "exec" || w == "command") {
      words.erase(words.begin());
      continue;
    }
    if (k_builtins.count(w)) return;  // a shell runs this script; the shell was checked
    if (!program_exists(c, w)) {
      problems.push_back(where + ": `" + w + "` is not in " + c.image->repo);
      return;
    }
    const std::string name = basename_of(w);
    size_t skip = 1;
    if (name == "timeout") {
      while (skip < words.size() && starts_with(words[skip], "-"))
        skip += (words[skip] == "-s" || words[skip] == "-k") ? 2 : 1;
      ++skip;  // the duration
    } else if (name == "env" || name == "nice" || name == "nohup") {
      static const std::regex assignment(R"(^[A-Za-z_][A-Za-z0-9_]*=.*)");
      while (skip < words.size() && (starts_with(words[skip], "-") || std::regex_match(words[skip], assignment)))
        ++skip;
    } else if (name == "tini") {
      while (skip < words.size() && words[skip - 1] != "--" && starts_with(words[skip], "-")) ++skip;
    } else if (name == "sudo") {
      while (skip < words.size() && starts_with(words[skip], "-")) skip += (words[skip] == "-u") ? 2 : 1;
    } else if (name == "gosu" || name == "su-exec") {
      skip = 2;
    } else if (k_shells.count(name)) {
      for (size_t i = 1; i < words.size(); ++i) {
        const std::string& opt = words[i];
        if (starts_with(opt, "-") && opt.find('c') != std::string::npos && opt.find('-', 1) == std::string::npos) {
          if (i + 1 < words.size()) check_script(c, words[i + 1], where + " (" + name + " -c)", problems, depth);
          return;
        }
        if (!starts_with(opt, "-")) {
          // A script file: it must exist; when supactl renders it, its commands are checked.
          std::string path = opt[0] == '/' ? opt : (fs::path(c.image->workdir) / opt).lexically_normal().string();
          if (!path_exists(c, path)) {
            problems.push_back(where + ": script `" + opt + "` is not in " + c.image->repo + " nor mounted");
          } else if (auto m = c.mounts.find(path); m != c.mounts.end() && !m->second.empty() && fs::exists(m->second)) {
            check_script(c, core::read_file(m->second), where + " (" + path + ")", problems, depth);
          }
          return;
        }
      }
      return;
    } else {
      return;
    }
    if (skip >= words.size()) return;
    words.erase(words.begin(), words.begin() + static_cast<std::ptrdiff_t>(skip));
  }
}

/// The argv the container runs: compose's entrypoint (which also drops the image's CMD) or the
/// image's, followed by compose's command or the image's CMD. `own_entrypoint` tells whether
/// the image's entrypoint is kept.
Strings effective_argv(const Rendered& r, const std::string& service, const ImageContract& image,
                       bool& own_entrypoint) {
  YAML::Node s = r.service(service);
  own_entrypoint = !s["entrypoint"];
  Strings entrypoint = own_entrypoint ? image.entrypoint : node_strings(s["entrypoint"]);
  Strings command = s["command"] ? node_strings(s["command"]) : (own_entrypoint ? image.cmd : Strings{});
  for (std::string& w : command) w = r.interpolated(w);
  for (std::string& w : entrypoint) w = r.interpolated(w);
  Strings argv = entrypoint;
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

Strings check_container(const Rendered& r, const std::string& service) {
  Strings problems;
  const std::string image = r.service(service)["image"].as<std::string>();
  const ImageRef ref = parse_image(image);
  const ImageContract* contract = find_image(ref.repo);
  if (contract == nullptr) {
    problems.push_back(service + ": image " + ref.repo + " is not in this test's image table; describe it there");
    return problems;
  }
  const Container c = container_of(r, service, contract);
  bool own_entrypoint = true;
  const Strings argv = effective_argv(r, service, *contract, own_entrypoint);
  const std::string where = service + " entrypoint/command [" + join(argv, " ") + "]";
  if (argv.empty()) {
    problems.push_back(where + ": nothing to run");
  } else if (own_entrypoint && !contract->entrypoint.empty()) {
    // The image's entrypoint: it must exist, then it runs or takes the command.
    if (!program_exists(c, argv[0]))
      problems.push_back(where + ": entrypoint `" + argv[0] + "` is not in " + contract->repo);
    Strings command(argv.begin() + static_cast<std::ptrdiff_t>(contract->entrypoint.size()), argv.end());
    if (contract->passes == Passes::exec) {
      if (command.empty()) {
        problems.push_back(where + ": the entrypoint runs \"$@\" and gets no command");
      } else {
        check_words(c, command, where, problems);
      }
    } else if (!contract->first_args.empty() && (command.empty() || !contract->first_args.count(command[0]))) {
      problems.push_back(where + ": " + argv[0] + " expects one of " + join(contract->first_args, ", ") + " first");
    }
  } else {
    check_words(c, argv, where, problems);
  }

  YAML::Node hc = r.service(service)["healthcheck"];
  if (hc && hc["test"] && !(hc["disable"] && hc["disable"].as<bool>())) {
    Strings test;
    if (hc["test"].IsScalar()) {
      test = {"CMD-SHELL", hc["test"].as<std::string>()};
    } else {
      for (const auto& w : hc["test"]) test.push_back(r.interpolated(w.as<std::string>()));
    }
    const std::string hwhere = service + " healthcheck [" + join(test, " ") + "]";
    if (test.empty()) {
      problems.push_back(hwhere + ": empty test");
    } else if (test[0] == "CMD") {
      check_words(c, Strings(test.begin() + 1, test.end()), hwhere, problems);
    } else if (test[0] == "CMD-SHELL") {
      if (!path_exists(c, "/bin/sh"))
        problems.push_back(hwhere + ": CMD-SHELL needs /bin/sh, which " + contract->repo + " lacks");
      if (test.size() > 1) check_script(c, test[1], hwhere, problems, 0);
    } else if (test[0] != "NONE") {
      problems.push_back(hwhere + ": unknown test form " + test[0]);
    }
  }
  return problems;
}

Strings container_problems(const Rendered& r) {
  Strings problems;
  for (const std::string& service : r.services()) {
    for (const std::string& p : check_container(r, service)) problems.push_back(p);
  }
  return problems;
}

TEST(UpstreamContract, EntrypointsCommandsAndHealthChecksUseOnlyWhatTheImageHas) {
  for (const auto& r : rendered()) {
    for (const std::string& p : container_problems(*r)) ADD_FAILURE() << r->label << " instance: " << p;
    // The default instance runs the release's images: they must be the ones described here.
    if (r->label != "default") continue;
    for (const std::string& service : r->services()) {
      ImageRef ref = parse_image(r->service(service)["image"].as<std::string>());
      const ImageContract* c = find_image(ref.repo);
      if (c != nullptr) {
        EXPECT_EQ(ref.tag, c->tag) << service << ": the image table describes " << c->repo << ":" << c->tag;
      }
    }
  }
}

/// The script compose runs as Kong's entrypoint is the rendered kong-entrypoint.sh, mounted
/// where it is run; it ends by exec-ing the image's ENTRYPOINT + CMD (kong/kong 3.x:
/// /entrypoint.sh, not the /docker-entrypoint.sh of the older Docker-official image); every
/// program it runs is in the image (awk, not curl or ip); every literal absolute path it names
/// exists, is mounted, or lies where user kong may write.
Strings kong_entrypoint_problems(const Rendered& r) {
  Strings problems;
  const ImageContract* kong = find_image("kong/kong");
  const Container c = container_of(r, "kong", kong);
  bool own = true;
  const Strings argv = effective_argv(r, "kong", *kong, own);
  if (argv.size() < 2 || !k_shells.count(basename_of(argv[0]))) {
    problems.push_back("kong's entrypoint [" + join(argv, " ") + "] is not a shell running a script");
    return problems;
  }
  auto mount = c.mounts.find(argv[1]);
  if (mount == c.mounts.end() || mount->second != r.dir() / "kong-entrypoint.sh") {
    problems.push_back("kong runs " + argv[1] + ", which is not the rendered kong-entrypoint.sh mounted there");
    return problems;
  }
  const std::string script = core::read_file(mount->second);

  const std::vector<Strings> commands = script_commands(script);
  std::optional<Strings> handover;
  for (const Strings& cmd : commands) {
    if (!cmd.empty() && cmd[0] == "exec") handover = Strings(cmd.begin() + 1, cmd.end());
  }
  Strings expected = kong->entrypoint;
  expected.insert(expected.end(), kong->cmd.begin(), kong->cmd.end());
  if (!handover) {
    problems.push_back("kong-entrypoint.sh never execs; it must end in `exec " + join(expected, " ") + "`");
  } else if (*handover != expected) {
    problems.push_back("kong-entrypoint.sh ends in `exec " + join(*handover, " ") + "`, kong/kong needs `exec " +
                       join(expected, " ") + "`");
  }

  check_script(c, script, "kong-entrypoint.sh", problems, 0);
  static const std::regex literal_path(R"(^/[A-Za-z0-9_./-]*$)");
  for (const Strings& cmd : commands) {
    for (const std::string& w : cmd) {
      if (std::regex_match(w, literal_path) && w.find("..") == std::string::npos && !path_exists(c, w)) {
        problems.push_back("kong-entrypoint.sh names `" + w + "`, which kong/kong lacks and nothing mounts");
      }
    }
  }
  static const std::regex assigned_path(R"((?:^|\s)[A-Za-z_][A-Za-z0-9_]*="?(/[A-Za-z0-9_./-]+))");
  for (std::sregex_iterator it(script.begin(), script.end(), assigned_path), end; it != end; ++it) {
    std::string p = (*it)[1];
    if (!path_exists(c, p))
      problems.push_back("kong-entrypoint.sh uses `" + p + "`, which kong/kong lacks and nothing mounts");
  }
  return problems;
}

TEST(UpstreamContract, KongEntrypointHandsOverToTheImagesOwnEntrypoint) {
  for (const auto& r : rendered()) {
    for (const std::string& p : kong_entrypoint_problems(*r)) ADD_FAILURE() << r->label << " instance: " << p;
  }
}

TEST(UpstreamContract, ImageChecksCatchWhatTheyShould) {
  const Rendered& r = *rendered().front();
  const Container rest = container_of(r, "rest", find_image("postgrest/postgrest"));
  const Container functions = container_of(r, "functions", find_image("supabase/edge-runtime"));
  const Container kong = container_of(r, "kong", find_image("kong/kong"));
  auto fails = [](const Container& c, const Strings& argv) {
    Strings problems;
    check_words(c, argv, "t", problems);
    return !problems.empty();
  };
  EXPECT_FALSE(fails(rest, {"postgrest", "--ready"}));
  EXPECT_TRUE(fails(rest, {"sh", "-c", "postgrest"}));
  EXPECT_TRUE(fails(functions, {"curl", "-f", "http://localhost:9000"}));
  EXPECT_FALSE(fails(functions, {"bash", "-c", "</dev/tcp/127.0.0.1/9000"}));
  EXPECT_TRUE(fails(functions, {"bash", "-c", "curl -f http://localhost:9000 || exit 1"}));
  EXPECT_FALSE(fails(
      kong, {"sh", "-c", "x=$(awk '{print $1}' /proc/net/route | head -1) && exec /entrypoint.sh kong docker-start"}));
  EXPECT_TRUE(fails(kong, {"sh", "-c", "exec /docker-entrypoint.sh kong docker-start"}));
  EXPECT_TRUE(fails(kong, {"sh", "-c", "ip route | awk '{print $1}'"}));
  EXPECT_TRUE(fails(kong, {"timeout", "1", "wget", "-q", "http://localhost:8000"}));
  EXPECT_FALSE(fails(kong, {"sh", "-c", "echo x >&2; awk 1 /proc/net/route 2>/dev/null &>/dev/null || true"}));
  std::vector<Strings> cmds =
      script_commands("case \"$x\" in\n  http://* | https://*) ;;\n  *) echo bad; exit 1 ;;\nesac\n");
  ASSERT_EQ(cmds.size(), 2u);
  EXPECT_EQ(cmds[0][0], "echo");
}

// ------------------------------------------------------------------------------------------
// 3. Kong: routes, access, plugins

enum class MatchKind { prefix, exact, regex };

struct KongRoute {
  std::string origin;  ///< the path as written (regex with its `~`), used in difference ids
  MatchKind kind = MatchKind::prefix;
  std::string match;  ///< path, exact path, or regex (without `~`)
  bool expression = false;
  long priority = 0;   ///< expression routes: `priority`; regex paths: `regex_priority`
  std::string target;  ///< host:port of the Kong service
  StringSet plugins;   ///< plugin names on the route and its service
  bool key_auth = false;
  bool key_auth_hides = false;
  std::optional<StringSet> acl_allow;
  bool basic_auth = false;
  bool terminated = false;
  long read_timeout = 60000;
  long write_timeout = 60000;
  long connect_timeout = 60000;
};

struct KongConfig {
  std::vector<KongRoute> routes;
  std::map<std::string, StringSet> consumer_groups;  ///< consumer → ACL groups
  std::map<std::string, StringSet> consumer_keys;    ///< consumer → key-auth keys (placeholders)
  StringSet basic_auth;                              ///< "consumer username password"
  StringSet global_plugins;
  StringSet expression_routes;  ///< names of routes written as expressions
};

std::string target_of(const std::string& url) {
  std::optional<Url> u = parse_url(url);
  if (!u) return "?" + url;
  std::string port = u->port;
  if (port.empty()) port = (u->scheme == "https" || u->scheme == "wss") ? "443" : "80";
  return u->host + ":" + port;
}

std::string access_of(const KongRoute& r) {
  if (r.terminated) return "blocked";
  if (r.basic_auth) return "basic-auth";
  if (r.key_auth) return r.acl_allow ? "key-auth acl[" + join(*r.acl_allow, ",") + "]" : "key-auth (any consumer)";
  if (r.acl_allow) return "acl without authentication (nobody)";
  return "open";
}

/// Who gets through: "public" (no credential), consumers by name, "basic:<consumer>".
StringSet principals(const KongRoute* r, const KongConfig& k) {
  StringSet out;
  if (r == nullptr || r->terminated) return out;
  if (r->basic_auth) {
    for (const std::string& b : k.basic_auth) out.insert("basic:" + b.substr(0, b.find(' ')));
    return out;
  }
  if (r->key_auth) {
    for (const auto& [consumer, keys] : k.consumer_keys) {
      if (keys.empty()) continue;
      if (!r->acl_allow) {
        out.insert(consumer);
        continue;
      }
      auto g = k.consumer_groups.find(consumer);
      if (g == k.consumer_groups.end()) continue;
      for (const std::string& group : g->second) {
        if (r->acl_allow->count(group)) out.insert(consumer);
      }
    }
    return out;
  }
  if (r->acl_allow) return out;
  out.insert("public");
  for (const auto& [consumer, keys] : k.consumer_keys) out.insert(consumer);
  for (const std::string& b : k.basic_auth) out.insert("basic:" + b.substr(0, b.find(' ')));
  return out;
}

void apply_plugin(KongRoute& route, const YAML::Node& plugin) {
  const std::string name = plugin["name"].as<std::string>();
  if (plugin["enabled"] && !plugin["enabled"].as<bool>()) return;
  route.plugins.insert(name);
  const YAML::Node config = plugin["config"];
  if (name == "key-auth") {
    route.key_auth = true;
    route.key_auth_hides = config && config["hide_credentials"] && config["hide_credentials"].as<bool>();
  } else if (name == "acl") {
    StringSet allow;
    if (config && config["allow"]) {
      for (const auto& g : config["allow"]) allow.insert(g.as<std::string>());
    }
    route.acl_allow = allow;
  } else if (name == "basic-auth") {
    route.basic_auth = true;
  } else if (name == "request-termination") {
    route.terminated = true;
  }
}

/// Route paths of one `expression`: `http.path == "x"`, `^= "x"` or `~ "re"`, joined by ||.
std::optional<std::vector<std::pair<MatchKind, std::string>>> parse_expression(const std::string& expression) {
  static const std::regex term(R"re(^\(?\s*http\.path\s*(==|\^=|~)\s*(?:r#"(.*)"#|"((?:[^"\\]|\\.)*)")\s*\)?$)re");
  std::vector<std::pair<MatchKind, std::string>> out;
  size_t start = 0;
  while (true) {
    size_t bar = expression.find("||", start);
    std::string part = trim(expression.substr(start, bar == std::string::npos ? std::string::npos : bar - start));
    std::smatch m;
    if (!std::regex_match(part, m, term)) return std::nullopt;
    std::string value = m[2].matched ? std::string(m[2]) : std::string(m[3]);
    std::string op = m[1];
    out.emplace_back(op == "==" ? MatchKind::exact : op == "^=" ? MatchKind::prefix : MatchKind::regex, value);
    if (bar == std::string::npos) break;
    start = bar + 2;
  }
  return out;
}

/// Reads a rendered kong.yml. Problems (unreadable expressions) go to `problems`.
KongConfig read_kong(const YAML::Node& doc, Strings& problems) {
  KongConfig k;
  for (const auto& c : doc["consumers"]) {
    std::string name = c["username"].as<std::string>();
    k.consumer_groups[name];
    StringSet& keys = k.consumer_keys[name];
    for (const auto& cred : c["keyauth_credentials"]) keys.insert(cred["key"].as<std::string>());
    for (const auto& g : c["acls"]) k.consumer_groups[name].insert(g["group"].as<std::string>());
  }
  for (const auto& cred : doc["keyauth_credentials"])
    k.consumer_keys[cred["consumer"].as<std::string>()].insert(cred["key"].as<std::string>());
  for (const auto& a : doc["acls"])
    k.consumer_groups[a["consumer"].as<std::string>()].insert(a["group"].as<std::string>());
  for (const auto& b : doc["basicauth_credentials"]) {
    k.basic_auth.insert(b["consumer"].as<std::string>() + " " + b["username"].as<std::string>() + " " +
                        b["password"].as<std::string>());
  }
  for (const auto& p : doc["plugins"]) k.global_plugins.insert(p["name"].as<std::string>());
  for (const auto& s : doc["services"]) {
    KongRoute base;
    if (s["url"]) {
      base.target = target_of(s["url"].as<std::string>());
    } else {
      base.target = s["host"].as<std::string>() + ":" + (s["port"] ? s["port"].as<std::string>() : "80");
    }
    if (s["read_timeout"]) base.read_timeout = s["read_timeout"].as<long>();
    if (s["write_timeout"]) base.write_timeout = s["write_timeout"].as<long>();
    if (s["connect_timeout"]) base.connect_timeout = s["connect_timeout"].as<long>();
    for (const auto& p : s["plugins"]) apply_plugin(base, p);
    for (const auto& rt : s["routes"]) {
      KongRoute route = base;
      for (const auto& p : rt["plugins"]) apply_plugin(route, p);
      std::vector<std::pair<MatchKind, std::string>> paths;
      if (rt["expression"]) {
        std::string expr = rt["expression"].as<std::string>();
        auto parsed = parse_expression(expr);
        if (!parsed) {
          problems.push_back("route " + rt["name"].as<std::string>("?") + ": cannot evaluate expression `" + expr +
                             "`");
          continue;
        }
        paths = *parsed;
        route.expression = true;
        route.priority = rt["priority"] ? rt["priority"].as<long>() : 0;
        k.expression_routes.insert(rt["name"].as<std::string>("?"));
      } else {
        for (const auto& p : rt["paths"]) {
          std::string path = p.as<std::string>();
          if (starts_with(path, "~")) {
            paths.emplace_back(MatchKind::regex, path.substr(1));
          } else {
            paths.emplace_back(MatchKind::prefix, path);
          }
        }
        route.priority = rt["regex_priority"] ? rt["regex_priority"].as<long>() : 0;
      }
      for (const auto& [kind, text] : paths) {
        KongRoute one = route;
        one.kind = kind;
        one.match = text;
        one.origin = kind == MatchKind::regex ? "~" + text : text;
        k.routes.push_back(one);
      }
    }
  }
  return k;
}

bool route_matches(const KongRoute& r, const std::string& path) {
  switch (r.kind) {
    case MatchKind::prefix: return starts_with(path, r.match);
    case MatchKind::exact: return path == r.match;
    case MatchKind::regex: {
      try {
        return std::regex_search(path, std::regex("^(?:" + r.match + ")"));
      } catch (const std::regex_error&) {
        return false;
      }
    }
  }
  return false;
}

/// Kong 3.9's choice among matching routes (router/transform.lua get_priority): expression
/// routes first (by priority), then regex paths (by regex_priority), then the longest prefix.
const KongRoute* route_for(const KongConfig& k, const std::string& path) {
  const KongRoute* best = nullptr;
  auto rank = [](const KongRoute& r) {
    long tier = r.expression ? 2 : (r.kind == MatchKind::regex ? 1 : 0);
    long within = (r.expression || r.kind == MatchKind::regex) ? r.priority : static_cast<long>(r.match.size());
    return std::make_pair(tier, within);
  };
  for (const KongRoute& r : k.routes) {
    if (!route_matches(r, path)) continue;
    if (best == nullptr || rank(r) > rank(*best)) best = &r;
  }
  return best;
}

/// Request paths that exercise a route: the path itself and one below it.
Strings probes_of(const KongRoute& r) {
  if (r.kind == MatchKind::prefix) return {r.match, r.match + (r.match.back() == '/' ? "x" : "/x")};
  if (r.kind == MatchKind::exact) return {r.match};
  // Literal regexes with optional characters: expand `c?` both ways; stop at other syntax.
  std::vector<std::string> out = {""};
  std::string re = r.match;
  if (starts_with(re, "^")) re = re.substr(1);
  for (size_t i = 0; i < re.size(); ++i) {
    char c = re[i];
    if (c == '$' && i + 1 == re.size()) break;
    if (c == '\\' && i + 1 < re.size()) {
      c = re[++i];
    } else if (std::string(".*+[](){}|^$").find(c) != std::string::npos) {
      for (auto& s : out) s += "x";
      break;
    }
    bool optional = i + 1 < re.size() && re[i + 1] == '?';
    std::vector<std::string> next;
    for (const auto& s : out) {
      next.push_back(s + c);
      if (optional) next.push_back(s);
    }
    out = next;
    if (optional) ++i;
  }
  return out;
}

// --- Upstream v0.8.1's kong.yml, as a model.

struct UpstreamRoute {
  const char* path;    ///< prefix path, or "=path" for the exact expression route
  const char* target;  ///< host:port
  const char* access;  ///< open | blocked | basic-auth | acl groups "admin,anon"
  StringSet plugins;   ///< plugins other than key-auth/acl/basic-auth/request-termination
  long read_timeout;
};

/// Placeholders upstream's entrypoint computes; their value for the default issuer
/// (API_EXTERNAL_URL http://localhost:8000/auth/v1).
const std::map<std::string, std::string> k_computed_paths = {
    {"$WELL_KNOWN_OAUTH_PATH", "/.well-known/oauth-authorization-server/auth/v1"}};

const std::vector<UpstreamRoute>& upstream_routes() {
  static const StringSet cors = {"cors"};
  static const StringSet auth_header = {"cors", "request-transformer"};
  static const StringSet with_cleanup = {"cors", "request-transformer", "post-function"};
  static const std::vector<UpstreamRoute> table = {
      {"/auth/v1/verify", "auth:9999", "open", cors, 60000},
      {"/auth/v1/callback", "auth:9999", "open", cors, 60000},
      {"/auth/v1/authorize", "auth:9999", "open", cors, 60000},
      {"/auth/v1/.well-known/jwks.json", "auth:9999", "open", cors, 60000},
      {"/auth/v1/sso/saml/acs", "auth:9999", "open", cors, 60000},
      {"/auth/v1/sso/saml/metadata", "auth:9999", "open", cors, 60000},
      {"/auth/v1/", "auth:9999", "admin,anon", auth_header, 60000},
      {"=/rest/v1/", "rest:3000", "admin", auth_header, 60000},  // the OpenAPI root (D3)
      {"/rest/v1/", "rest:3000", "admin,anon", auth_header, 60000},
      {"/graphql/v1", "rest:3000", "admin,anon", auth_header, 60000},
      {"/realtime/v1/", "realtime-dev.supabase-realtime:4000", "admin,anon", auth_header, 60000},
      {"/realtime/v1/api/openapi", "realtime-dev.supabase-realtime:4000", "blocked", {}, 60000},
      {"/realtime/v1/api/tenants", "realtime-dev.supabase-realtime:4000", "blocked", {}, 60000},
      {"/realtime/v1/api", "realtime-dev.supabase-realtime:4000", "admin,anon", auth_header, 60000},
      {"/storage/v1/", "storage:5000", "open", with_cleanup, 60000},
      {"/functions/v1/", "functions:9000", "open", with_cleanup, 160000},
      {"$WELL_KNOWN_OAUTH_PATH", "auth:9999", "open", cors, 60000},
      {"/pg/", "meta:8080", "admin", {}, 60000},
      {"/api/mcp", "studio:3000", "blocked", {}, 60000},
      {"/mcp", "studio:3000", "blocked", {}, 60000},
      {"/", "studio:3000", "basic-auth", cors, 60000},
  };
  return table;
}

/// Which supactl service a Kong upstream host belongs to.
std::string service_of_target(const std::string& target) {
  std::string host = target.substr(0, target.find(':'));
  if (host == "realtime-dev.supabase-realtime") return "realtime";
  return host;
}

/// Upstream's configuration, without the routes to services `r` does not run.
KongConfig upstream_kong(const Rendered& r) {
  KongConfig k;
  k.consumer_groups = {{"DASHBOARD", {}}, {"anon", {"anon"}}, {"service_role", {"admin"}}};
  k.consumer_keys = {{"DASHBOARD", {}},
                     {"anon", {"$SUPABASE_ANON_KEY", "$SUPABASE_PUBLISHABLE_KEY"}},
                     {"service_role", {"$SUPABASE_SERVICE_KEY", "$SUPABASE_SECRET_KEY"}}};
  k.basic_auth = {"DASHBOARD $DASHBOARD_USERNAME $DASHBOARD_PASSWORD"};
  for (const UpstreamRoute& u : upstream_routes()) {
    if (!r.has(service_of_target(u.target))) continue;
    KongRoute route;
    std::string path = u.path;
    route.kind = starts_with(path, "=") ? MatchKind::exact : MatchKind::prefix;
    route.match = route.kind == MatchKind::exact ? path.substr(1) : path;
    route.expression = route.kind == MatchKind::exact;
    route.origin = route.match;
    route.target = u.target;
    route.plugins = u.plugins;
    route.read_timeout = u.read_timeout;
    const std::string access = u.access;
    if (access == "blocked") {
      route.terminated = true;
      route.plugins.insert("request-termination");
    } else if (access == "basic-auth") {
      route.basic_auth = true;
      route.plugins.insert("basic-auth");
    } else if (access != "open") {
      route.key_auth = true;
      route.key_auth_hides = false;
      Strings groups = split(access, ',');
      route.acl_allow = StringSet(groups.begin(), groups.end());
      route.plugins.insert({"key-auth", "acl"});
    }
    k.routes.push_back(route);
  }
  return k;
}

/// A path to probe: placeholders upstream computes replaced by their value.
std::string probe_path(const std::string& p) {
  auto it = k_computed_paths.find(p);
  return it == k_computed_paths.end() ? p : it->second;
}

struct Probe {
  std::string path;
  std::string origin;    ///< route path that produced it
  bool on_both = false;  ///< both configurations have a route with exactly this origin
};

std::vector<Probe> probes(const KongConfig& up, const KongConfig& ours) {
  std::map<std::string, Probe> by_path;
  StringSet up_origins;
  StringSet our_origins;
  for (const KongRoute& r : up.routes) up_origins.insert(r.origin);
  for (const KongRoute& r : ours.routes) our_origins.insert(r.origin);
  for (const KongConfig* k : {&up, &ours}) {
    for (const KongRoute& r : k->routes) {
      KongRoute resolved = r;
      resolved.match = probe_path(r.match);
      for (const std::string& p : probes_of(resolved)) {
        if (by_path.count(p)) continue;
        by_path[p] = Probe{p, r.origin, up_origins.count(r.origin) && our_origins.count(r.origin)};
      }
    }
  }
  std::vector<Probe> out;
  for (auto& [p, probe] : by_path) out.push_back(probe);
  return out;
}

/// A copy of `k` whose computed placeholders in paths are replaced for matching.
KongConfig resolved(const KongConfig& k) {
  KongConfig out = k;
  for (KongRoute& r : out.routes) r.match = probe_path(r.match);
  return out;
}

std::string describe(const KongRoute* r) {
  if (r == nullptr) return "no route (404)";
  std::string s = r->target + " " + access_of(*r);
  if (r->read_timeout != 60000) s += " read_timeout " + std::to_string(r->read_timeout);
  return s + " (route " + r->origin + ")";
}

const StringSet k_access_plugins = {"key-auth", "acl", "basic-auth", "request-termination"};

/// Kong 3.9 OSS' bundled plugins.
const StringSet k_bundled_plugins = {"acl",
                                     "acme",
                                     "ai-prompt-decorator",
                                     "ai-prompt-guard",
                                     "ai-prompt-template",
                                     "ai-proxy",
                                     "ai-request-transformer",
                                     "ai-response-transformer",
                                     "aws-lambda",
                                     "azure-functions",
                                     "basic-auth",
                                     "bot-detection",
                                     "correlation-id",
                                     "cors",
                                     "datadog",
                                     "file-log",
                                     "grpc-gateway",
                                     "grpc-web",
                                     "hmac-auth",
                                     "http-log",
                                     "ip-restriction",
                                     "jwt",
                                     "key-auth",
                                     "ldap-auth",
                                     "loggly",
                                     "oauth2",
                                     "opentelemetry",
                                     "post-function",
                                     "pre-function",
                                     "prometheus",
                                     "proxy-cache",
                                     "rate-limiting",
                                     "redirect",
                                     "request-size-limiting",
                                     "request-termination",
                                     "request-transformer",
                                     "response-ratelimiting",
                                     "response-transformer",
                                     "session",
                                     "standard-webhooks",
                                     "statsd",
                                     "syslog",
                                     "tcp-log",
                                     "udp-log",
                                     "zipkin"};

Strings kong_problems(const Rendered& r) {
  Strings problems;
  const KongConfig ours = read_kong(r.kong, problems);
  const KongConfig up = upstream_kong(r);

  // Consumers, their ACL groups and Studio's basic-auth user are upstream's; each consumer's
  // keys are upstream's keys for it (supactl may leave out some).
  if (ours.consumer_groups != up.consumer_groups) {
    std::string mine;
    for (const auto& [consumer, groups] : ours.consumer_groups) mine += " " + consumer + "{" + join(groups, ",") + "}";
    problems.push_back("consumers and ACL groups differ from upstream's DASHBOARD{} anon{anon} service_role{admin}:" +
                       mine);
  }
  for (const auto& [consumer, keys] : ours.consumer_keys) {
    for (const std::string& key : keys) {
      if (!up.consumer_keys.count(consumer) || !up.consumer_keys.at(consumer).count(key)) {
        problems.push_back("consumer " + consumer + " has key " + key + ", which upstream does not give it");
      }
    }
  }
  if (!ours.consumer_keys.count("anon") || !ours.consumer_keys.at("anon").count("$SUPABASE_ANON_KEY")) {
    problems.push_back("consumer anon lacks the key $SUPABASE_ANON_KEY");
  }
  if (!ours.consumer_keys.count("service_role") ||
      !ours.consumer_keys.at("service_role").count("$SUPABASE_SERVICE_KEY")) {
    problems.push_back("consumer service_role lacks the key $SUPABASE_SERVICE_KEY");
  }
  if (ours.basic_auth != up.basic_auth)
    problems.push_back("basic-auth credentials are {" + join(ours.basic_auth, "; ") + "}");

  // No request path reaches a service with fewer credentials than upstream asks for: where
  // both send a path to the same service, whoever gets through here gets through upstream;
  // where this configuration sends it elsewhere, whoever gets through here may reach that
  // service upstream by some route. A path both configurations route explicitly goes to
  // the same service.
  const KongConfig up_r = resolved(up);
  const KongConfig ours_r = resolved(ours);
  std::map<std::string, StringSet> up_reach;  // host:port → everyone who reaches it upstream
  for (const KongRoute& route : up.routes) {
    StringSet who = principals(&route, up);
    up_reach[route.target].insert(who.begin(), who.end());
  }
  for (const Probe& probe : probes(up, ours)) {
    const KongRoute* u = route_for(up_r, probe.path);
    const KongRoute* o = route_for(ours_r, probe.path);
    if (o == nullptr) continue;
    const bool same_target = u != nullptr && u->target == o->target;
    const StringSet allowed_up = same_target ? principals(u, up) : up_reach[o->target];
    for (const std::string& who : principals(o, ours)) {
      if (!allowed_up.count(who)) {
        problems.push_back(probe.path + ": " + who + " gets through here (" + describe(o) + ") but not upstream (" +
                           describe(u) + ")");
      }
    }
    if (probe.on_both && u != nullptr && o->target != u->target) {
      problems.push_back(probe.path + ": here " + describe(o) + ", upstream " + describe(u));
    }
  }

  // Every plugin kong.yml uses is enabled, and every enabled one ships with Kong 3.9.
  const Env kong_env = r.env("kong");
  StringSet enabled;
  for (const std::string& p : split(kong_env.count("KONG_PLUGINS") ? kong_env.at("KONG_PLUGINS") : "", ',')) {
    enabled.insert(trim(p));
  }
  StringSet used = ours.global_plugins;
  for (const KongRoute& route : ours.routes) used.insert(route.plugins.begin(), route.plugins.end());
  for (const std::string& p : used) {
    if (!enabled.count(p) && !enabled.count("bundled"))
      problems.push_back("kong.yml uses " + p + ", KONG_PLUGINS lacks it");
  }
  for (const std::string& p : enabled) {
    if (p != "bundled" && !k_bundled_plugins.count(p))
      problems.push_back("KONG_PLUGINS names " + p + ", which Kong 3.9 does not bundle");
  }
  if (!ours.expression_routes.empty() &&
      (!kong_env.count("KONG_ROUTER_FLAVOR") || kong_env.at("KONG_ROUTER_FLAVOR") != "expressions")) {
    problems.push_back("routes " + join(ours.expression_routes, ", ") +
                       " are expressions; KONG_ROUTER_FLAVOR must be expressions");
  }

  // Every $NAME placeholder of kong.yml is filled: Kong's environment (or the entrypoint)
  // defines it, or the literal text would become a credential.
  const std::string kong_text = core::read_file(r.dir() / "kong.yml");
  const std::string script = core::read_file(r.dir() / "kong-entrypoint.sh");
  static const std::regex placeholder(R"(\$([A-Za-z_][A-Za-z0-9_]*))");
  std::string no_comments;
  for (const std::string& line : split(kong_text, '\n')) no_comments += line.substr(0, line.find('#')) + "\n";
  for (std::sregex_iterator it(no_comments.begin(), no_comments.end(), placeholder), end; it != end; ++it) {
    std::string name = (*it)[1];
    bool from_script = std::regex_search(script, std::regex("(^|[\\s;])(export\\s+)?" + name + "="));
    if (!kong_env.count(name) && !from_script) problems.push_back("kong.yml's $" + name + " is never filled");
  }

  // Rate limiting keeps its counters in a service of the stack.
  const YAML::Node& doc = r.kong;
  for (const auto& p : doc["plugins"]) {
    if (p["name"].as<std::string>() != "rate-limiting") continue;
    const YAML::Node c = p["config"];
    if (c["policy"] && c["policy"].as<std::string>() == "redis") {
      std::string host =
          c["redis"] && c["redis"]["host"] ? c["redis"]["host"].as<std::string>() : c["redis_host"].as<std::string>("");
      if (!r.host_names().count(host))
        problems.push_back("rate-limiting's redis host " + host + " is not in the stack");
    }
  }
  return problems;
}

TEST(UpstreamContract, KongRoutesAndAclGroupsMatchUpstream) {
  for (const auto& r : rendered()) {
    for (const std::string& p : kong_problems(*r)) ADD_FAILURE() << r->label << " instance: " << p;
  }
}

TEST(UpstreamContract, KongModelRoutesLikeKong) {
  Strings problems;
  const KongConfig k = read_kong(YAML::Load(R"(
services:
  - name: openapi
    url: http://rest:3000/
    routes:
      - name: openapi
        expression: 'http.path == "/rest/v1/"'
    plugins:
      - name: key-auth
      - name: acl
        config: {allow: [admin]}
  - name: rest
    url: http://rest:3000/
    routes:
      - name: rest
        paths: [/rest/v1/, "~/rest/v1/?$"]
  - name: all
    url: http://studio:3000/
    routes:
      - name: all
        paths: [/]
)"),
                                 problems);
  ASSERT_TRUE(problems.empty()) << join(problems, "\n");
  ASSERT_EQ(k.routes.size(), 4u);
  EXPECT_EQ(route_for(k, "/rest/v1/")->origin, "/rest/v1/");
  EXPECT_TRUE(route_for(k, "/rest/v1/")->expression);
  EXPECT_EQ(route_for(k, "/rest/v1")->origin, "~/rest/v1/?$");
  EXPECT_EQ(route_for(k, "/rest/v1/items")->origin, "/rest/v1/");
  EXPECT_EQ(route_for(k, "/other")->target, "studio:3000");
  EXPECT_EQ(probes_of(k.routes[2]), (Strings{"/rest/v1/", "/rest/v1"}));
}

// ------------------------------------------------------------------------------------------
// The checks above against deliberately broken templates and secrets

/// The default instance rendered with `from` replaced by `to` in template `file` (and the
/// instance changed by `tweak`); nullptr when `from` is not in the template.
std::unique_ptr<Rendered> render_broken(const std::string& file, const std::string& from, const std::string& to,
                                        const std::function<void(config::Instance&)>& tweak = {}) {
  std::string text = load_templates("").at(file);
  size_t at = text.find(from);
  if (at == std::string::npos) return nullptr;
  text.replace(at, from.size(), to);
  test::TempDir overrides;
  core::write_file_atomic(overrides.path() / file, text);
  return render_one(
      "broken",
      [&](const fs::path& p) {
        config::Instance inst = test::default_instance(p);
        if (tweak) tweak(inst);
        return inst;
      },
      overrides.path().string());
}

bool mentions(const Strings& problems, const std::string& needle) {
  return std::any_of(problems.begin(), problems.end(),
                     [&](const std::string& p) { return p.find(needle) != std::string::npos; });
}

TEST(UpstreamContract, ChecksFailOnBrokenTemplates) {
  struct Case {
    std::string file;
    std::string from;
    std::string to;
    std::function<Strings(const Rendered&)> check;
    std::string expected;  ///< a problem mentioning this must be reported
  };
  const std::vector<Case> cases = {
      {"compose.yml.mustache", R"(test: ["CMD", "bash", "-c", "</dev/tcp/127.0.0.1/9000"])",
       R"(test: ["CMD", "curl", "-f", "http://localhost:9000/"])", container_problems,
       "`curl` is not in supabase/edge-runtime"},
      {"compose.yml.mustache", R"(test: ["CMD", "bash", "-c", "</dev/tcp/127.0.0.1/9000"])",
       R"(test: ["CMD-SHELL", "wget -q -O- http://localhost:9000/ || exit 1"])", container_problems,
       "`wget` is not in supabase/edge-runtime"},
      {"compose.yml.mustache", R"(command: ["postgrest"])", R"(command: ["sh", "-c", "exec postgrest"])",
       container_problems, "`sh` is not in postgrest/postgrest"},
      {"kong-entrypoint.sh", "exec /entrypoint.sh kong docker-start", "exec /docker-entrypoint.sh kong docker-start",
       kong_entrypoint_problems, "/docker-entrypoint.sh"},
      {"kong-entrypoint.sh", "exec /entrypoint.sh kong docker-start",
       "edge=$(ip -4 route show default | cut -d' ' -f5)\nexec /entrypoint.sh kong docker-start",
       kong_entrypoint_problems, "`ip` is not in kong/kong"},
      {"kong.yml.mustache", R"(- "~/rest/v1/$")", R"(- "~/rest/v1/openapi$")", kong_problems,
       "/rest/v1/: anon gets through"},
      {"compose.yml.mustache", "PGRST_ADMIN_SERVER_HOST: localhost", "PGRST_ADMIN_SERVER_HOST: \"!4\"",
       requirement_problems, "PGRST_ADMIN_SERVER_HOST"},
  };
  for (const Case& c : cases) {
    std::unique_ptr<Rendered> r = render_broken(c.file, c.from, c.to);
    ASSERT_NE(r, nullptr) << c.file << " no longer contains `" << c.from << "`; update this test's case";
    EXPECT_TRUE(mentions(c.check(*r), c.expected))
        << c.file << " with `" << c.to << "`: no problem mentions `" << c.expected << "`; got:\n"
        << join(c.check(*r), "\n");
  }
  // A realtime key of the wrong size.
  std::unique_ptr<Rendered> r = render_broken("compose.yml.mustache", "", "", [](config::Instance& inst) {
    inst.secrets["REALTIME_DB_ENC_KEY"] = secrets::Secret(std::string(32, 'r'));
  });
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(mentions(requirement_problems(*r), "DB_ENC_KEY is 32 bytes, must be exactly 16"));
}

// ------------------------------------------------------------------------------------------
// 4. Differences from upstream, and the table that lists them

/// One upstream service: what its compose definition sets.
struct UpstreamService {
  std::string name;              ///< upstream's compose key
  std::string ours;              ///< supactl's compose key
  std::string origin;            ///< main | kong | logs | s3 | caddy (the override or overlay file)
  std::string on_by_default_id;  ///< overlays: difference id when supactl runs it by default
  std::string image;
  Strings env;
  Strings optional_env;  ///< commented out or mode-dependent upstream; `X*` = a prefix
  std::optional<Strings> entrypoint;
  std::optional<Strings> command;  ///< "*" matches any single word
  bool healthcheck = true;
  Strings ports;  ///< published container ports, "8000/tcp"
};

const std::vector<UpstreamService>& upstream_services() {
  static const std::vector<UpstreamService> table = {
      {.name = "db",
       .ours = "db",
       .origin = "main",
       .on_by_default_id = "",
       .image = "supabase/postgres:17.6.1.136",
       .env = {"POSTGRES_HOST", "PGPORT", "POSTGRES_PORT", "PGPASSWORD", "POSTGRES_PASSWORD", "PGDATABASE",
               "POSTGRES_DB", "JWT_EXP"},
       .optional_env = {},
       .entrypoint = std::nullopt,
       .command =
           Strings{"postgres", "-c", "config_file=/etc/postgresql/postgresql.conf", "-c", "log_min_messages=fatal"},
       .healthcheck = true,
       .ports = {}},
      {.name = "api-gw",
       .ours = "kong",
       .origin = "kong",
       .on_by_default_id = "",
       .image = "kong/kong:3.9.3",
       .env = {"KONG_DATABASE", "KONG_DECLARATIVE_CONFIG", "KONG_ROUTER_FLAVOR", "KONG_DNS_ORDER",
               "KONG_DNS_NOT_FOUND_TTL", "KONG_DNS_VALID_TTL", "KONG_PLUGINS", "KONG_NGINX_PROXY_PROXY_BUFFER_SIZE",
               "KONG_NGINX_PROXY_PROXY_BUFFERS", "KONG_PROXY_ACCESS_LOG", "SUPABASE_ANON_KEY", "SUPABASE_SERVICE_KEY",
               "SUPABASE_PUBLISHABLE_KEY", "SUPABASE_SECRET_KEY", "ANON_KEY_ASYMMETRIC", "SERVICE_ROLE_KEY_ASYMMETRIC",
               "DASHBOARD_USERNAME", "DASHBOARD_PASSWORD", "JWT_ISSUER"},
       .optional_env = {"KONG_PORT_MAPS", "KONG_SSL_CERT", "KONG_SSL_CERT_KEY"},
       .entrypoint = Strings{"/bin/sh", "/home/kong/kong-entrypoint.sh"},
       .command = std::nullopt,
       .healthcheck = true,
       .ports = {"8000/tcp", "8443/tcp"}},
      {.name = "auth",
       .ours = "auth",
       .origin = "main",
       .on_by_default_id = "",
       .image = "supabase/gotrue:v2.196.0",
       .env = {"GOTRUE_API_HOST",
               "GOTRUE_API_PORT",
               "API_EXTERNAL_URL",
               "GOTRUE_DB_DRIVER",
               "GOTRUE_DB_DATABASE_URL",
               "GOTRUE_SITE_URL",
               "GOTRUE_URI_ALLOW_LIST",
               "GOTRUE_DISABLE_SIGNUP",
               "GOTRUE_JWT_ADMIN_ROLES",
               "GOTRUE_JWT_AUD",
               "GOTRUE_JWT_DEFAULT_GROUP_NAME",
               "GOTRUE_JWT_EXP",
               "GOTRUE_JWT_SECRET",
               "GOTRUE_JWT_ISSUER",
               "GOTRUE_EXTERNAL_EMAIL_ENABLED",
               "GOTRUE_EXTERNAL_ANONYMOUS_USERS_ENABLED",
               "GOTRUE_MAILER_AUTOCONFIRM",
               "GOTRUE_SMTP_ADMIN_EMAIL",
               "GOTRUE_SMTP_HOST",
               "GOTRUE_SMTP_PORT",
               "GOTRUE_SMTP_USER",
               "GOTRUE_SMTP_PASS",
               "GOTRUE_SMTP_SENDER_NAME",
               "GOTRUE_MAILER_URLPATHS_INVITE",
               "GOTRUE_MAILER_URLPATHS_CONFIRMATION",
               "GOTRUE_MAILER_URLPATHS_RECOVERY",
               "GOTRUE_MAILER_URLPATHS_EMAIL_CHANGE",
               "GOTRUE_EXTERNAL_PHONE_ENABLED",
               "GOTRUE_SMS_AUTOCONFIRM"},
       .optional_env = {"GOTRUE_JWT_KEYS", "GOTRUE_EXTERNAL_GOOGLE_*", "GOTRUE_EXTERNAL_GITHUB_*",
                        "GOTRUE_EXTERNAL_AZURE_*", "GOTRUE_SMS_*", "GOTRUE_MFA_*", "GOTRUE_SAML_*", "GOTRUE_HOOK_*",
                        "GOTRUE_EXTERNAL_SKIP_NONCE_CHECK", "GOTRUE_MAILER_SECURE_EMAIL_CHANGE_ENABLED",
                        "GOTRUE_SMTP_MAX_FREQUENCY"},
       .entrypoint = std::nullopt,
       .command = std::nullopt,
       .healthcheck = true,
       .ports = {}},
      {.name = "rest",
       .ours = "rest",
       .origin = "main",
       .on_by_default_id = "",
       .image = "postgrest/postgrest:v14.17",
       .env = {"PGRST_DB_URI", "PGRST_DB_SCHEMAS", "PGRST_DB_MAX_ROWS", "PGRST_DB_EXTRA_SEARCH_PATH",
               "PGRST_DB_ANON_ROLE", "PGRST_ADMIN_SERVER_PORT", "PGRST_ADMIN_SERVER_HOST", "PGRST_JWT_SECRET",
               "PGRST_DB_USE_LEGACY_GUCS", "PGRST_APP_SETTINGS_JWT_EXP"},
       .optional_env = {},
       .entrypoint = std::nullopt,
       .command = Strings{"postgrest"},
       .healthcheck = true,
       .ports = {}},
      {.name = "realtime",
       .ours = "realtime",
       .origin = "main",
       .on_by_default_id = "",
       .image = "supabase/realtime:v2.134.10",
       .env = {"PORT", "DB_HOST", "DB_PORT", "DB_USER", "DB_PASSWORD", "DB_NAME", "DB_AFTER_CONNECT_QUERY",
               "DB_ENC_KEY", "API_JWT_SECRET", "SECRET_KEY_BASE", "METRICS_JWT_SECRET", "ERL_AFLAGS", "DNS_NODES",
               "RLIMIT_NOFILE", "APP_NAME", "SEED_SELF_HOST", "RUN_JANITOR", "DISABLE_HEALTHCHECK_LOGGING"},
       .optional_env = {"API_JWT_JWKS"},
       .entrypoint = std::nullopt,
       .command = std::nullopt,
       .healthcheck = true,
       .ports = {}},
      {.name = "storage",
       .ours = "storage",
       .origin = "main",
       .on_by_default_id = "",
       .image = "supabase/storage-api:v1.74.0",
       .env = {"ANON_KEY", "SERVICE_KEY", "POSTGREST_URL", "AUTH_JWT_SECRET", "DATABASE_URL", "STORAGE_PUBLIC_URL",
               "REQUEST_ALLOW_X_FORWARDED_PATH", "FILE_SIZE_LIMIT", "STORAGE_BACKEND", "GLOBAL_S3_BUCKET",
               "FILE_STORAGE_BACKEND_PATH", "TENANT_ID", "REGION", "ENABLE_IMAGE_TRANSFORMATION", "IMGPROXY_URL",
               "S3_PROTOCOL_ACCESS_KEY_ID", "S3_PROTOCOL_ACCESS_KEY_SECRET"},
       .optional_env = {"JWT_JWKS"},
       .entrypoint = std::nullopt,
       .command = std::nullopt,
       .healthcheck = true,
       .ports = {}},
      {.name = "imgproxy",
       .ours = "imgproxy",
       .origin = "main",
       .on_by_default_id = "",
       .image = "darthsim/imgproxy:v3.31.4",
       .env = {"IMGPROXY_BIND", "IMGPROXY_LOCAL_FILESYSTEM_ROOT", "IMGPROXY_USE_ETAG", "IMGPROXY_AUTO_WEBP",
               "IMGPROXY_MAX_SRC_RESOLUTION"},
       .optional_env = {},
       .entrypoint = std::nullopt,
       .command = std::nullopt,
       .healthcheck = true,
       .ports = {}},
      {.name = "meta",
       .ours = "meta",
       .origin = "main",
       .on_by_default_id = "",
       .image = "supabase/postgres-meta:v0.99.0",
       .env = {"PG_META_PORT", "PG_META_DB_HOST", "PG_META_DB_PORT", "PG_META_DB_NAME", "PG_META_DB_USER",
               "PG_META_DB_PASSWORD", "CRYPTO_KEY"},
       .optional_env = {},
       .entrypoint = std::nullopt,
       .command = std::nullopt,
       .healthcheck = false,
       .ports = {}},
      {.name = "studio",
       .ours = "studio",
       .origin = "main",
       .on_by_default_id = "",
       .image = "supabase/studio:2026.09.07-sha-7996410",
       .env = {"HOSTNAME",
               "STUDIO_PG_META_URL",
               "POSTGRES_PORT",
               "POSTGRES_HOST",
               "POSTGRES_DB",
               "POSTGRES_PASSWORD",
               "POSTGRES_USER_READ_WRITE",
               "PG_META_CRYPTO_KEY",
               "PGRST_DB_SCHEMAS",
               "PGRST_DB_MAX_ROWS",
               "PGRST_DB_EXTRA_SEARCH_PATH",
               "DEFAULT_ORGANIZATION_NAME",
               "DEFAULT_PROJECT_NAME",
               "OPENAI_API_KEY",
               "SUPABASE_URL",
               "SUPABASE_PUBLIC_URL",
               "SUPABASE_ANON_KEY",
               "SUPABASE_SERVICE_KEY",
               "AUTH_JWT_SECRET",
               "SUPABASE_PUBLISHABLE_KEY",
               "SUPABASE_SECRET_KEY",
               "ENABLED_FEATURES_LOGS_ALL",
               "SNIPPETS_MANAGEMENT_FOLDER",
               "EDGE_FUNCTIONS_MANAGEMENT_FOLDER"},
       .optional_env = {},
       .entrypoint = std::nullopt,
       .command = std::nullopt,
       .healthcheck = true,
       .ports = {}},
      {.name = "functions",
       .ours = "functions",
       .origin = "main",
       .on_by_default_id = "",
       .image = "supabase/edge-runtime:v1.76.2",
       .env = {"JWT_SECRET", "SUPABASE_URL", "SUPABASE_PUBLIC_URL", "SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY",
               "SUPABASE_PUBLISHABLE_KEYS", "SUPABASE_SECRET_KEYS", "SUPABASE_DB_URL", "VERIFY_JWT"},
       .optional_env = {"SUPABASE_JWKS"},
       .entrypoint = std::nullopt,
       .command = Strings{"start", "--user-worker-request-idle-timeout", "150000", "--main-service",
                          "/home/deno/functions/main"},
       .healthcheck = true,
       .ports = {}},
      {.name = "supavisor",
       .ours = "supavisor",
       .origin = "main",
       .on_by_default_id = "",
       .image = "supabase/supavisor:2.9.12",
       .env = {"PORT", "POSTGRES_PORT", "POSTGRES_HOST", "POSTGRES_DB", "POSTGRES_PASSWORD", "DATABASE_URL",
               "CLUSTER_POSTGRES", "SECRET_KEY_BASE", "VAULT_ENC_KEY", "API_JWT_SECRET", "METRICS_JWT_SECRET", "REGION",
               "ERL_AFLAGS", "POOLER_TENANT_ID", "POOLER_DEFAULT_POOL_SIZE", "POOLER_MAX_CLIENT_CONN",
               "POOLER_POOL_MODE", "DB_POOL_SIZE"},
       .optional_env = {},
       .entrypoint = std::nullopt,
       .command =
           Strings{"/bin/sh", "-c",
                   "/app/bin/migrate && /app/bin/supavisor eval \"$$(cat /etc/pooler/pooler.exs)\" && /app/bin/server"},
       .healthcheck = true,
       .ports = {"5432/tcp", "6543/tcp"}},
      {.name = "analytics",
       .ours = "analytics",
       .origin = "logs",
       .on_by_default_id = "service:analytics",
       .image = "supabase/logflare:1.50.10",
       .env = {"LOGFLARE_NODE_HOST", "DB_USERNAME", "DB_DATABASE", "DB_HOSTNAME", "DB_PORT", "DB_PASSWORD", "DB_SCHEMA",
               "LOGFLARE_PUBLIC_ACCESS_TOKEN", "LOGFLARE_PRIVATE_ACCESS_TOKEN", "LOGFLARE_SINGLE_TENANT",
               "LOGFLARE_SUPABASE_MODE", "LOGFLARE_FEATURE_FLAG_OVERRIDE", "POSTGRES_BACKEND_URL",
               "POSTGRES_BACKEND_SCHEMA"},
       .optional_env = {"GOOGLE_PROJECT_ID", "GOOGLE_PROJECT_NUMBER"},
       .entrypoint = std::nullopt,
       .command = std::nullopt,
       .healthcheck = true,
       .ports = {}},
      {.name = "vector",
       .ours = "vector",
       .origin = "logs",
       .on_by_default_id = "service:vector",
       .image = "timberio/vector:0.53.0-alpine",
       .env = {"LOGFLARE_PUBLIC_ACCESS_TOKEN"},
       .optional_env = {},
       .entrypoint = std::nullopt,
       .command = Strings{"--config", "/etc/vector/vector.yml"},
       .healthcheck = true,
       .ports = {}},
      {.name = "minio",
       .ours = "minio",
       .origin = "s3",
       .on_by_default_id = "storage:minio-default",
       .image = "cgr.dev/chainguard/minio:latest",
       .env = {"MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"},
       .optional_env = {},
       .entrypoint = std::nullopt,
       .command = Strings{"server", "--console-address", ":9001", "/data"},
       .healthcheck = true,
       .ports = {}},
      {.name = "minio-createbucket",
       .ours = "minio-init",
       .origin = "s3",
       .on_by_default_id = "storage:minio-default",
       .image = "cgr.dev/chainguard/minio-client:latest-dev",
       .env = {},
       .optional_env = {},
       .entrypoint = Strings{"/bin/sh", "-ec", "*"},
       .command = std::nullopt,
       .healthcheck = false,
       .ports = {}},
      {.name = "caddy",
       .ours = "caddy",
       .origin = "caddy",
       .on_by_default_id = "service:caddy",
       .image = "caddy:2",
       .env = {"PROXY_DOMAIN", "PROXY_AUTH_USERNAME", "PROXY_AUTH_PASSWORD"},
       .optional_env = {},
       .entrypoint = std::nullopt,
       .command = Strings{"/bin/sh", "-c", "*"},
       .healthcheck = false,
       .ports = {"80/tcp", "443/tcp", "443/udp"}},
  };
  return table;
}

const UpstreamService* upstream_by_ours(const std::string& ours) {
  for (const UpstreamService& u : upstream_services()) {
    if (u.ours == ours) return &u;
  }
  return nullptr;
}

/// Upstream's variable names for a service as rendered in `r` (the s3 overlay rewrites
/// storage's, the logs overlay adds Studio's Logflare pair).
std::pair<StringSet, Strings> upstream_env(const UpstreamService& u, const Rendered& r) {
  StringSet env(u.env.begin(), u.env.end());
  Strings optional = u.optional_env;
  if (u.ours == "storage" && r.raw_env("storage")["STORAGE_BACKEND"] == "s3") {
    env.erase("FILE_STORAGE_BACKEND_PATH");
    optional.push_back("FILE_STORAGE_BACKEND_PATH");
    env.insert({"GLOBAL_S3_ENDPOINT", "GLOBAL_S3_PROTOCOL", "GLOBAL_S3_FORCE_PATH_STYLE", "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY"});
  }
  if (u.ours == "studio" && r.has("analytics")) env.insert({"LOGFLARE_PRIVATE_ACCESS_TOKEN", "LOGFLARE_URL"});
  return {env, optional};
}

bool matches_optional(const std::string& name, const Strings& optional) {
  for (const std::string& o : optional) {
    if (!o.empty() && o.back() == '*' ? starts_with(name, o.substr(0, o.size() - 1)) : name == o) return true;
  }
  return false;
}

struct PublishedPort {
  std::string port;  ///< "8000/tcp"
  bool loopback = false;
};

std::vector<PublishedPort> published_ports(const YAML::Node& service) {
  std::vector<PublishedPort> out;
  for (const auto& p : service["ports"]) {
    std::string spec = p.IsMap() ? p["target"].as<std::string>() : p.as<std::string>();
    std::string proto = "tcp";
    if (size_t slash = spec.find('/'); slash != std::string::npos) {
      proto = spec.substr(slash + 1);
      spec = spec.substr(0, slash);
    }
    Strings parts = split(spec, ':');
    PublishedPort pp;
    pp.port = parts.back() + "/" + proto;
    pp.loopback = p.IsMap() ? (p["host_ip"] && p["host_ip"].as<std::string>() == "127.0.0.1")
                            : (parts.size() == 3 && parts[0] == "127.0.0.1");
    out.push_back(pp);
  }
  return out;
}

/// Compose-level argv of a service: entrypoint + command, with `<image ...>` where compose
/// keeps the image's own.
Strings compose_argv(const std::optional<Strings>& entrypoint, const std::optional<Strings>& command) {
  Strings argv;
  if (entrypoint) {
    argv = *entrypoint;
    if (command) argv.insert(argv.end(), command->begin(), command->end());
  } else {
    argv.push_back("<image entrypoint>");
    if (command) {
      argv.insert(argv.end(), command->begin(), command->end());
    } else {
      argv.push_back("<image cmd>");
    }
  }
  return argv;
}

bool argv_matches(const Strings& pattern, const Strings& argv) {
  if (pattern.size() != argv.size()) return false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != "*" && pattern[i] != argv[i]) return false;
  }
  return true;
}

using Differences = std::map<std::string, StringSet>;  ///< id → what differs (per instance)

void compare_services(const Rendered& r, Differences& d) {
  const std::string at = r.label + ": ";
  const Strings rendered_services = r.services();
  const StringSet ours(rendered_services.begin(), rendered_services.end());
  for (const UpstreamService& u : upstream_services()) {
    const bool runs = ours.count(u.ours) > 0;
    if (u.on_by_default_id.empty()) {
      if (!runs && r.label == "default") d["service:" + u.name].insert(at + u.name + " does not run by default");
    } else if (runs && r.label == "default") {
      d[u.on_by_default_id].insert(at + u.ours + " runs by default; upstream adds it with the " + u.origin +
                                   " overlay");
    }
    if (runs && u.name != u.ours)
      d["service-name:" + u.name].insert(at + "upstream's " + u.name + " is called " + u.ours);
  }
  for (const std::string& s : rendered_services) {
    if (upstream_by_ours(s) == nullptr) d["service:" + s].insert(at + s + " is not an upstream service");
  }
}

void compare_service(const Rendered& r, const UpstreamService& u, Differences& d) {
  const std::string at = r.label + ": ";
  const std::string s = u.ours;
  const YAML::Node svc = r.service(s);

  // Image (unless instance.yaml overrides it; the registry mirror is not a difference).
  if (!r.instance.spec.images.count(s)) {
    ImageRef ours = parse_image(svc["image"].as<std::string>());
    ImageRef theirs = parse_image(u.image);
    if (ours.repo != theirs.repo || ours.tag != theirs.tag) {
      d["image:" + s].insert(at + ours.repo + ":" + ours.tag + " where upstream runs " + u.image);
    }
  }

  // Environment names.
  auto [up_env, optional] = upstream_env(u, r);
  const Env env = r.raw_env(s);
  for (const auto& [name, value] : env) {
    if (!up_env.count(name) && !matches_optional(name, optional))
      d["env:" + s + ":" + name].insert(at + s + " sets " + name + ", upstream does not");
  }
  for (const std::string& name : up_env) {
    if (!env.count(name)) d["env:" + s + ":" + name].insert(at + s + " lacks " + name + ", which upstream sets");
  }

  // Entrypoint and command as compose.yml sets them.
  std::optional<Strings> entrypoint;
  std::optional<Strings> command;
  if (svc["entrypoint"]) entrypoint = node_strings(svc["entrypoint"]);
  if (svc["command"]) command = node_strings(svc["command"]);
  Strings mine = compose_argv(entrypoint, command);
  Strings theirs = compose_argv(u.entrypoint, u.command);
  if (!argv_matches(theirs, mine)) {
    d["command:" + s].insert(at + "[" + join(mine, " ") + "] where upstream runs [" + join(theirs, " ") + "]");
  }

  // Health check present or not.
  const bool has_check =
      svc["healthcheck"] && !(svc["healthcheck"]["disable"] && svc["healthcheck"]["disable"].as<bool>());
  if (has_check != u.healthcheck) {
    d["healthcheck:" + s].insert(
        at + s + (has_check ? " has a health check, upstream none" : " has no health check, upstream has one"));
  }

  // Published ports. Upstream's Caddy overlay resets the gateway's ports.
  Strings up_ports = u.ports;
  if (u.ours == "kong" && r.has("caddy")) up_ports.clear();
  StringSet want(up_ports.begin(), up_ports.end());
  StringSet have;
  bool loopback = false;
  for (const PublishedPort& p : published_ports(svc)) {
    have.insert(p.port);
    loopback = loopback || p.loopback;
  }
  if (have != want) {
    d["ports:" + s].insert(at + s + " publishes {" + join(have, ", ") + "}, upstream {" + join(want, ", ") + "}");
  }
  if (loopback && !want.empty()) d["ports:loopback"].insert(at + s + " is published on 127.0.0.1 only");
}

void compare_kong(const Rendered& r, Differences& d) {
  const std::string at = r.label + ": ";
  Strings problems;
  const KongConfig ours = read_kong(r.kong, problems);
  const KongConfig up = upstream_kong(r);
  const KongConfig up_r = resolved(up);
  const KongConfig ours_r = resolved(ours);
  for (const Probe& probe : probes(up, ours)) {
    const KongRoute* u = route_for(up_r, probe.path);
    const KongRoute* o = route_for(ours_r, probe.path);
    const std::string du = describe(u);
    const std::string dour = describe(o);
    auto strip_origin = [](const std::string& s) { return s.substr(0, s.find(" (route ")); };
    if (strip_origin(du) != strip_origin(dour)) {
      d["route:" + probe_path(probe.origin)].insert(at + probe.path + " → here " + dour + ", upstream " + du);
    }
    if (u == nullptr || o == nullptr) continue;
    StringSet pu;
    StringSet po;
    for (const std::string& p : u->plugins) {
      if (!k_access_plugins.count(p)) pu.insert(p);
    }
    for (const std::string& p : o->plugins) {
      if (!k_access_plugins.count(p)) po.insert(p);
    }
    for (const std::string& p : pu) {
      if (!po.count(p))
        d["route-plugin:" + p].insert(at + probe.path + ": upstream's route " + u->origin + " has " + p + ", here not");
    }
    for (const std::string& p : po) {
      if (!pu.count(p))
        d["route-plugin:" + p].insert(at + probe.path + ": route " + o->origin + " has " + p + ", upstream not");
    }
    if (u->key_auth && o->key_auth && u->key_auth_hides != o->key_auth_hides) {
      d["route-option:hide_credentials"].insert(at + probe.path + ": key-auth hide_credentials " +
                                                (o->key_auth_hides ? "true" : "false") + ", upstream " +
                                                (u->key_auth_hides ? "true" : "false"));
    }
  }
  for (const std::string& p : ours.global_plugins) {
    if (!up.global_plugins.count(p)) d["kong:" + p].insert(at + "global plugin " + p + ", upstream has none");
  }
  for (const auto& [consumer, keys] : up.consumer_keys) {
    StringSet mine = ours.consumer_keys.count(consumer) ? ours.consumer_keys.at(consumer) : StringSet{};
    if (mine != keys) {
      d["kong:credentials"].insert(at + consumer + " keys {" + join(mine, ", ") + "}, upstream {" + join(keys, ", ") +
                                   "}");
    }
  }
  // The plugin list Kong enables.
  static const StringSet up_plugins = {"request-transformer", "cors",           "key-auth",     "acl", "basic-auth",
                                       "request-termination", "ip-restriction", "post-function"};
  StringSet enabled;
  const Env env = r.raw_env("kong");
  if (env.count("KONG_PLUGINS")) {
    for (const std::string& p : split(env.at("KONG_PLUGINS"), ',')) enabled.insert(trim(p));
  }
  if (enabled != up_plugins) {
    d["env:kong:KONG_PLUGINS"].insert(at + "KONG_PLUGINS {" + join(enabled, ",") + "}, upstream {" +
                                      join(up_plugins, ",") + "}");
  }
}

Differences differences() {
  Differences d;
  for (const auto& r : rendered()) {
    compare_services(*r, d);
    for (const std::string& s : r->services()) {
      if (const UpstreamService* u = upstream_by_ours(s)) compare_service(*r, *u, d);
    }
    compare_kong(*r, d);
  }
  return d;
}

struct TableRow {
  std::string id;
  std::string what;
  std::string why;
  int line = 0;
};

const char* const k_section = "## Intentional differences from upstream v0.8.1";

/// The rows of the one table in ARCHITECTURE.md's differences section.
std::vector<TableRow> read_difference_table(const std::string& doc, Strings& problems) {
  std::vector<TableRow> rows;
  std::istringstream in(doc);
  std::string line;
  int n = 0;
  bool inside = false;
  bool found = false;
  int tables = 0;
  bool in_table = false;
  bool header_seen = false;
  while (std::getline(in, line)) {
    ++n;
    if (starts_with(line, "## ")) {
      inside = trim(line) == k_section;
      found = found || inside;
      in_table = false;
      continue;
    }
    if (!inside) continue;
    const std::string t = trim(line);
    if (!starts_with(t, "|")) {
      in_table = false;
      continue;
    }
    if (!in_table) {
      in_table = true;
      ++tables;
      header_seen = false;
    }
    Strings cells = split(t.substr(1, t.size() - (t.back() == '|' ? 2 : 1)), '|');
    for (std::string& c : cells) c = trim(c);
    if (!header_seen) {
      header_seen = true;
      if (cells != Strings{"id", "what", "why"}) problems.push_back("the table's columns must be `id | what | why`");
      continue;
    }
    if (!cells.empty() && std::all_of(cells[0].begin(), cells[0].end(), [](char c) { return c == '-' || c == ':'; }))
      continue;
    if (cells.size() != 3) {
      problems.push_back("line " + std::to_string(n) + ": a row needs 3 cells");
      continue;
    }
    std::string id = cells[0];
    if (id.size() >= 2 && id.front() == '`' && id.back() == '`') id = id.substr(1, id.size() - 2);
    rows.push_back(TableRow{id, cells[1], cells[2], n});
  }
  if (!found) problems.push_back(std::string("no section `") + k_section + "`");
  if (found && tables != 1)
    problems.push_back("the section must hold exactly one table, it holds " + std::to_string(tables));
  return rows;
}

TEST(UpstreamContract, EveryDifferenceIsListedInArchitecture) {
  const fs::path doc_path = k_source_dir / "docs" / "ARCHITECTURE.md";
  Strings problems;
  const std::vector<TableRow> rows = read_difference_table(core::read_file(doc_path), problems);
  for (const std::string& p : problems) ADD_FAILURE() << "docs/ARCHITECTURE.md: " << p;

  std::map<std::string, const TableRow*> by_id;
  for (const TableRow& row : rows) {
    if (by_id.count(row.id))
      ADD_FAILURE() << "docs/ARCHITECTURE.md:" << row.line << ": id `" << row.id << "` is listed twice";
    by_id[row.id] = &row;
    if (row.what.size() < 10)
      ADD_FAILURE() << "docs/ARCHITECTURE.md:" << row.line << ": `" << row.id << "` needs a `what`";
    if (row.why.size() < 20)
      ADD_FAILURE() << "docs/ARCHITECTURE.md:" << row.line << ": `" << row.id << "` needs a reason";
  }

  const Differences d = differences();
  std::string missing;
  for (const auto& [id, details] : d) {
    if (by_id.count(id)) continue;
    missing += "\n  `" + id + "`:";
    for (const std::string& detail : details) missing += "\n      " + detail;
  }
  EXPECT_TRUE(missing.empty()) << "differences from upstream v0.8.1 that docs/ARCHITECTURE.md (\"" << k_section
                               << "\") does not list:" << missing;
  for (const TableRow& row : rows) {
    EXPECT_TRUE(d.count(row.id)) << "docs/ARCHITECTURE.md:" << row.line << ": `" << row.id
                                 << "` matches no difference any more; remove the row";
  }
}

}  // namespace
}  // namespace supactl::render

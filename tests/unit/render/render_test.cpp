// SPDX-License-Identifier: Apache-2.0
// Rendering: golden files for the default and the full instance, determinism, secrets only
// in .env (0600), every upstream service and env var present, overrides, registry prefixes,
// stale files removed, and the endpoints printed by `init`/`up`.
#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/render/render.hpp>

#include "support/golden.hpp"
#include "support/temp_dir.hpp"
#include "unit/render/render_fixture.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>

namespace supactl::render {
namespace {

namespace fs = std::filesystem;

TEST(Render, DefaultInstanceMatchesGoldenFiles) {
  test::TempDir dir;
  RenderResult r = render_instance(test::default_instance(dir.path()), dir.path() / "rendered", "");
  for (const char* file : {"compose.yml", "kong.yml", "Caddyfile"}) {
    test::expect_golden(std::string("render/default/") + file, core::read_file(r.dir / file));
  }
}

TEST(Render, FullInstanceMatchesGoldenFiles) {
  test::TempDir dir;
  RenderResult r = render_instance(test::full_instance(dir.path()), dir.path() / "rendered", "");
  for (const char* file : {"compose.yml", "kong.yml", "Caddyfile", "vector.yml"}) {
    test::expect_golden(std::string("render/full/") + file, core::read_file(r.dir / file));
  }
}

TEST(Render, SameSpecAndSecretsGiveTheSameBytes) {
  test::TempDir dir;
  config::Instance inst = test::full_instance(dir.path());
  RenderResult a = render_instance(inst, dir.path() / "a", "");
  RenderResult b = render_instance(inst, dir.path() / "b", "");
  ASSERT_EQ(a.files, b.files);
  for (const std::string& f : a.files) EXPECT_EQ(core::read_file(a.dir / f), core::read_file(b.dir / f)) << f;
}

TEST(Render, SecretsAppearOnlyInDotEnvWhichIsPrivate) {
  test::TempDir dir;
  config::Instance inst = test::full_instance(dir.path());
  RenderResult r = render_instance(inst, dir.path() / "rendered", "");
  struct stat st {};
  ASSERT_EQ(::stat((r.dir / ".env").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string env = core::read_file(r.dir / ".env");
  for (const auto& [name, value] : inst.secrets) {
    EXPECT_NE(env.find(name + "=" + value.reveal() + "\n"), std::string::npos) << name;
    EXPECT_EQ(r.variables.at(name), value.reveal());
    // User names ("supabase", "supa-storage") are not secret and may appear as plain words.
    if (name == "DASHBOARD_USERNAME" || name == "MINIO_ROOT_USER" || value.reveal().size() < 8) continue;
    for (const std::string& f : r.files) {
      if (f == ".env") continue;
      EXPECT_EQ(core::read_file(r.dir / f).find(value.reveal()), std::string::npos) << name << " leaks into " << f;
    }
  }
}

/// Environment variable names upstream sets per service (facts §1), for enabled services.
const std::map<std::string, std::vector<std::string>>& upstream_env() {
  static const std::map<std::string, std::vector<std::string>> env = {
      {"db",
       {"POSTGRES_HOST", "PGPORT", "POSTGRES_PORT", "PGPASSWORD", "POSTGRES_PASSWORD", "PGDATABASE", "POSTGRES_DB",
        "JWT_EXP"}},
      {"kong",
       {"KONG_DATABASE", "KONG_DECLARATIVE_CONFIG", "KONG_ROUTER_FLAVOR", "KONG_DNS_ORDER", "KONG_DNS_NOT_FOUND_TTL",
        "KONG_DNS_VALID_TTL", "KONG_PLUGINS", "KONG_NGINX_PROXY_PROXY_BUFFER_SIZE", "KONG_NGINX_PROXY_PROXY_BUFFERS",
        "KONG_PROXY_ACCESS_LOG", "SUPABASE_ANON_KEY", "SUPABASE_SERVICE_KEY", "DASHBOARD_USERNAME",
        "DASHBOARD_PASSWORD"}},
      {"auth",
       {"GOTRUE_API_HOST",
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
        "GOTRUE_SMS_AUTOCONFIRM"}},
      {"rest",
       {"PGRST_DB_URI", "PGRST_DB_SCHEMAS", "PGRST_DB_MAX_ROWS", "PGRST_DB_EXTRA_SEARCH_PATH", "PGRST_DB_ANON_ROLE",
        "PGRST_JWT_SECRET", "PGRST_DB_USE_LEGACY_GUCS", "PGRST_APP_SETTINGS_JWT_EXP", "PGRST_ADMIN_SERVER_PORT",
        "PGRST_ADMIN_SERVER_HOST"}},
      {"realtime",
       {"PORT", "DB_HOST", "DB_PORT", "DB_USER", "DB_PASSWORD", "DB_NAME", "DB_AFTER_CONNECT_QUERY", "DB_ENC_KEY",
        "API_JWT_SECRET", "SECRET_KEY_BASE", "METRICS_JWT_SECRET", "ERL_AFLAGS", "DNS_NODES", "RLIMIT_NOFILE",
        "APP_NAME", "SEED_SELF_HOST", "RUN_JANITOR", "DISABLE_HEALTHCHECK_LOGGING"}},
      {"storage",
       {"ANON_KEY", "SERVICE_KEY", "POSTGREST_URL", "AUTH_JWT_SECRET", "DATABASE_URL", "STORAGE_PUBLIC_URL",
        "REQUEST_ALLOW_X_FORWARDED_PATH", "FILE_SIZE_LIMIT", "STORAGE_BACKEND", "GLOBAL_S3_BUCKET", "TENANT_ID",
        "REGION", "ENABLE_IMAGE_TRANSFORMATION", "IMGPROXY_URL", "S3_PROTOCOL_ACCESS_KEY_ID",
        "S3_PROTOCOL_ACCESS_KEY_SECRET"}},
      {"imgproxy",
       {"IMGPROXY_BIND", "IMGPROXY_LOCAL_FILESYSTEM_ROOT", "IMGPROXY_USE_ETAG", "IMGPROXY_AUTO_WEBP",
        "IMGPROXY_MAX_SRC_RESOLUTION"}},
      {"meta",
       {"PG_META_PORT", "PG_META_DB_HOST", "PG_META_DB_PORT", "PG_META_DB_NAME", "PG_META_DB_USER",
        "PG_META_DB_PASSWORD", "CRYPTO_KEY"}},
      {"studio",
       {"HOSTNAME",
        "STUDIO_PG_META_URL",
        "POSTGRES_HOST",
        "POSTGRES_PORT",
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
        "ENABLED_FEATURES_LOGS_ALL",
        "SNIPPETS_MANAGEMENT_FOLDER",
        "EDGE_FUNCTIONS_MANAGEMENT_FOLDER"}},
      {"functions",
       {"JWT_SECRET", "SUPABASE_URL", "SUPABASE_PUBLIC_URL", "SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY",
        "SUPABASE_DB_URL", "VERIFY_JWT"}},
      {"minio", {"MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"}},
      {"minio-init", {"MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"}},
      {"redis", {}},
      {"caddy", {}},
      {"supavisor",
       {"PORT", "POSTGRES_PORT", "POSTGRES_HOST", "POSTGRES_DB", "POSTGRES_PASSWORD", "DATABASE_URL",
        "CLUSTER_POSTGRES", "SECRET_KEY_BASE", "VAULT_ENC_KEY", "API_JWT_SECRET", "METRICS_JWT_SECRET", "REGION",
        "ERL_AFLAGS", "POOLER_TENANT_ID", "POOLER_DEFAULT_POOL_SIZE", "POOLER_MAX_CLIENT_CONN", "POOLER_POOL_MODE",
        "DB_POOL_SIZE"}},
      {"analytics",
       {"LOGFLARE_NODE_HOST", "DB_USERNAME", "DB_DATABASE", "DB_HOSTNAME", "DB_PORT", "DB_PASSWORD", "DB_SCHEMA",
        "LOGFLARE_PUBLIC_ACCESS_TOKEN", "LOGFLARE_PRIVATE_ACCESS_TOKEN", "LOGFLARE_SINGLE_TENANT",
        "LOGFLARE_SUPABASE_MODE", "LOGFLARE_FEATURE_FLAG_OVERRIDE", "POSTGRES_BACKEND_URL", "POSTGRES_BACKEND_SCHEMA"}},
      {"vector", {"LOGFLARE_PUBLIC_ACCESS_TOKEN"}},
  };
  return env;
}

void expect_upstream_env(const config::Instance& inst) {
  test::TempDir out;
  RenderResult r = render_instance(inst, out.path(), "");
  YAML::Node services = YAML::LoadFile(r.compose_file.string())["services"];
  std::vector<std::string> rendered;
  for (const auto& kv : services) rendered.push_back(kv.first.Scalar());
  std::vector<std::string> enabled = inst.spec.enabled_services();
  std::sort(rendered.begin(), rendered.end());
  std::sort(enabled.begin(), enabled.end());
  EXPECT_EQ(rendered, enabled);
  for (const std::string& service : inst.spec.enabled_services()) {
    YAML::Node s = services[service];
    ASSERT_TRUE(s) << service;
    EXPECT_TRUE(s["image"]) << service;
    if (service != "minio-init") {
      EXPECT_EQ(s["restart"].as<std::string>(), "unless-stopped") << service;
      EXPECT_TRUE(s["healthcheck"]) << service << " has no health check";
    }
    EXPECT_FALSE(s["container_name"]) << service;
    for (const std::string& var : upstream_env().at(service)) {
      EXPECT_TRUE(s["environment"][var]) << service << " lacks " << var;
    }
  }
  // Only Caddy publishes ports (on loopback without a domain), plus Postgres and Supavisor on
  // loopback when asked.
  for (const auto& kv : services) {
    std::string name = kv.first.Scalar();
    if (name == "caddy") {
      const std::string bind = loopback_only(inst.spec) ? "127.0.0.1:" : "";
      EXPECT_EQ(kv.second["ports"][0].as<std::string>(),
                bind + std::to_string(inst.spec.ports.http) + ":" + std::to_string(inst.spec.ports.http));
      continue;
    }
    if (name == "supavisor" && inst.spec.ports.pooler_session != 0) {
      EXPECT_EQ(kv.second["ports"][0].as<std::string>(),
                "127.0.0.1:" + std::to_string(inst.spec.ports.pooler_session) + ":5432");
      EXPECT_EQ(kv.second["ports"][1].as<std::string>(),
                "127.0.0.1:" + std::to_string(inst.spec.ports.pooler_transaction) + ":6543");
      EXPECT_TRUE(kv.second["networks"]["egress"]) << "a published port needs a network that is not internal";
      continue;
    }
    if (name == "db" && inst.spec.ports.db != 0) {
      EXPECT_EQ(kv.second["ports"][0].as<std::string>(), "127.0.0.1:" + std::to_string(inst.spec.ports.db) + ":5432");
      continue;
    }
    EXPECT_FALSE(kv.second["ports"]) << name << " publishes ports";
  }
}

TEST(Render, ComposeHasEveryUpstreamServiceAndVariableForTheDefaultInstance) {
  test::TempDir dir;
  expect_upstream_env(test::default_instance(dir.path()));
}

TEST(Render, ComposeHasEveryUpstreamServiceAndVariableForTheFullInstance) {
  test::TempDir dir;
  config::Instance inst = test::full_instance(dir.path());
  expect_upstream_env(inst);
  inst.spec.storage.backend = config::StorageBackend::minio;
  expect_upstream_env(inst);
}

TEST(Render, RealtimeHasItsTenantAliasAndKongUsesIt) {
  test::TempDir dir;
  RenderResult r = render_instance(test::default_instance(dir.path()), dir.path(), "");
  YAML::Node realtime = YAML::LoadFile(r.compose_file.string())["services"]["realtime"];
  EXPECT_EQ(realtime["networks"]["backend"]["aliases"][0].as<std::string>(), "realtime-dev.supabase-realtime");
  std::string kong = core::read_file(r.dir / "kong.yml");
  EXPECT_NE(kong.find("url: http://realtime-dev.supabase-realtime:4000/socket"), std::string::npos);
  EXPECT_NE(kong.find("policy: redis"), std::string::npos);
}

TEST(Render, ExcludedServicesDisappearFromComposeAndKong) {
  test::TempDir dir;
  config::Instance inst = test::default_instance(dir.path());
  for (const char* s : {"studio", "meta", "functions", "storage"}) inst.spec.services[s] = false;
  RenderResult r = render_instance(inst, dir.path(), "");
  YAML::Node services = YAML::LoadFile(r.compose_file.string())["services"];
  for (const char* s : {"studio", "meta", "functions", "storage", "minio", "minio-init"})
    EXPECT_FALSE(services[s]) << s;
  EXPECT_FALSE(services["kong"]["depends_on"]["studio"]);
  std::string kong = core::read_file(r.dir / "kong.yml");
  EXPECT_EQ(kong.find("studio:3000"), std::string::npos);
  EXPECT_EQ(kong.find("/storage/v1/"), std::string::npos);
  EXPECT_FALSE(fs::exists(r.dir / "functions"));
}

TEST(Render, DbStandbyIsAnInternalServiceWithItsOwnVolumeOnlyWhenOn) {
  test::TempDir dir;
  config::Instance inst = test::full_instance(dir.path());
  RenderResult r = render_instance(inst, dir.path(), "");
  YAML::Node off = YAML::LoadFile(r.compose_file.string());
  EXPECT_FALSE(off["services"]["db-standby"]);
  EXPECT_FALSE(off["volumes"]["db-standby-data"]);
  EXPECT_FALSE(fs::exists(r.dir / "db-standby-entrypoint.sh"));

  inst.secrets["DB_REPLICATION_PASSWORD"] = secrets::Secret(std::string(32, 'z'));
  inst.spec.db_standby = true;
  r = render_instance(inst, dir.path(), "");
  YAML::Node on = YAML::LoadFile(r.compose_file.string());
  YAML::Node standby = on["services"]["db-standby"];
  ASSERT_TRUE(standby);
  EXPECT_EQ(standby["image"].as<std::string>(), on["services"]["db"]["image"].as<std::string>());
  EXPECT_FALSE(standby["ports"]) << "the standby publishes nothing";
  ASSERT_EQ(standby["networks"].size(), 1u);
  EXPECT_TRUE(standby["networks"]["backend"]);
  EXPECT_TRUE(on["volumes"]["db-standby-data"]);
  std::vector<std::string> volumes;
  for (const YAML::Node& v : standby["volumes"]) volumes.push_back(v.as<std::string>());
  EXPECT_NE(std::find(volumes.begin(), volumes.end(), "db-standby-data:/var/lib/postgresql/data"), volumes.end());
  EXPECT_NE(std::find(volumes.begin(), volumes.end(), "db-config:/etc/postgresql-custom:ro"), volumes.end())
      << "the primary's config volume, read only";
  for (const std::string& v : volumes) EXPECT_NE(v.rfind("db-data:", 0), 0u) << "never the primary's data: " << v;
  EXPECT_EQ(standby["environment"]["SUPACTL_REPLICATION_PASSWORD"].as<std::string>(), "${DB_REPLICATION_PASSWORD}");
  EXPECT_EQ(standby["depends_on"]["db"]["condition"].as<std::string>(), "service_healthy");
  EXPECT_TRUE(fs::exists(r.dir / "db-standby-entrypoint.sh"));
  EXPECT_EQ(core::read_file(r.compose_file).find(std::string(32, 'z')), std::string::npos);

  inst.spec.db_standby = false;
  r = render_instance(inst, dir.path(), "");
  EXPECT_FALSE(fs::exists(r.dir / "db-standby-entrypoint.sh")) << "removed with the standby";
}

// Issue 15, item 2: after `db failover` every service's database host is db-standby, db is
// not run (fenced) until `db standby add` makes it the standby of db-standby.
TEST(Render, AfterAFailoverEveryServiceReachesTheNewPrimaryAndDbRunsOnlyAsItsStandby) {
  test::TempDir dir;
  config::Instance inst = test::full_instance(dir.path());
  inst.secrets["DB_REPLICATION_PASSWORD"] = secrets::Secret(std::string(32, 'z'));
  inst.spec.ports.db = 54329;
  RenderResult r = render_instance(inst, dir.path(), "");
  const std::string before = core::read_file(r.compose_file);

  inst.spec.db_primary = "db-standby";
  inst.spec.db_standby = false;
  r = render_instance(inst, dir.path(), "");
  const std::string text = core::read_file(r.compose_file);
  YAML::Node compose = YAML::Load(text);
  YAML::Node services = compose["services"];
  EXPECT_FALSE(services["db"]) << "the fenced former primary is not run";
  EXPECT_TRUE(compose["volumes"]["db-data"]) << "its volume stays declared";
  YAML::Node primary = services["db-standby"];
  ASSERT_TRUE(primary);
  EXPECT_FALSE(primary["depends_on"]) << "the primary waits for nobody";
  ASSERT_TRUE(primary["ports"]);
  EXPECT_EQ(primary["ports"][0].as<std::string>(), "127.0.0.1:54329:5432") << "ports.db moves with the primary";
  EXPECT_TRUE(primary["networks"]["egress"]);
  EXPECT_TRUE(fs::exists(r.dir / "db-standby-entrypoint.sh"));

  // Every value that named the host db (URLs and *_HOST settings) names db-standby, and every
  // service that waited for db waits for db-standby.
  size_t hosts_before = 0;
  for (size_t at = 0; (at = before.find("@db:5432", at)) != std::string::npos; ++at) ++hosts_before;
  size_t hosts_after = 0;
  for (size_t at = 0; (at = text.find("@db-standby:5432", at)) != std::string::npos; ++at) ++hosts_after;
  EXPECT_GT(hosts_before, 3u);
  EXPECT_EQ(hosts_after, hosts_before);
  for (const auto& svc : services) {
    const std::string name = svc.first.as<std::string>();
    const YAML::Node depends = svc.second["depends_on"];
    if (depends && depends.IsMap()) {
      EXPECT_FALSE(depends["db"]) << name << " still waits for db";
    }
    const YAML::Node environment = svc.second["environment"];
    if (!environment || !environment.IsMap()) continue;
    for (const auto& env : environment) {
      const std::string value = env.second.as<std::string>();
      EXPECT_EQ(value.find("@db:"), std::string::npos) << name << " " << env.first.as<std::string>();
      EXPECT_NE(value, "db") << name << " " << env.first.as<std::string>() << " still names db";
    }
  }
  EXPECT_EQ(services["rest"]["depends_on"]["db-standby"]["condition"].as<std::string>(), "service_healthy");
  EXPECT_EQ(services["meta"]["environment"]["PG_META_DB_HOST"].as<std::string>(), "db-standby");
  // docker-compose reads the file the same way: every depends_on names a service it has.
  if (std::system("command -v docker-compose >/dev/null 2>&1") == 0) {
    const std::string log = (dir.path() / "compose-config.log").string();
    const int status = std::system(
        ("cd '" + r.dir.string() + "' && docker-compose -f compose.yml -p full config -q >'" + log + "' 2>&1").c_str());
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << core::read_file(log);
  } else {
    const char* ci = std::getenv("CI");
    if (ci != nullptr && *ci != '\0' && std::string(ci) != "false") ADD_FAILURE() << "docker-compose is missing in CI";
  }

  // `db standby add` after it: db follows db-standby through the same entrypoint.
  inst.spec.db_standby = true;
  r = render_instance(inst, dir.path(), "");
  services = YAML::LoadFile(r.compose_file.string())["services"];
  YAML::Node db = services["db"];
  ASSERT_TRUE(db);
  EXPECT_EQ(db["entrypoint"][1].as<std::string>(), "/usr/local/share/supactl/db-standby-entrypoint.sh");
  EXPECT_EQ(db["environment"]["SUPACTL_PRIMARY_HOST"].as<std::string>(), "db-standby");
  EXPECT_EQ(db["environment"]["SUPACTL_STANDBY_NAME"].as<std::string>(), "db");
  EXPECT_EQ(db["depends_on"]["db-standby"]["condition"].as<std::string>(), "service_healthy");
  EXPECT_FALSE(db["ports"]) << "the standby publishes nothing";
  EXPECT_FALSE(db["networks"]["egress"]);
  EXPECT_FALSE(services["db-standby"]["depends_on"]);
  EXPECT_NE(services["auth"]["environment"]["GOTRUE_DB_DATABASE_URL"].as<std::string>().find("@db-standby:5432"),
            std::string::npos);

  // Without a failover the file is what it always was (the golden files hold it).
  inst.spec.db_primary = "db";
  inst.spec.db_standby = false;
  r = render_instance(inst, dir.path(), "");
  EXPECT_EQ(core::read_file(r.compose_file), before);
}

TEST(Render, EveryServiceRotatesItsJsonLogAsLogsSays) {
  test::TempDir dir;
  config::Instance inst = test::full_instance(dir.path());
  inst.spec.logs = config::LogsSpec{.max_size = "20m", .max_files = 3};
  RenderResult r = render_instance(inst, dir.path(), "");
  YAML::Node services = YAML::LoadFile(r.compose_file.string())["services"];
  ASSERT_GE(services.size(), inst.spec.enabled_services().size());
  for (const auto& service : services) {
    const YAML::Node logging = service.second["logging"];
    EXPECT_EQ(logging["driver"].as<std::string>(""), "json-file") << service.first;
    EXPECT_EQ(logging["options"]["max-size"].as<std::string>(""), "20m") << service.first;
    EXPECT_EQ(logging["options"]["max-file"].as<std::string>(""), "3") << service.first;
  }
}

TEST(Render, RegistryMirrorAndImageOverridesApply) {
  test::TempDir dir;
  config::Instance inst = test::full_instance(dir.path());
  std::map<std::string, std::string> images = instance_images(inst.spec, "");
  EXPECT_EQ(images.at("db"), "127.0.0.1:5000/supabase/postgres:17.6.1.136");
  EXPECT_EQ(images.at("studio"), "127.0.0.1:5000/supabase/studio:pinned");
  EXPECT_EQ(images.at("caddy"), "127.0.0.1:5000/caddy:2.10.2");
  EXPECT_EQ(images.count("minio"), 0u);  // file backend
  inst.spec.release = "v9.9.9";
  try {
    instance_images(inst.spec, "");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "unknown release `v9.9.9`");
    EXPECT_NE(e.hint().find("v0.8.1"), std::string::npos);
  }
}

TEST(Render, ReleaseTableHasEveryServiceOfTheTemplates) {
  std::map<std::string, std::string> images = release_images(config::k_default_release, "");
  for (const std::string& service : config::all_services()) EXPECT_TRUE(images.count(service)) << service;
  EXPECT_EQ(images.at("kong"), "kong/kong:3.9.3");
}

TEST(Render, TemplatesFolderReplacesSingleFiles) {
  test::TempDir dir;
  test::TempDir overrides;
  core::write_file_atomic(overrides.path() / "Caddyfile.mustache", "# custom for {{name}} on {{http_port}}\n");
  core::write_file_atomic(overrides.path() / "functions/extra/index.ts", "// extra\n");
  RenderResult r = render_instance(test::default_instance(dir.path()), dir.path() / "out", overrides.path().string());
  EXPECT_EQ(core::read_file(r.dir / "Caddyfile"), "# custom for shop on 8000\n");
  EXPECT_EQ(core::read_file(r.dir / "functions/extra/index.ts"), "// extra\n");
  EXPECT_NE(core::read_file(r.dir / "kong.yml").find("_format_version"), std::string::npos);
  core::write_file_atomic(overrides.path() / "kong.yml.mustache", "{{#broken}}\n");
  EXPECT_THROW(render_instance(test::default_instance(dir.path()), dir.path() / "out2", overrides.path().string()),
               Error);
  EXPECT_FALSE(fs::exists(dir.path() / "out2" / "compose.yml"));
}

TEST(Render, RenderingAgainRemovesFilesThatNoLongerApplyAndKeepsOthers) {
  test::TempDir dir;
  config::Instance inst = test::full_instance(dir.path());
  RenderResult first = render_instance(inst, dir.path() / "r", "");
  ASSERT_TRUE(fs::exists(first.dir / "vector.yml"));
  core::write_file_atomic(first.dir / "notes.txt", "mine\n");
  inst.spec.services["vector"] = false;
  render_instance(inst, dir.path() / "r", "");
  EXPECT_FALSE(fs::exists(first.dir / "vector.yml"));
  EXPECT_TRUE(fs::exists(first.dir / "pooler.exs"));
  EXPECT_EQ(core::read_file(first.dir / "notes.txt"), "mine\n");
}

TEST(Render, EndpointsFollowTlsModeAndPorts) {
  config::InstanceSpec spec;
  spec.ports = config::Ports{.http = 8000, .https = 8443, .db = 0};
  Endpoints e = instance_endpoints(spec);
  EXPECT_EQ(e.api_url, "https://localhost:8443");
  EXPECT_EQ(e.studio_url, "https://localhost:8443/");
  EXPECT_EQ(e.db_url, "");
  spec.tls.mode = config::TlsMode::off;
  spec.ports.db = 5433;
  e = instance_endpoints(spec);
  EXPECT_EQ(e.api_url, "http://localhost:8000");
  EXPECT_EQ(e.db_url, "postgresql://postgres@127.0.0.1:5433/postgres");
  spec.tls.mode = config::TlsMode::acme;
  spec.domain = "api.example.com";
  spec.ports.https = 443;
  spec.services["studio"] = false;
  e = instance_endpoints(spec);
  EXPECT_EQ(e.api_url, "https://api.example.com");
  EXPECT_EQ(e.studio_url, "");
}

TEST(Render, EndpointsFollowPublicUrlWhenSet) {
  config::InstanceSpec spec;
  spec.ports = config::Ports{.http = 8000, .https = 8443, .db = 0};
  spec.public_url = "https://api.example.com";
  Endpoints e = instance_endpoints(spec);
  EXPECT_EQ(e.api_url, "https://api.example.com");
  EXPECT_EQ(e.studio_url, "https://api.example.com/");
  spec.tls.mode = config::TlsMode::off;
  spec.domain = "shop.example.com";
  EXPECT_EQ(instance_endpoints(spec).api_url, "https://api.example.com") << "neither tls.mode nor domain matter then";
}

/// The value of `service`'s environment variable `name` in rendered compose text ("" when unset).
std::string compose_env(const std::string& compose, const std::string& service, const std::string& name) {
  const YAML::Node env = YAML::Load(compose)["services"][service]["environment"];
  return env && env[name] ? env[name].as<std::string>() : std::string();
}

TEST(Render, EveryPublicUrlInComposeFollowsPublicUrl) {
  test::TempDir dir;
  config::Instance inst = test::full_instance(dir.path());
  const std::string derived = instance_endpoints(inst.spec).api_url;
  ASSERT_EQ(derived, "https://api.example.com");
  inst.spec.public_url = "https://supa.example.org:9443";
  inst.spec.auth.providers["google"] =
      config::OAuthProvider{.enabled = true, .client_id = "g", .redirect_uri = "https://own.example.net/cb"};
  const std::string compose = render_template(inst, "compose.yml.mustache", "");
  const std::string url = "https://supa.example.org:9443";
  EXPECT_EQ(compose_env(compose, "auth", "API_EXTERNAL_URL"), url + "/auth/v1");
  EXPECT_EQ(compose_env(compose, "auth", "GOTRUE_JWT_ISSUER"), url + "/auth/v1");
  EXPECT_EQ(compose_env(compose, "auth", "GOTRUE_EXTERNAL_GITHUB_REDIRECT_URI"), url + "/auth/v1/callback");
  EXPECT_EQ(compose_env(compose, "auth", "GOTRUE_EXTERNAL_GOOGLE_REDIRECT_URI"), "https://own.example.net/cb")
      << "a redirect_uri of the user's own stays as written";
  EXPECT_EQ(compose_env(compose, "storage", "STORAGE_PUBLIC_URL"), url);
  EXPECT_EQ(compose_env(compose, "studio", "SUPABASE_PUBLIC_URL"), url);
  EXPECT_EQ(compose_env(compose, "functions", "SUPABASE_PUBLIC_URL"), url);
  EXPECT_EQ(compose_env(compose, "auth", "GOTRUE_SITE_URL"), "https://app.example.com") << "the app's URL is its own";
  EXPECT_EQ(compose.find("api.example.com"), std::string::npos) << "no URL derived from the domain is left";
}

TEST(Render, WithoutPublicUrlTheDerivedUrlsStay) {
  test::TempDir dir;
  const std::string compose = render_template(test::default_instance(dir.path()), "compose.yml.mustache", "");
  EXPECT_EQ(compose_env(compose, "auth", "API_EXTERNAL_URL"), "http://localhost:8000/auth/v1");
  EXPECT_EQ(compose_env(compose, "storage", "STORAGE_PUBLIC_URL"), "http://localhost:8000");
  EXPECT_EQ(compose_env(compose, "studio", "SUPABASE_PUBLIC_URL"), "http://localhost:8000");
}

TEST(Render, WithBackupWalBothPostgresServicesArchiveIntoOneVolumeThroughTheRenderedScript) {
  test::TempDir dir;
  config::Instance inst = test::full_instance(dir.path());
  inst.secrets["DB_REPLICATION_PASSWORD"] = secrets::Secret(std::string(32, 'z'));
  RenderResult r = render_instance(inst, dir.path(), "");
  const std::string before = core::read_file(r.compose_file);
  EXPECT_EQ(before.find("archive_mode"), std::string::npos);
  EXPECT_FALSE(fs::exists(r.dir / "wal-archive.sh"));

  inst.spec.backup.wal = true;
  inst.spec.db_standby = true;
  r = render_instance(inst, dir.path(), "");
  YAML::Node compose = YAML::LoadFile(r.compose_file.string());
  EXPECT_TRUE(compose["volumes"]["wal-archive"]);
  ASSERT_TRUE(fs::exists(r.dir / "wal-archive.sh"));
  const std::string script = core::read_file(r.dir / "wal-archive.sh");
  EXPECT_NE(script.find("cmp -s"), std::string::npos) << "a second archive of the same file must be the same bytes";
  EXPECT_NE(script.find("mv \"$dir/$name.part\" \"$dir/$name\""), std::string::npos);
  for (const char* svc : {"db", "db-standby"}) {
    YAML::Node s = compose["services"][svc];
    ASSERT_TRUE(s) << svc;
    std::string command;
    for (const auto& arg : s["command"]) command += arg.as<std::string>() + " ";
    EXPECT_NE(command.find("archive_mode=on"), std::string::npos) << svc;
    EXPECT_NE(command.find("archive_command=/bin/sh /usr/local/share/supactl/wal-archive.sh archive %p %f"),
              std::string::npos)
        << svc;
    bool archive_volume = false;
    for (const auto& v : s["volumes"])
      archive_volume |= v.as<std::string>() == "wal-archive:/var/lib/supactl/wal-archive";
    EXPECT_TRUE(archive_volume) << svc;
  }
  // db makes the folder the postgres user's before the image's entrypoint; db-standby's own
  // entrypoint does the same.
  YAML::Node db_entry = compose["services"]["db"]["entrypoint"];
  ASSERT_TRUE(db_entry);
  EXPECT_EQ(db_entry[1].as<std::string>(), "/usr/local/share/supactl/wal-archive.sh");
  EXPECT_EQ(db_entry[2].as<std::string>(), "entrypoint");
  EXPECT_NE(
      core::read_file(r.dir / "db-standby-entrypoint.sh").find("chown postgres:postgres /var/lib/supactl/wal-archive"),
      std::string::npos);
  if (std::system("command -v docker-compose >/dev/null 2>&1") == 0) {
    const std::string log = (dir.path() / "compose-config.log").string();
    const int status = std::system(
        ("cd '" + r.dir.string() + "' && docker-compose -f compose.yml -p full config -q >'" + log + "' 2>&1").c_str());
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << core::read_file(log);
  }
  // The script is POSIX sh (the real image's /bin/sh is dash).
  if (std::system("command -v dash >/dev/null 2>&1") == 0) {
    EXPECT_EQ(std::system(("dash -n '" + (r.dir / "wal-archive.sh").string() + "'").c_str()), 0);
  }

  // Off again: the file is what it always was, and the script is gone.
  inst.spec.backup.wal = false;
  inst.spec.db_standby = false;
  r = render_instance(inst, dir.path(), "");
  EXPECT_EQ(core::read_file(r.compose_file), before);
  EXPECT_FALSE(fs::exists(r.dir / "wal-archive.sh"));
}

}  // namespace
}  // namespace supactl::render

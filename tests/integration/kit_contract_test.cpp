// SPDX-License-Identifier: Apache-2.0
// The image kit's stand-ins are exactly as strict as the real images supactl pins
// (shared/facts/image-contracts.md; tests/images/README.md has the per-image table): the same
// ENTRYPOINT/CMD/USER/WORKDIR, no tool the real image lacks, a one-line error and a non-zero
// exit for every variable the real process requires, an exit when a migrating service's db does
// not answer, and the real listening defaults. Each rule is shown both ways: started wrongly
// the stand-in fails, started rightly it works. Needs `tests/images/kit up`; skips without it,
// except in CI (CI=true) where it fails.
#include <supactl/render/render.hpp>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "support/docker_env.hpp"
#include "support/kit_standins.hpp"

namespace supactl {
namespace {

using namespace std::chrono_literals;

std::string sh(const std::string& command, int* status = nullptr) {
  std::string out;
  int rc = test::run_shell(command, &out);
  if (status != nullptr) *status = rc;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string image_of(const std::string& service) {
  auto images = render::release_images(config::k_default_release, "");
  return std::string(test::k_kit_registry) + "/" + images.at(service);
}

class KitContract : public ::testing::Test {
 protected:
  void SetUp() override {
    SUPACTL_REQUIRE_ENGINE(e);
    (void)e;
    SUPACTL_REQUIRE_KIT();
    prefix = test::unique_name("kc");
    label = std::string("--label ") + test::k_test_label + "=" + prefix;
    files = sh("mktemp -d");
    test::write_kit_files(files);
  }
  void TearDown() override {
    sh("docker ps -aq --filter label=" + std::string(test::k_test_label) + "=" + prefix +
       " | xargs -r docker rm -fv >/dev/null 2>&1");
    sh("docker network rm " + prefix + "-net >/dev/null 2>&1");
    if (!files.empty()) sh("rm -rf " + files);
  }

  /// The test network; with `db` true, also a TCP listener on db:5432 (the kit's redis), so
  /// that the stand-ins of migrating services find "their database".
  std::string network(bool db = true) {
    if (!has_network) {
      EXPECT_EQ(sh("docker network create " + prefix + "-net >/dev/null && echo ok"), "ok");
      has_network = true;
    }
    if (db && !has_db) {
      sh("docker run -d " + label + " --name " + prefix + "-db --network " + prefix + "-net --network-alias db " +
         image_of("redis") + " redis-server --port 5432 --protected-mode no --save ''");
      // Ready once it accepts connections (polled with the image's own redis-cli).
      EXPECT_TRUE(poll("docker exec " + prefix + "-db redis-cli -p 5432 ping", 30s));
      has_db = true;
    }
    return "--network " + prefix + "-net ";
  }

  bool poll(const std::string& command, std::chrono::seconds limit, std::string* last = nullptr) {
    return test::eventually(command, limit, last);
  }

  /// `docker run --rm` in the foreground (bounded): exit code and output (stdout + stderr).
  int once(const std::string& service, const std::string& args, const std::string& cmd, std::string* out) {
    int rc = 0;
    *out = sh("timeout 60 docker run --rm " + label + " " + test::with_files(args, files) + " " + image_of(service) +
                  " " + test::with_files(cmd, files),
              &rc);
    return rc;
  }

  /// Expects the stand-in started this way to exit non-zero, saying `needle` in one line.
  void expect_fatal(const std::string& service, const std::string& args, const std::string& cmd,
                    const std::string& needle) {
    std::string out;
    int rc = once(service, args, cmd, &out);
    EXPECT_NE(rc, 0) << service << " started with: " << args << " " << cmd << "\n" << out;
    EXPECT_NE(out.find(needle), std::string::npos) << service << ": wanted \"" << needle << "\" in:\n" << out;
  }

  /// Starts a container in the background; returns its name.
  std::string start(const std::string& service, const std::string& suffix, const std::string& args,
                    const std::string& cmd = "") {
    std::string name = prefix + "-" + suffix;
    int rc = 0;
    std::string out = sh("docker run -d " + label + " --name " + name + " " + test::with_files(args, files) + " " +
                             image_of(service) + " " + test::with_files(cmd, files),
                         &rc);
    EXPECT_EQ(rc, 0) << out;
    return name;
  }

  /// The known-good run of `service` (kit_standins.hpp) plus `extra` options.
  std::string good(const std::string& service, const std::string& extra = "") {
    return network() + test::kit_standins().at(service).args + " " + extra;
  }

  /// `docker exec NAME /.standin/get --status [-H header] URL` until it answers; the status.
  std::string status_of(const std::string& name, const std::string& url, const std::string& header = "",
                        std::chrono::seconds limit = 30s) {
    std::string out;
    poll("docker exec " + name + " /.standin/get --status " + (header.empty() ? "" : "-H '" + header + "' ") + url,
         limit, &out);
    return out;
  }

  /// Waits until the container has exited; its exit code (or -1 when it still runs).
  int exit_code(const std::string& name, std::chrono::seconds limit = 30s) {
    if (!poll("test \"$(docker inspect -f '{{.State.Status}}' " + name + ")\" = exited", limit)) return -1;
    return std::stoi(sh("docker inspect -f '{{.State.ExitCode}}' " + name));
  }

  std::string logs(const std::string& name) { return sh("docker logs " + name + " 2>&1 | tail -20"); }

  std::string prefix, label, files;
  bool has_network = false, has_db = false;
};

// --- image configuration ---------------------------------------------------------------------

TEST_F(KitContract, EntrypointCmdUserAndWorkdirAreTheRealImagesOnes) {
  struct Want {
    const char* entrypoint;
    const char* cmd;
    const char* user;
    const char* workdir;
  };
  const std::map<std::string, Want> want = {
      {"kong", {R"(["/entrypoint.sh"])", R"(["kong","docker-start"])", "kong", ""}},
      {"auth", {"null", R"(["auth"])", "supabase", ""}},
      {"rest", {"null", R"(["/bin/postgrest"])", "1000", ""}},
      {"realtime", {R"(["/usr/bin/tini","-s","-g","--","/app/run.sh"])", R"(["/app/bin/server"])", "", "/app"}},
      {"storage", {R"(["docker-entrypoint.sh"])", R"(["node","dist/start/server.js"])", "", "/app"}},
      {"imgproxy", {R"(["entrypoint.sh"])", R"(["imgproxy"])", "999", ""}},
      {"studio", {R"(["docker-entrypoint.sh"])", R"(["node","apps/studio/server.js"])", "", "/app"}},
      {"functions", {R"(["edge-runtime"])", "null", "", ""}},
      {"minio", {R"(["/usr/bin/docker-entrypoint.sh"])", R"(["minio"])", "", ""}},
      {"minio-init", {R"(["mc"])", "null", "", ""}},
      {"analytics", {"null", R"(["sh","run.sh"])", "", "/opt/app/rel/logflare/bin"}},
      {"vector", {R"(["/usr/local/bin/vector"])", "null", "", ""}},
      {"supavisor", {R"(["/usr/bin/tini","-s","-g","--","/app/limits.sh"])", R"(["/app/bin/server"])", "", "/app"}},
  };
  for (const auto& [service, w] : want) {
    std::string got =
        sh("docker image inspect -f '{{json .Config.Entrypoint}}|{{json .Config.Cmd}}|{{.Config.User}}|"
           "{{.Config.WorkingDir}}|{{index .Config.Labels \"dev.supactl.kit\"}}' " +
           image_of(service));
    EXPECT_EQ(got, std::string(w.entrypoint) + "|" + w.cmd + "|" + w.user + "|" + w.workdir + "|stand-in") << service;
  }
  // The users the real images have: kong (not 1000, which is ubuntu's), supabase 1000 (auth),
  // imgproxy 999; postgrest runs as 1000 with no /etc/passwd at all.
  auto id = [&](const std::string& service) {
    return sh("docker run --rm " + label + " --entrypoint /.standin/node " + image_of(service) +
              " -e \"const os=require('os');const u=os.userInfo({encoding:'utf8'});"
              "process.stdout.write(u.uid+' '+u.username)\"");
  };
  EXPECT_EQ(id("kong"), "1001 kong");
  EXPECT_EQ(id("auth"), "1000 supabase");
  EXPECT_EQ(id("imgproxy"), "999 imgproxy");
  std::string rest = sh("docker run --rm " + label + " --entrypoint /.standin/node " + image_of("rest") +
                        " -e \"const fs=require('fs');process.stdout.write(process.getuid()+' '+"
                        "fs.existsSync('/etc/passwd')+' '+fs.existsSync('/tmp'))\"");
  EXPECT_EQ(rest, "1000 false false");
}

TEST_F(KitContract, EachImageHasExactlyTheToolsOfItsRealImage) {
  const std::vector<std::string> checked = {"sh",  "bash", "curl",    "wget",    "nc",   "node", "awk",
                                            "sed", "perl", "timeout", "openssl", "tini", "sudo", "jq"};
  const std::map<std::string, std::set<std::string>> has = {
      {"kong", {"sh", "bash", "awk", "sed", "perl", "timeout", "openssl"}},
      {"auth", {"sh", "wget", "nc", "awk", "sed", "timeout"}},
      {"rest", {}},
      {"realtime", {"sh", "bash", "awk", "sed", "perl", "timeout", "curl", "openssl", "tini", "sudo", "jq"}},
      {"storage", {"sh", "wget", "nc", "awk", "sed", "timeout", "node"}},
      {"imgproxy", {"sh", "bash", "awk", "sed", "perl", "timeout", "openssl"}},
      {"studio", {"sh", "bash", "awk", "sed", "perl", "timeout", "openssl", "node"}},
      {"functions", {"sh", "bash", "awk", "sed", "timeout", "openssl"}},
      {"minio", {"sh", "bash", "timeout", "curl"}},
      {"minio-init", {"sh", "bash", "timeout"}},
      {"analytics", {"sh", "bash", "awk", "sed", "perl", "timeout", "curl", "openssl"}},
      {"vector", {"sh", "wget", "nc", "awk", "sed", "timeout"}},
      {"supavisor", {"sh", "bash", "awk", "sed", "perl", "timeout", "curl", "openssl", "tini", "sudo"}},
      {"meta", {"sh", "bash", "awk", "sed", "perl", "timeout", "node"}},
  };
  std::string list;
  for (const auto& t : checked) list += (list.empty() ? "" : ",") + ("'" + t + "'");
  // Looked up on the container's PATH by the stand-in's own node, so it works in every image,
  // postgrest's (no shell) included. meta is a real image without /.standin: its node on PATH.
  const std::string script = "const fs=require('fs'),p=require('path');const found=[" + list +
                             "].filter(t=>(process.env.PATH||'').split(':').some(d=>{try{fs.accessSync(p.join(d,t),"
                             "fs.constants.X_OK);return fs.statSync(p.join(d,t)).isFile()}catch(e){return false}}));"
                             "process.stdout.write(found.join(' '))";
  for (const auto& [service, tools] : has) {
    std::string node = service == "meta" ? "node" : "/.standin/node";
    std::string got = sh("docker run --rm " + label + " --user 0 --entrypoint " + node + " " + image_of(service) +
                         " -e \"" + script + "\"");
    std::string want;
    for (const auto& t : checked) {
      if (tools.count(t)) want += (want.empty() ? "" : " ") + t;
    }
    EXPECT_EQ(got, want) << service << " (tools on PATH)";
  }
  // db is built from Debian's PostgreSQL: the real image's Ubuntu base has bash, curl and wget
  // (the swarm `down --volumes` job runs its curl).
  EXPECT_EQ(sh("docker run --rm " + label + " --entrypoint sh " + image_of("db") +
               " -c 'for t in bash curl wget; do command -v $t >/dev/null && printf \"%s \" $t; done'"),
            "bash curl wget ");
}

TEST_F(KitContract, ShellsAndClientsTheRealImagesLackReallyFail) {
  std::string out;
  // postgrest: no shell at all, so neither an sh entrypoint nor a CMD-SHELL check can run.
  EXPECT_NE(once("rest", "--entrypoint /bin/sh", "-c true", &out), 0) << out;
  EXPECT_NE(once("rest", "", "sh -c true", &out), 0) << out;
  // kong: no /docker-entrypoint.sh (that is the Docker-official `kong:` image), no curl, no wget.
  EXPECT_NE(once("kong", "--entrypoint /docker-entrypoint.sh", "kong docker-start", &out), 0) << out;
  EXPECT_NE(once("kong", "--entrypoint curl", "--version", &out), 0) << out;
  EXPECT_NE(once("kong", "--entrypoint wget", "--version", &out), 0) << out;
  EXPECT_EQ(once("kong", "--entrypoint bash", "-c 'test -x /entrypoint.sh && head -1 /entrypoint.sh'", &out), 0) << out;
  EXPECT_NE(out.find("bash"), std::string::npos) << "/entrypoint.sh is not a bash script: " << out;
  // studio and edge-runtime: no curl or wget (health checks use node / bash's /dev/tcp).
  EXPECT_NE(once("studio", "--entrypoint curl", "--version", &out), 0) << out;
  EXPECT_NE(once("functions", "--entrypoint wget", "--version", &out), 0) << out;
  EXPECT_NE(once("functions", "--entrypoint perl", "-e 1", &out), 0) << out;
  EXPECT_EQ(once("functions", "--entrypoint bash", "-c 'timeout 1 true'", &out), 0) << out;
  // gotrue: a running container has no bash and no curl, but BusyBox wget and nc.
  std::string auth = start("auth", "auth", good("auth"));
  ASSERT_EQ(status_of(auth, "http://127.0.0.1:9999/health"), "200") << logs(auth);
  int rc = 0;
  sh("docker exec " + auth + " bash -c true", &rc);
  EXPECT_NE(rc, 0);
  sh("docker exec " + auth + " curl --version", &rc);
  EXPECT_NE(rc, 0);
  sh("docker exec " + auth + " wget --no-verbose --tries=1 --spider http://localhost:9999/health", &rc);
  EXPECT_EQ(rc, 0) << "the template's wget health check must work on gotrue";
  // imgproxy and meta: no curl or wget.
  EXPECT_NE(once("imgproxy", "--entrypoint curl", "--version", &out), 0) << out;
  EXPECT_NE(once("meta", "--entrypoint curl", "--version", &out), 0) << out;
  EXPECT_NE(once("meta", "--entrypoint wget", "--version", &out), 0) << out;
}

// --- kong ------------------------------------------------------------------------------------

TEST_F(KitContract, KongRunsOnlyDbLessFromAFilledDeclarativeConfigInItsWritablePrefix) {
  const std::string yml = "-v @FILES@/kong.yml:/home/kong/kong.yml:ro ";
  expect_fatal("kong", yml + "-e KONG_DECLARATIVE_CONFIG=/home/kong/kong.yml", "", "KONG_DATABASE");
  expect_fatal("kong", "-e KONG_DATABASE=off", "", "declarative_config");
  expect_fatal("kong", "-e KONG_DATABASE=off -e KONG_DECLARATIVE_CONFIG=/home/kong/missing.yml", "", "missing.yml");
  // An unfilled placeholder, and a plugin that KONG_PLUGINS does not enable.
  sh("printf '_format_version: \"2.1\"\\nconsumers:\\n  - username: anon\\n    keyauth_credentials:\\n"
     "      - key: $SUPABASE_ANON_KEY\\n' > " +
     files + "/placeholder.yml && chmod a+r " + files + "/placeholder.yml");
  expect_fatal("kong",
               "-v @FILES@/placeholder.yml:/home/kong/kong.yml:ro -e KONG_DATABASE=off "
               "-e KONG_DECLARATIVE_CONFIG=/home/kong/kong.yml",
               "", "$SUPABASE_ANON_KEY");
  expect_fatal("kong", yml + "-e KONG_DATABASE=off -e KONG_DECLARATIVE_CONFIG=/home/kong/kong.yml -e KONG_PLUGINS=acl",
               "", "plugin 'cors' not enabled");
  // The prefix must be writable by the user kong runs as: not on a read-only root, not as
  // another user (1000 is ubuntu's).
  expect_fatal("kong", yml + "--read-only -e KONG_DATABASE=off -e KONG_DECLARATIVE_CONFIG=/home/kong/kong.yml", "",
               "Read-only file system");
  expect_fatal("kong", yml + "--user 1000 -e KONG_DATABASE=off -e KONG_DECLARATIVE_CONFIG=/home/kong/kong.yml", "",
               "Permission denied");

  // Rightly: it serves 8000 and its admin API on 127.0.0.1:8001 only; `kong health` checks the pid.
  std::string c = start("kong", "kong", good("kong"));
  EXPECT_EQ(status_of(c, "http://127.0.0.1:8000/status"), "200") << logs(c);
  EXPECT_EQ(status_of(c, "http://127.0.0.1:8001/status"), "200") << logs(c);
  std::string ip = sh("docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' " + c);
  EXPECT_EQ(status_of(c, "http://" + ip + ":8000/status"), "200");
  EXPECT_NE(status_of(c, "http://" + ip + ":8001/status", "", 1s).substr(0, 1), "2")
      << "admin listens beyond localhost";
  int rc = 0;
  EXPECT_NE(sh("docker exec " + c + " kong health", &rc).find("Kong is healthy at /usr/local/kong"), std::string::npos);
  EXPECT_EQ(rc, 0);
  // Unhealthy HTTP does not matter to `kong health` (no HTTP request), a dead pid does.
  sh("docker exec " + c + " /.standin/unhealthy on");
  sh("docker exec " + c + " kong health", &rc);
  EXPECT_EQ(rc, 0);
  sh("docker exec " + c + " sh -c 'echo 999999 > /usr/local/kong/pids/nginx.pid'");
  sh("docker exec " + c + " kong health", &rc);
  EXPECT_NE(rc, 0);
}

TEST_F(KitContract, KongRunsSupactlsEntrypointScriptUnderItsOwnShell) {
  // supactl's kong-entrypoint.sh (templates/) fills $NAME placeholders with awk under /bin/sh
  // and hands over to /entrypoint.sh: it must work on the strict image, and a placeholder left
  // unfilled (its variable missing) must fail.
  std::string tpl = files + "/temp.yml";
  sh("printf '_format_version: \"2.1\"\\nconsumers:\\n  - username: anon\\n    keyauth_credentials:\\n"
     "      - key: $SUPABASE_ANON_KEY\\nplugins:\\n  - name: cors\\n' > " +
     tpl + " && chmod a+r " + tpl);
  const std::string mounts =
      "-v " + tpl +
      ":/home/kong/temp.yml:ro -v " SUPACTL_SOURCE_DIR
      "/templates/kong-entrypoint.sh:/home/kong/kong-entrypoint.sh:ro "
      "--entrypoint /bin/sh -e KONG_DATABASE=off -e KONG_DECLARATIVE_CONFIG=/usr/local/kong/kong.yml "
      "-e KONG_PLUGINS=request-transformer,cors,key-auth,acl ";
  expect_fatal("kong", mounts, "/home/kong/kong-entrypoint.sh", "$SUPABASE_ANON_KEY");
  std::string c = start("kong", "kong-tpl", network(false) + mounts + "-e SUPABASE_ANON_KEY=kit-anon",
                        "/home/kong/kong-entrypoint.sh");
  EXPECT_EQ(status_of(c, "http://127.0.0.1:8000/"), "200") << logs(c);
  std::string filled = sh("docker exec " + c + " cat /usr/local/kong/kong.yml");
  EXPECT_NE(filled.find("kit-anon"), std::string::npos) << filled;
  EXPECT_EQ(filled.find("$SUPABASE_ANON_KEY"), std::string::npos) << filled;
}

// --- gotrue ----------------------------------------------------------------------------------

TEST_F(KitContract, GotrueNeedsItsRequiredKeysAnAbsoluteExternalUrlAndItsDb) {
  const std::string s = test::k_kit_jwt_secret;
  const std::string all = network() +
                          "-e GOTRUE_DB_DRIVER=postgres -e GOTRUE_DB_DATABASE_URL=postgres://u:p@db:5432/postgres "
                          "-e GOTRUE_JWT_SECRET=" +
                          s +
                          " -e API_EXTERNAL_URL=http://localhost:8000 "
                          "-e GOTRUE_SITE_URL=http://localhost:3000 ";
  auto without = [&](const std::string& key) {
    std::string a = all;
    auto at = a.find("-e " + key + "=");
    a.erase(at, a.find(' ', at + 3) - at);
    return a;
  };
  for (const char* key : {"GOTRUE_DB_DRIVER", "GOTRUE_JWT_SECRET", "GOTRUE_SITE_URL"}) {
    expect_fatal("auth", without(key), "", std::string("required key ") + key + " missing value");
  }
  expect_fatal("auth", without("GOTRUE_DB_DATABASE_URL"), "", "GOTRUE_DB_DATABASE_URL");
  expect_fatal("auth", without("API_EXTERNAL_URL"), "", "API_EXTERNAL_URL");
  expect_fatal("auth", without("API_EXTERNAL_URL") + "-e API_EXTERNAL_URL=localhost:8000", "", "API_EXTERNAL_URL");
  expect_fatal("auth", without("API_EXTERNAL_URL") + "-e API_EXTERNAL_URL=", "", "API_EXTERNAL_URL");
  // DATABASE_URL is the alternative key of the db URL.
  std::string alt =
      start("auth", "auth-alt", without("GOTRUE_DB_DATABASE_URL") + "-e DATABASE_URL=postgres://u:p@db:5432/postgres");
  // Listening default: GOTRUE_API_PORT (alt PORT), else 8081.
  EXPECT_EQ(status_of(alt, "http://127.0.0.1:8081/health"), "200") << logs(alt);
  std::string port = start("auth", "auth-port", all + "-e PORT=9998");
  EXPECT_EQ(status_of(port, "http://127.0.0.1:9998/health"), "200") << logs(port);
}

// --- postgrest -------------------------------------------------------------------------------

TEST_F(KitContract, PostgrestChecksItsJwtSecretAndPortsAndReadyNeedsTheAdminServer) {
  expect_fatal("rest", "-e PGRST_JWT_SECRET=too-short", "", "The JWT secret must be at least 32 characters long.");
  expect_fatal("rest", "-e PGRST_ADMIN_SERVER_PORT=3000", "", "admin-server-port cannot be the same as server-port");
  expect_fatal("rest", "-e PGRST_SERVER_PORT=3001 -e PGRST_ADMIN_SERVER_PORT=3001", "", "admin-server-port");
  // `postgrest --ready` (the template's health check).
  expect_fatal("rest", "", "postgrest --ready", "Admin server is not running");
  expect_fatal("rest", "-e PGRST_ADMIN_SERVER_PORT=3001", "postgrest --ready", "special host");
  expect_fatal("rest", "-e PGRST_ADMIN_SERVER_PORT=3001 -e PGRST_ADMIN_SERVER_HOST='*'", "postgrest --ready",
               "special host");

  std::string c = start("rest", "rest", good("rest"), "postgrest");
  EXPECT_EQ(status_of(c, "http://127.0.0.1:3001/ready"), "200") << logs(c);
  EXPECT_EQ(status_of(c, "http://127.0.0.1:3000/"), "200") << logs(c);
  int rc = 0;
  std::string out = sh("docker exec " + c + " postgrest --ready", &rc);
  EXPECT_EQ(rc, 0) << out;
  // A JWK as the secret is not subject to the 32-character rule.
  std::string jwk =
      start("rest", "rest-jwk", good("rest", "-e PGRST_JWT_SECRET='{\"kty\":\"oct\",\"k\":\"c2hvcnQ\"}'"), "postgrest");
  EXPECT_EQ(status_of(jwk, "http://127.0.0.1:3001/ready"), "200") << logs(jwk);
}

TEST_F(KitContract, PostgrestRetriesItsDbInsteadOfExiting) {
  // No db yet: it keeps running, /ready answers 503 and the API 503, until the db answers.
  std::string net = network(false);
  std::string c = start("rest", "rest-nodb", net + test::kit_standins().at("rest").args, "postgrest");
  EXPECT_EQ(status_of(c, "http://127.0.0.1:3001/ready"), "503") << logs(c);
  EXPECT_EQ(status_of(c, "http://127.0.0.1:3000/"), "503") << logs(c);
  int rc = 0;
  sh("docker exec " + c + " postgrest --ready", &rc);
  EXPECT_NE(rc, 0);
  network(true);
  std::string out;
  EXPECT_TRUE(poll("docker exec " + c + " postgrest --ready", 30s, &out)) << out << logs(c);
  EXPECT_EQ(sh("docker inspect -f '{{.RestartCount}} {{.State.Running}}' " + c), "0 true");
}

// --- realtime --------------------------------------------------------------------------------

TEST_F(KitContract, RealtimeChecksItsEnvRunsMigrateAndSeedAndGuardsTenantHealthWithAJwt) {
  const std::string args = test::kit_standins().at("realtime").args;
  auto without = [&](const std::string& key) {
    std::string a = args;
    auto at = a.find("-e " + key + "=");
    a.erase(at, a.find(' ', at + 3) == std::string::npos ? std::string::npos : a.find(' ', at + 3) - at);
    return network() + a;
  };
  expect_fatal("realtime", without("METRICS_JWT_SECRET"), "", "METRICS_JWT_SECRET");
  expect_fatal("realtime", without("SECRET_KEY_BASE"), "", "SECRET_KEY_BASE");
  expect_fatal("realtime", without("APP_NAME") + " -e APP_NAME=", "", "APP_NAME");
  expect_fatal("realtime", without("DB_HOST") + " -e DB_HOST=no-such-host", "", "Failed to detect IP version");
  expect_fatal("realtime", without("DB_ENC_KEY") + " -e DB_ENC_KEY=too-short", "", "DB_ENC_KEY");
  // run.sh raises the soft open-files limit: above the hard limit it fails.
  expect_fatal("realtime", good("realtime", "--ulimit nofile=1024:1024"), "", "ulimit");

  std::string c = start("realtime", "realtime", good("realtime"));
  const std::string health = "http://127.0.0.1:4000/api/tenants/realtime-dev/health";
  EXPECT_EQ(status_of(c, health, std::string("Authorization: Bearer ") + test::k_kit_jwt), "200") << logs(c);
  EXPECT_EQ(status_of(c, health), "403");
  EXPECT_EQ(status_of(c, health, std::string("Authorization: Bearer ") + test::k_kit_jwt_wrong), "403");
  EXPECT_EQ(status_of(c, "http://127.0.0.1:4000/api/tenants/other/health",
                      std::string("Authorization: Bearer ") + test::k_kit_jwt),
            "404");
  EXPECT_EQ(status_of(c, "http://127.0.0.1:4000/healthcheck"), "200");
  // The template's health check, with the real image's curl.
  int rc = 0;
  sh("docker exec " + c + " curl -sSfL --head -o /dev/null -H 'Authorization: Bearer " + test::k_kit_jwt + "' " +
         health,
     &rc);
  EXPECT_EQ(rc, 0);
  // Without SEED_SELF_HOST the tenant does not exist.
  std::string unseeded = start("realtime", "realtime-unseeded", without("SEED_SELF_HOST"));
  EXPECT_EQ(status_of(unseeded, health, std::string("Authorization: Bearer ") + test::k_kit_jwt), "404")
      << logs(unseeded);
}

// --- services that migrate at boot -----------------------------------------------------------

TEST_F(KitContract, MigratingServicesExitWhenTheirDbDoesNotAnswer) {
  // `db` resolves (a container with that alias) but nothing listens on 5432.
  std::string net = network(false);
  sh("docker run -d " + label + " --name " + prefix + "-nodb " + net + "--network-alias db " + image_of("redis"));
  for (const char* service : {"auth", "realtime", "storage", "analytics"}) {
    std::string c = start(service, std::string("nodb-") + service, net + test::kit_standins().at(service).args);
    EXPECT_EQ(exit_code(c), 1) << service << ": " << logs(c);
    EXPECT_NE(logs(c).find("5432"), std::string::npos) << service << ": " << logs(c);
  }
  // supavisor: its migrate step (the template's command chain) exits, so the chain stops.
  std::string sv = start("supavisor", "nodb-supavisor", net + test::kit_standins().at("supavisor").args,
                         "/bin/sh -c '/app/bin/migrate && /app/bin/server'");
  EXPECT_EQ(exit_code(sv), 1) << logs(sv);
}

// --- storage ---------------------------------------------------------------------------------

TEST_F(KitContract, StorageNeedsAJwtSecretAndItsDatabaseAndListensOnServerPort) {
  expect_fatal("storage", network() + "-e DATABASE_URL=postgres://u:p@db:5432/postgres", "",
               "AUTH_JWT_SECRET is undefined");
  expect_fatal("storage", network() + "-e AUTH_JWT_SECRET=x", "", "DATABASE_URL is undefined");
  expect_fatal("storage", good("storage", "-e JWT_JWKS=not-json"), "", "JWT_JWKS");
  // PGRST_JWT_SECRET is the fallback of AUTH_JWT_SECRET; SERVER_PORT (then PORT) moves it.
  std::string c =
      start("storage", "storage",
            network() + "-e PGRST_JWT_SECRET=x -e DATABASE_URL=postgres://u:p@db:5432/postgres -e PORT=5002");
  EXPECT_EQ(status_of(c, "http://127.0.0.1:5002/status"), "200") << logs(c);
  std::string d = start("storage", "storage-default", good("storage"));
  EXPECT_EQ(status_of(d, "http://127.0.0.1:5000/status"), "200") << logs(d);
  int rc = 0;
  sh("docker exec " + d + " wget --no-verbose --tries=1 --spider http://127.0.0.1:5000/status", &rc);
  EXPECT_EQ(rc, 0) << "the template's wget health check must work on storage";
}

// --- imgproxy --------------------------------------------------------------------------------

TEST_F(KitContract, ImgproxyChecksItsAllocatorAndItsHealthCommandDialsItsBind) {
  expect_fatal("imgproxy", "-e IMGPROXY_MALLOC=mimalloc", "", "Unknown malloc: mimalloc");
  // Default bind :8080; `imgproxy health` follows IMGPROXY_BIND.
  std::string d = start("imgproxy", "imgproxy-default", network(false));
  EXPECT_EQ(status_of(d, "http://127.0.0.1:8080/health"), "200") << logs(d);
  std::string c = start("imgproxy", "imgproxy", good("imgproxy", "-e IMGPROXY_MALLOC=jemalloc"));
  EXPECT_EQ(status_of(c, "http://127.0.0.1:5001/health"), "200") << logs(c);
  int rc = 0;
  sh("docker exec " + c + " imgproxy health", &rc);
  EXPECT_EQ(rc, 0);
  sh("docker exec -e IMGPROXY_BIND=:8080 " + c + " imgproxy health", &rc);
  EXPECT_NE(rc, 0) << "imgproxy health must dial the bind it is given";
  sh("docker exec " + c + " /.standin/unhealthy on && docker exec " + c + " imgproxy health", &rc);
  EXPECT_NE(rc, 0);
}

// --- studio ----------------------------------------------------------------------------------

TEST_F(KitContract, StudioBindsHostnameSoLocalhostWorksOnlyWithHostnameZero) {
  // Docker sets HOSTNAME to the container id: the server binds the container's address only.
  std::string bare = start("studio", "studio-bare", network(false));
  std::string ip = sh("docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' " + bare);
  EXPECT_EQ(status_of(bare, "http://" + ip + ":3000/api/platform/profile"), "200") << logs(bare);
  EXPECT_NE(status_of(bare, "http://127.0.0.1:3000/api/platform/profile", "", 1s), "200");
  std::string c = start("studio", "studio", good("studio"));
  EXPECT_EQ(status_of(c, "http://127.0.0.1:3000/api/platform/profile"), "200") << logs(c);
  // The template's health check: node's fetch (the image has node, no curl).
  int rc = 0;
  sh("docker exec " + c +
         " node -e \"fetch('http://localhost:3000/api/platform/profile').then((r) => "
         "{ if (r.status !== 200) throw new Error(r.status) })\"",
     &rc);
  EXPECT_EQ(rc, 0);
}

// --- edge-runtime ----------------------------------------------------------------------------

TEST_F(KitContract, EdgeRuntimeNeedsStartAndAnExistingMainService) {
  std::string out;
  EXPECT_NE(once("functions", "", "", &out), 0) << out;  // no CMD: usage, exit 2
  expect_fatal("functions", "", "start", "examples/main");
  expect_fatal("functions", "", "start --main-service /home/deno/functions/main", "/home/deno/functions/main");
  std::string c = start("functions", "functions", good("functions", "-e EDGE_RUNTIME_PORT=9100"),
                        "start --main-service /home/deno/functions/main");
  EXPECT_EQ(status_of(c, "http://127.0.0.1:9100/"), "200") << logs(c);
  std::string p = start("functions", "functions-port", good("functions"),
                        "start --port 9200 --main-service /home/deno/functions/main");
  EXPECT_EQ(status_of(p, "http://127.0.0.1:9200/"), "200") << logs(p);
  std::string d = start("functions", "functions-default", good("functions"),
                        "start --user-worker-request-idle-timeout 150000 --main-service /home/deno/functions/main");
  EXPECT_EQ(status_of(d, "http://127.0.0.1:9000/"), "200") << logs(d);
  // The template's health check: bash's /dev/tcp.
  int rc = 0;
  sh("docker exec " + d + " bash -c '</dev/tcp/127.0.0.1/9000'", &rc);
  EXPECT_EQ(rc, 0);
}

// --- minio and mc ----------------------------------------------------------------------------

TEST_F(KitContract, MinioChecksItsCredentialsAndMcMakesBucketsWithThem) {
  const std::string server = "server --console-address :9001 /data";
  expect_fatal("minio", "-e MINIO_ROOT_USER=ab -e MINIO_ROOT_PASSWORD=long-enough", server, "Invalid credentials");
  expect_fatal("minio", "-e MINIO_ROOT_USER=supa -e MINIO_ROOT_PASSWORD=short", server, "Invalid credentials");
  expect_fatal("minio", "-e MINIO_ROOT_USER=supa", server, "MINIO_ROOT_PASSWORD");
  std::string m = start("minio", "minio", good("minio") + "--network-alias minio", server);
  EXPECT_EQ(status_of(m, "http://127.0.0.1:9000/minio/health/live"), "200") << logs(m);
  EXPECT_EQ(status_of(m, "http://127.0.0.1:9001/"), "200") << logs(m);
  int rc = 0;
  std::string out = sh("docker exec " + m + " mc ready local", &rc);
  EXPECT_EQ(rc, 0) << out;
  // mc: ENTRYPOINT ["mc"], so scripts need --entrypoint /bin/sh (bash on ubi-micro), as supactl's does.
  const std::string mc = network() + "--entrypoint /bin/sh -e MINIO_ROOT_USER=supa -e MINIO_ROOT_PASSWORD=";
  const std::string script =
      "-ec 'mc alias set supa-minio http://minio:9000 \"$MINIO_ROOT_USER\" \"$MINIO_ROOT_PASSWORD\" && "
      "mc mb --ignore-existing supa-minio/stub'";
  EXPECT_NE(once("minio-init", mc + "wrong-password", script, &out), 0) << out;
  EXPECT_EQ(once("minio-init", mc + "kit-minio-secret", script, &out), 0) << out;
  EXPECT_EQ(once("minio-init", mc + "kit-minio-secret", script, &out), 0) << "again, --ignore-existing: " << out;
  EXPECT_NE(sh("docker exec " + m + " /.standin/get http://127.0.0.1:9000/__standin/buckets").find("\"stub\""),
            std::string::npos);
  // Without --entrypoint the command goes to mc: `mc sh -c ...` fails.
  EXPECT_NE(once("minio-init", network(), "sh -c true", &out), 0) << out;
}

// --- logflare --------------------------------------------------------------------------------

TEST_F(KitContract, LogflareNeedsAResolvableDbHostAndABackendUrl) {
  expect_fatal("analytics", network() + "-e POSTGRES_BACKEND_URL=postgresql://u:p@db:5432/_supabase", "",
               "DB_HOSTNAME");
  expect_fatal("analytics",
               network() + "-e DB_HOSTNAME=no-such-host -e POSTGRES_BACKEND_URL=postgresql://u:p@db:5432/x", "",
               "Failed to detect IP version");
  expect_fatal("analytics", network() + "-e DB_HOSTNAME=db", "", "Missing Google or Backend credentials");
  std::string c = start("analytics", "analytics", good("analytics"));
  EXPECT_EQ(status_of(c, "http://127.0.0.1:4000/health"), "200") << logs(c);
  int rc = 0;
  sh("docker exec " + c + " curl -sSfL -o /dev/null http://localhost:4000/health", &rc);
  EXPECT_EQ(rc, 0) << "the template's curl health check must work on logflare";
}

// --- vector ----------------------------------------------------------------------------------

TEST_F(KitContract, VectorNeedsItsConfigAndItsVariablesAndServesTheApiOnlyWhenEnabled) {
  const std::string mount = "-v @FILES@/vector.yml:/etc/vector/vector.yml:ro ";
  expect_fatal("vector", "", "--config /etc/vector/vector.yml", "/etc/vector/vector.yml");
  expect_fatal("vector", mount, "--config /etc/vector/vector.yml", "LOGFLARE_PUBLIC_ACCESS_TOKEN");
  std::string c = start("vector", "vector", good("vector"), "--config /etc/vector/vector.yml");
  EXPECT_EQ(status_of(c, "http://127.0.0.1:9001/health"), "200") << logs(c);
  int rc = 0;
  sh("docker exec " + c + " wget --no-verbose --tries=1 --spider http://127.0.0.1:9001/health", &rc);
  EXPECT_EQ(rc, 0);
  // The image's default config (/etc/vector/vector.yaml) has no API: it runs, listening nowhere.
  std::string d = start("vector", "vector-default", network(false));
  EXPECT_TRUE(poll("docker logs " + d + " 2>&1 | grep -q 'api disabled'", 30s)) << logs(d);
  EXPECT_EQ(sh("docker inspect -f '{{.State.Running}}' " + d), "true");
  EXPECT_NE(status_of(d, "http://127.0.0.1:8686/health", "", 1s).substr(0, 1), "2");
}

// --- supavisor -------------------------------------------------------------------------------

TEST_F(KitContract, SupavisorChecksItsKeysAndRaisesTheOpenFilesLimit) {
  // limits.sh: `ulimit -n 100000` (the image's RLIMIT_NOFILE) fails under a lower hard limit
  // (Docker's default is the daemon's own, often below 100000); the container needs a ulimit.
  const std::string lim = "-e RLIMIT_NOFILE=1024 ";
  const std::string key = "-e VAULT_ENC_KEY=0123456789abcdef0123456789abcdef ";
  expect_fatal("supavisor", "--ulimit nofile=1024:1024 -e SECRET_KEY_BASE=x " + key, "", "ulimit");
  expect_fatal("supavisor", lim + key, "", "SECRET_KEY_BASE");
  expect_fatal("supavisor", lim + "-e SECRET_KEY_BASE=x -e VAULT_ENC_KEY=too-short", "", "VAULT_ENC_KEY");
  expect_fatal("supavisor", lim + "-e SECRET_KEY_BASE=x -e VAULT_ENC_KEY=0123456789abcdef0123456789abcdef0", "",
               "VAULT_ENC_KEY");
  // pooler.exs with CRLF line endings is a syntax error (the template's eval step).
  sh("printf 'x = 1\\r\\n' > " + files + "/pooler.exs && chmod a+r " + files + "/pooler.exs");
  expect_fatal(
      "supavisor", good("supavisor", "-v @FILES@/pooler.exs:/etc/pooler/pooler.exs:ro"),
      "/bin/sh -c '/app/bin/migrate && /app/bin/supavisor eval \"$(cat /etc/pooler/pooler.exs)\" && /app/bin/server'",
      "SyntaxError");
  std::string c = start("supavisor", "supavisor", good("supavisor"));
  EXPECT_EQ(status_of(c, "http://127.0.0.1:4000/api/health"), "200") << logs(c);
  int rc = 0;
  sh("docker exec " + c + " curl -sSfL --head -o /dev/null http://127.0.0.1:4000/api/health", &rc);
  EXPECT_EQ(rc, 0);
}

}  // namespace
}  // namespace supactl

// SPDX-License-Identifier: Apache-2.0
// The offline image kit (tests/images): every image supactl pins is served by the kit's
// registry on 127.0.0.1:5000, and the real ones behave as supactl relies on them to. These
// tests need `tests/images/kit up` (scripts/test runs it); without the kit they skip, except
// in CI (CI=true) where they fail.
#include <supactl/docker/engine.hpp>
#include <supactl/render/render.hpp>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <thread>

#include "support/docker_env.hpp"
#include "support/kit_standins.hpp"

namespace supactl {
namespace {

constexpr const char* k_registry = test::k_kit_registry;

std::string sh(const std::string& command, int* status = nullptr) {
  std::string out;
  int rc = test::run_shell(command, &out);
  if (status != nullptr) *status = rc;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

using test::eventually;

std::string kit_ref(const std::string& service) {
  auto images = render::release_images(config::k_default_release, "");
  return std::string(k_registry) + "/" + images.at(service);
}

class KitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SUPACTL_REQUIRE_ENGINE(e);
    engine = e;
    SUPACTL_REQUIRE_KIT();
    prefix = test::unique_name("kit");
  }
  void TearDown() override {
    sh("docker ps -aq --filter label=" + std::string(test::k_test_label) + "=" + prefix +
       " | xargs -r docker rm -fv >/dev/null 2>&1");
    sh("docker network rm " + prefix + "-net >/dev/null 2>&1");
    sh("docker volume rm " + prefix + "-data >/dev/null 2>&1");
  }

  /// `docker run -d` of `image` with the test label; returns the container name.
  std::string run(const std::string& suffix, const std::string& image, const std::string& args = "",
                  const std::string& cmd = "") {
    std::string name = prefix + "-" + suffix;
    int rc = 0;
    std::string out = sh("docker run -d --name " + name + " --label " + test::k_test_label + "=" + prefix + " " + args +
                             " " + image + " " + cmd,
                         &rc);
    EXPECT_EQ(rc, 0) << out;
    return name;
  }

  std::string exec(const std::string& container, const std::string& command, int* status = nullptr) {
    return sh("docker exec " + container + " sh -c '" + command + "'", status);
  }

  docker::Engine* engine = nullptr;
  std::string prefix;
};

TEST_F(KitTest, EveryPinnedImagePullsThroughTheRegistryWithThePlainEngineApi) {
  auto images = render::release_images(config::k_default_release, "");
  ASSERT_GE(images.size(), 15u);
  for (const auto& [service, ref] : images) {
    std::string mirrored = std::string(k_registry) + "/" + ref;
    int events = 0;
    ASSERT_NO_THROW(engine->pull_image(mirrored, [&](const docker::PullProgress&) { ++events; })) << service;
    auto info = engine->inspect_image(mirrored);
    ASSERT_TRUE(info.has_value()) << mirrored;
    EXPECT_FALSE(info->labels["dev.supactl.kit.hash"].empty()) << mirrored << " is not a kit image";
    EXPECT_FALSE(info->labels["dev.supactl.kit"].empty()) << mirrored;
  }
}

TEST_F(KitTest, AnUntaggedImageComesBackFromTheRegistryAndAMissingOneFailsWithItsName) {
  // A pull that really transfers: drop a second tag of the small redis image, pull it back.
  std::string ref = kit_ref("redis");
  std::string copy = std::string(k_registry) + "/supactl-kit-test/redis:" + prefix;
  ASSERT_EQ(sh("docker tag " + ref + " " + copy + " && docker push " + copy + " >/dev/null && docker rmi " + copy +
               " >/dev/null && echo ok"),
            "ok");
  EXPECT_FALSE(engine->inspect_image(copy).has_value());
  engine->pull_image(copy, {});
  EXPECT_TRUE(engine->inspect_image(copy).has_value());
  sh("docker rmi " + copy + " >/dev/null 2>&1");

  try {
    engine->pull_image(std::string(k_registry) + "/supactl-kit-test/nothing:here", {});
    FAIL() << "pulling a missing image succeeded";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("nothing"), std::string::npos) << e.what();
  }
}

TEST_F(KitTest, DbInitialisesRunsInitSqlAcceptsBothLoginsAndKeepsDataAcrossRecreate) {
  std::string image = kit_ref("db");
  ASSERT_EQ(sh("docker network create " + prefix + "-net >/dev/null && docker volume create " + prefix +
               "-data >/dev/null && echo ok"),
            "ok");
  // An init script in the folder upstream's image runs, as supactl's roles.sql does: it gives
  // authenticator the instance's password and creates a table.
  std::string init = sh("mktemp -d");
  sh("chmod 755 " + init +
     " && printf '%s\\n' "
     "\"ALTER USER authenticator WITH PASSWORD 'kit-secret';\" "
     "'CREATE TABLE public.kit_seed (id int primary key, note text);' "
     "\"INSERT INTO public.kit_seed VALUES (1, 'from init');\" > " +
     init + "/50-seed.sql && chmod 644 " + init + "/50-seed.sql");
  std::string args = "--network " + prefix + "-net -e POSTGRES_PASSWORD=kit-secret -v " + prefix +
                     "-data:/var/lib/postgresql/data -v " + init + ":/docker-entrypoint-initdb.d/init-scripts:ro";
  std::string db = run("db", image, args);
  std::string logs;
  ASSERT_TRUE(eventually("docker exec " + db + " pg_isready -U postgres -h localhost", std::chrono::seconds(90), &logs))
      << sh("docker logs " + db + " 2>&1 | tail -20");

  // Over TCP from another container on the network, with passwords (scram), as the services log in.
  auto psql_as = [&](const std::string& user, const std::string& sql, int* rc) {
    return sh("docker run --rm --label " + std::string(test::k_test_label) + "=" + prefix + " --network " + prefix +
                  "-net -e PGPASSWORD=kit-secret --entrypoint psql " + image + " -h " + db + " -U " + user +
                  " -d postgres -tAc \"" + sql + "\"",
              rc);
  };
  int rc = 0;
  EXPECT_EQ(psql_as("postgres", "select note from public.kit_seed where id = 1", &rc), "from init");
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(psql_as("authenticator", "select current_user", &rc), "authenticator");
  EXPECT_EQ(rc, 0);
  std::string roles = psql_as("postgres", "select string_agg(rolname, ',' order by rolname) from pg_roles", &rc);
  for (const char* role : {"supabase_admin", "authenticator", "anon", "authenticated", "service_role",
                           "supabase_auth_admin", "supabase_storage_admin", "supabase_functions_admin", "pgbouncer"}) {
    EXPECT_NE(roles.find(role), std::string::npos) << role << " missing from " << roles;
  }
  std::string schemas = psql_as("postgres", "select string_agg(nspname, ',') from pg_namespace", &rc);
  for (const char* schema : {"auth", "storage", "extensions"}) {
    EXPECT_NE(schemas.find(schema), std::string::npos) << schema << " missing from " << schemas;
  }
  // A wrong password is refused: the network path really checks it.
  sh("docker run --rm --label " + std::string(test::k_test_label) + "=" + prefix + " --network " + prefix +
         "-net -e PGPASSWORD=wrong --entrypoint psql " + image + " -h " + db +
         " -U postgres -c 'select 1' >/dev/null 2>&1",
     &rc);
  EXPECT_NE(rc, 0);

  // Data written now survives a new container on the same volume (init does not run again).
  psql_as("postgres", "insert into public.kit_seed values (2, 'after boot')", &rc);
  ASSERT_EQ(rc, 0);
  sh("docker rm -fv " + db + " >/dev/null");
  db = run("db", image, args);
  ASSERT_TRUE(eventually("docker exec " + db + " pg_isready -U postgres -h localhost", std::chrono::seconds(60)));
  EXPECT_EQ(psql_as("postgres", "select count(*) from public.kit_seed", &rc), "2");
  EXPECT_NE(sh("docker logs " + db + " 2>&1").find("reusing the cluster"), std::string::npos);
  sh("rm -rf " + init);
}

TEST_F(KitTest, RedisAnswersPing) {
  std::string redis = run("redis", kit_ref("redis"));
  std::string out;
  EXPECT_TRUE(eventually("docker exec " + redis + " redis-cli ping | grep -qx PONG", std::chrono::seconds(30), &out))
      << out;
}

TEST_F(KitTest, CaddyServesACaddyfile) {
  std::string dir = sh("mktemp -d");
  sh("chmod 755 " + dir + " && printf ':8080 {\\n\\trespond \"served by the kit caddy\"\\n}\\n' > " + dir +
     "/Caddyfile && chmod 644 " + dir + "/Caddyfile");
  std::string caddy = run("caddy", kit_ref("caddy"), "-v " + dir + "/Caddyfile:/etc/caddy/Caddyfile:ro");
  std::string out;
  EXPECT_TRUE(
      eventually("docker exec " + caddy + " wget -qO- http://127.0.0.1:8080/ | grep -q 'served by the kit caddy'",
                 std::chrono::seconds(30), &out))
      << sh("docker logs " + caddy + " 2>&1 | tail -5");
  sh("rm -rf " + dir);
}

TEST_F(KitTest, MetaAnswersHealthAndListsTheTablesOfTheDbOverTheNetwork) {
  ASSERT_EQ(sh("docker network create " + prefix + "-net >/dev/null && echo ok"), "ok");
  std::string db = run("db", kit_ref("db"), "--network " + prefix + "-net --network-alias db -e POSTGRES_PASSWORD=pw");
  ASSERT_TRUE(eventually("docker exec " + db + " pg_isready -U postgres -h localhost", std::chrono::seconds(90)));
  int rc = 0;
  sh("docker exec " + db + " psql -U postgres -h /var/run/postgresql -c 'create table public.kit_meta_probe (id int)'",
     &rc);
  ASSERT_EQ(rc, 0);
  std::string meta = run("meta", kit_ref("meta"),
                         "--network " + prefix +
                             "-net -e PG_META_PORT=8080 -e PG_META_DB_HOST=db -e PG_META_DB_PORT=5432 "
                             "-e PG_META_DB_NAME=postgres -e PG_META_DB_USER=supabase_admin -e PG_META_DB_PASSWORD=pw");
  std::string out;
  // The real image has no curl or wget: node's fetch, as its own HEALTHCHECK does.
  auto fetch = [&](const std::string& url, int* status) {
    return sh("docker exec " + meta + " node -e \"fetch('" + url +
                  "').then(async (r) => { process.stdout.write(await r.text()); process.exit(r.ok ? 0 : 1) })"
                  ".catch(() => process.exit(7))\"",
              status);
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (fetch("http://127.0.0.1:8080/health", &rc), rc != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_EQ(rc, 0) << sh("docker logs " + meta + " 2>&1 | tail -10");
  out = fetch("http://127.0.0.1:8080/tables?included_schemas=public", &rc);
  ASSERT_EQ(rc, 0) << out;
  auto tables = nlohmann::json::parse(out);
  bool found = false;
  for (const auto& t : tables) found = found || t.value("name", "") == "kit_meta_probe";
  EXPECT_TRUE(found) << out.substr(0, 300);
}

TEST_F(KitTest, EveryStandInAnswersItsHealthPathAndReportsItsEnvironment) {
  // Each stand-in starts only as its real image does (required variables, a db answering on
  // TCP where the real one migrates at boot): tests/support/kit_standins.hpp has the good run
  // of each; kit_contract_test.cpp proves the refusals. No curl in the images: the stand-ins'
  // off-PATH client /.standin/get probes from inside.
  ASSERT_EQ(sh("docker network create " + prefix + "-net >/dev/null && echo ok"), "ok");
  run("db", kit_ref("redis"), "--network " + prefix + "-net --network-alias db",
      "redis-server --port 5432 --protected-mode no --save ''");
  std::string files = sh("mktemp -d");
  test::write_kit_files(files);
  auto table = test::kit_standins();
  auto images = render::release_images(config::k_default_release, "");
  int checked = 0;
  for (const auto& [service, ref] : images) {
    std::string image = std::string(k_registry) + "/" + ref;
    auto info = engine->inspect_image(image);
    ASSERT_TRUE(info.has_value()) << image;
    if (info->labels["dev.supactl.kit"] != "stand-in") continue;
    ASSERT_TRUE(table.count(service)) << service << " has a stand-in but no known-good run in kit_standins.hpp";
    const auto& how = table.at(service);
    if (how.health.empty()) continue;  // not a server (mc): kit_contract_test runs it
    ++checked;
    std::string c =
        run("s-" + service, image,
            "--network " + prefix + "-net -e KIT_PROBE=" + service + " " + test::with_files(how.args, files), how.cmd);
    std::string base = "http://127.0.0.1:" + std::to_string(how.port);
    std::string get = "docker exec " + c + " /.standin/get " + (how.header.empty() ? "" : "-H '" + how.header + "' ");
    std::string out;
    EXPECT_TRUE(eventually(get + base + how.health, std::chrono::seconds(30), &out))
        << service << ": " << out << sh(" ; docker logs " + c + " 2>&1 | tail -5");
    std::string env = sh("docker exec " + c + " /.standin/get " + base + "/__standin/env");
    auto j = nlohmann::json::parse(env, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << service << ": " << env;
    EXPECT_EQ(j["env"].value("KIT_PROBE", ""), service);
    // Unhealthy on demand: the health path answers 500 while the marker exists, 2xx after.
    int rc = 0;
    sh("docker exec " + c + " /.standin/unhealthy on", &rc);
    ASSERT_EQ(rc, 0) << service;
    std::string status = "docker exec " + c + " /.standin/get --status " +
                         (how.header.empty() ? "" : "-H '" + how.header + "' ") + base + how.health;
    EXPECT_EQ(sh(status), "500") << service;
    sh("docker exec " + c + " /.standin/unhealthy off");
    EXPECT_EQ(sh(status).substr(0, 1), "2") << service;
    sh("docker rm -fv " + c + " >/dev/null");
  }
  sh("rm -rf " + files);
  EXPECT_GE(checked, 12);
}

}  // namespace
}  // namespace supactl

// SPDX-License-Identifier: Apache-2.0

#include "unit/compose/compose_fixture.hpp"

#include <gtest/gtest.h>

namespace supactl::compose {
namespace {

using Words = std::vector<std::string>;

TEST(ComposeLoad, CommandAndEntrypointStringsAreShellSplitListsKept) {
  test::ComposeFiles files;
  Project p = files.load(R"(
services:
  db:
    image: postgres
    command: postgres -c 'config_file=/etc/postgresql/my conf.conf'
    entrypoint: ["docker-entrypoint.sh", "--flag with space"]
  vector:
    image: timberio/vector
    command: ["--config", "/etc/vector/vector.yml"]
)");
  EXPECT_EQ(*p.services.at("db").spec.cmd, (Words{"postgres", "-c", "config_file=/etc/postgresql/my conf.conf"}));
  EXPECT_EQ(*p.services.at("db").spec.entrypoint, (Words{"docker-entrypoint.sh", "--flag with space"}));
  EXPECT_EQ(*p.services.at("vector").spec.cmd, (Words{"--config", "/etc/vector/vector.yml"}));
  EXPECT_FALSE(p.services.at("vector").spec.entrypoint.has_value());
}

TEST(ComposeLoad, LoggingDriverAndOptionsGoIntoTheContainerSpecAndItsHash) {
  test::ComposeFiles files;
  const std::string plain = "services:\n  db:\n    image: postgres\n";
  Project p = files.load(plain + R"(    logging:
      driver: json-file
      options:
        max-size: 10m
        max-file: "5"
)");
  const docker::LogConfig& log = p.services.at("db").spec.log;
  EXPECT_EQ(log.driver, "json-file");
  EXPECT_EQ(log.options, (std::map<std::string, std::string>{{"max-file", "5"}, {"max-size", "10m"}}));
  EXPECT_NE(config_hash(p.services.at("db")), config_hash(files.load(plain).services.at("db")))
      << "changing the rotation recreates the container";
  EXPECT_NE(files.load_error(plain + "    logging: json-file\n").find("`logging` must be a mapping"),
            std::string::npos);
}

TEST(ComposeLoad, KongEntrypointWithEscapedDollarsSplitsLikeCompose) {
  test::ComposeFiles files;
  Project p = files.load(R"yaml(
services:
  kong:
    image: kong:2.8.1
    entrypoint: bash -c 'eval "echo \"$$(cat ~/temp.yml)\"" > ~/kong.yml && /docker-entrypoint.sh kong docker-start'
  supavisor:
    image: supabase/supavisor
    command:
      - /bin/sh
      - -c
      - /app/bin/migrate && /app/bin/supavisor eval "$$(cat /etc/pooler/pooler.exs)" && /app/bin/server
)yaml");
  EXPECT_EQ(*p.services.at("kong").spec.entrypoint,
            (Words{"bash", "-c",
                   "eval \"echo \\\"$(cat ~/temp.yml)\\\"\" > ~/kong.yml && /docker-entrypoint.sh kong docker-start"}));
  EXPECT_EQ(p.services.at("supavisor").spec.cmd->back(),
            "/app/bin/migrate && /app/bin/supavisor eval \"$(cat /etc/pooler/pooler.exs)\" && /app/bin/server");
}

TEST(ComposeLoad, EnvironmentMapAndListFormsAndBareKeysFromVariables) {
  test::ComposeFiles files;
  Project p = files.load(R"(
services:
  a:
    image: x
    environment:
      - PLAIN=1
      - FROM_VARS
      - DROPPED
      - WITH_EQUALS=a=b
  b:
    image: x
    environment:
      NUMBER: 5432
      BOOL: true
      FROM_VARS:
)",
                         {}, {{"FROM_VARS", "v"}});
  EXPECT_EQ(p.services.at("a").spec.env, (Words{"FROM_VARS=v", "PLAIN=1", "WITH_EQUALS=a=b"}));
  EXPECT_EQ(p.services.at("b").spec.env, (Words{"BOOL=true", "FROM_VARS=v", "NUMBER=5432"}));
}

TEST(ComposeLoad, EnvFileIsReadRelativeToTheProjectAndEnvironmentWins) {
  test::ComposeFiles files;
  files.write("env/db.env", "A=from-file\nB=from-file\n");
  Project p = files.load(R"(
services:
  db:
    image: x
    env_file: env/db.env
    environment:
      B: explicit
  other:
    image: x
    env_file:
      - path: missing.env
        required: false
)");
  EXPECT_EQ(p.services.at("db").spec.env, (Words{"A=from-file", "B=explicit"}));
  EXPECT_TRUE(p.services.at("other").spec.env.empty());
}

TEST(ComposeLoad, PortsInEverySyntax) {
  test::ComposeFiles files;
  Project p = files.load(R"(
services:
  gw:
    image: x
    ports:
      - "127.0.0.1:5432:5432"
      - "8000:8000/tcp"
      - "443:443/udp"
      - 9000:9000
      - target: 4000
        published: "14000"
        host_ip: 127.0.0.1
        protocol: tcp
        mode: host
    expose:
      - "3000"
      - 8000
)");
  const std::vector<docker::PortBinding>& ports = p.services.at("gw").spec.ports;
  ASSERT_EQ(ports.size(), 6u);
  EXPECT_EQ(ports[0].host_ip, "127.0.0.1");
  EXPECT_EQ(ports[1].host_port, 8000);
  EXPECT_EQ(ports[2].protocol, "udp");
  EXPECT_EQ(ports[3].host_port, 9000);
  EXPECT_EQ(ports[4].host_port, 14000);
  EXPECT_EQ(ports[4].container_port, 4000);
  EXPECT_EQ(ports[4].host_ip, "127.0.0.1");
  EXPECT_EQ(ports[5].container_port, 3000);  // expose 8000 is published already
  EXPECT_EQ(ports[5].host_port, 0);
}

TEST(ComposeLoad, VolumesShortAndLongSyntaxWithAbsoluteBindSources) {
  test::ComposeFiles files;
  Project p = files.load(R"(
services:
  db:
    image: x
    volumes:
      - ./volumes/db/realtime.sql:/docker-entrypoint-initdb.d/migrations/99-realtime.sql:Z
      - db-config:/etc/postgresql-custom
      - ./volumes/logs.sql:/logs.sql:ro,z
      - /var/run/docker.sock:/var/run/docker.sock:ro
      - /anonymous
      - type: bind
        source: ./functions
        target: /home/deno/functions
        read_only: true
      - type: volume
        source: deno-cache
        target: /root/.cache/deno
      - type: tmpfs
        target: /scratch
        tmpfs:
          size: 64m
volumes:
  db-config:
  deno-cache:
    name: custom-deno-cache
)");
  const std::string dir = files.dir().string();
  const std::vector<docker::Mount>& m = p.services.at("db").spec.mounts;
  ASSERT_EQ(m.size(), 7u);
  EXPECT_EQ(m[0].type, docker::Mount::Type::bind);
  EXPECT_EQ(m[0].source, dir + "/volumes/db/realtime.sql");
  EXPECT_EQ(m[0].target, "/docker-entrypoint-initdb.d/migrations/99-realtime.sql");
  EXPECT_FALSE(m[0].read_only);
  EXPECT_EQ(m[1].type, docker::Mount::Type::volume);
  EXPECT_EQ(m[1].source, "shop_db-config");
  EXPECT_TRUE(m[2].read_only);
  EXPECT_EQ(m[3].source, "/var/run/docker.sock");
  EXPECT_EQ(m[4].source, "");
  EXPECT_EQ(m[4].target, "/anonymous");
  EXPECT_EQ(m[5].source, dir + "/functions");
  EXPECT_TRUE(m[5].read_only);
  EXPECT_EQ(m[6].source, "custom-deno-cache");
  EXPECT_EQ(p.services.at("db").spec.tmpfs.at("/scratch"), "size=67108864");
  EXPECT_EQ(p.volumes.at("db-config").name, "shop_db-config");
}

TEST(ComposeLoad, HealthcheckDurationsBecomeNanoseconds) {
  test::ComposeFiles files;
  Project p = files.load(R"(
services:
  db:
    image: x
    healthcheck:
      test: pg_isready -U postgres -h localhost
      interval: 5s
      timeout: 1m30s
      retries: 10
      start_period: 500ms
      start_interval: 1s
  rest:
    image: x
    healthcheck:
      test: ["CMD", "postgrest", "--ready"]
  off:
    image: x
    healthcheck:
      disable: true
)");
  const docker::Healthcheck& h = *p.services.at("db").spec.healthcheck;
  EXPECT_EQ(h.test, (Words{"CMD-SHELL", "pg_isready -U postgres -h localhost"}));
  EXPECT_EQ(h.interval_ns, 5'000'000'000);
  EXPECT_EQ(h.timeout_ns, 90'000'000'000);
  EXPECT_EQ(h.retries, 10);
  EXPECT_EQ(h.start_period_ns, 500'000'000);
  EXPECT_EQ(h.start_interval_ns, 1'000'000'000);
  EXPECT_EQ(p.services.at("rest").spec.healthcheck->test, (Words{"CMD", "postgrest", "--ready"}));
  EXPECT_EQ(p.services.at("off").spec.healthcheck->test, (Words{"NONE"}));
}

TEST(ComposeLoad, DependsOnListAndMapForms) {
  test::ComposeFiles files;
  Project p = files.load(R"(
services:
  db:
    image: x
  init:
    image: x
  rest:
    image: x
    depends_on: [db]
  storage:
    image: x
    depends_on:
      init:
        condition: service_completed_successfully
      db:
        condition: service_healthy
        restart: true
        required: false
)");
  const std::vector<Dependency>& rest = p.services.at("rest").depends_on;
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].service, "db");
  EXPECT_EQ(rest[0].condition, DependsCondition::started);
  EXPECT_TRUE(rest[0].required);
  const std::vector<Dependency>& storage = p.services.at("storage").depends_on;
  ASSERT_EQ(storage.size(), 2u);  // sorted by service name
  EXPECT_EQ(storage[0].service, "db");
  EXPECT_EQ(storage[0].condition, DependsCondition::healthy);
  EXPECT_TRUE(storage[0].restart);
  EXPECT_FALSE(storage[0].required);
  EXPECT_EQ(storage[1].condition, DependsCondition::completed_successfully);
}

TEST(ComposeLoad, ScalarKeysAndLimits) {
  test::ComposeFiles files;
  Project p = files.load(R"(
services:
  vector:
    image: timberio/vector
    restart: on-failure:3
    container_name: supabase-vector
    hostname: vec
    user: 1000
    working_dir: /app
    stop_signal: SIGINT
    stop_grace_period: 1m
    init: true
    stdin_open: true
    tty: true
    shm_size: 256m
    mem_limit: 1g
    cpus: 0.5
    security_opt: [label=disable]
    extra_hosts:
      - host.docker.internal=host-gateway
      - "db:10.0.0.2"
    tmpfs: /run:size=10m
  web:
    image: x
    deploy:
      replicas: 3
      resources:
        limits:
          memory: 512m
          cpus: "2"
  batch:
    image: x
    scale: 0
    restart: "no"
)");
  const Service& v = p.services.at("vector");
  EXPECT_EQ(v.spec.restart.name, "on-failure");
  EXPECT_EQ(v.spec.restart.max_retries, 3);
  EXPECT_EQ(v.container_name, "supabase-vector");
  EXPECT_EQ(v.spec.hostname, "vec");
  EXPECT_EQ(v.spec.user, "1000");
  EXPECT_EQ(v.spec.working_dir, "/app");
  EXPECT_EQ(v.spec.stop_signal, "SIGINT");
  EXPECT_EQ(v.spec.stop_timeout, 60);
  EXPECT_TRUE(v.spec.init);
  EXPECT_TRUE(v.spec.open_stdin);
  EXPECT_TRUE(v.spec.tty);
  EXPECT_EQ(v.spec.shm_size, 256LL * 1024 * 1024);
  EXPECT_EQ(v.spec.memory_bytes, 1024LL * 1024 * 1024);
  EXPECT_EQ(v.spec.nano_cpus, 500'000'000);
  EXPECT_EQ(v.spec.security_opt, (Words{"label=disable"}));
  EXPECT_EQ(v.spec.extra_hosts, (Words{"host.docker.internal:host-gateway", "db:10.0.0.2"}));
  EXPECT_EQ(v.spec.tmpfs.at("/run"), "size=10m");
  const Service& w = p.services.at("web");
  EXPECT_EQ(w.replicas, 3);
  EXPECT_EQ(w.spec.memory_bytes, 512LL * 1024 * 1024);
  EXPECT_EQ(w.spec.nano_cpus, 2'000'000'000);
  EXPECT_EQ(p.services.at("batch").replicas, 0);
  EXPECT_EQ(p.services.at("batch").spec.restart.name, "no");
}

TEST(ComposeLoad, NetworksWithAliasesAndTheImplicitDefaultNetwork) {
  test::ComposeFiles files;
  Project p = files.load(R"(
services:
  kong:
    image: x
    networks:
      backend:
        aliases: [api-gw, gateway]
      frontend:
  db:
    image: x
    networks: [backend]
  studio:
    image: x
  host:
    image: x
    network_mode: host
networks:
  backend:
    internal: true
    labels:
      team: data
  frontend:
    name: shared-frontend
  outside:
    external: true
)");
  const Service& kong = p.services.at("kong");
  ASSERT_EQ(kong.networks.size(), 2u);
  EXPECT_EQ(kong.networks[0].key, "backend");
  EXPECT_EQ(kong.networks[0].aliases, (Words{"api-gw", "gateway"}));
  EXPECT_TRUE(p.services.at("studio").networks.empty());
  EXPECT_EQ(p.services.at("host").network_mode, "host");
  EXPECT_EQ(p.networks.at("backend").name, "shop_backend");
  EXPECT_TRUE(p.networks.at("backend").internal);
  EXPECT_EQ(p.networks.at("backend").labels.at("team"), "data");
  EXPECT_EQ(p.networks.at("frontend").name, "shared-frontend");
  EXPECT_EQ(p.networks.at("outside").name, "outside");
  EXPECT_TRUE(p.networks.at("outside").external);
  EXPECT_EQ(p.networks.at("default").name, "shop_default");
}

TEST(ComposeLoad, NoDefaultNetworkWhenEveryServiceNamesItsNetworks) {
  test::ComposeFiles files;
  Project p = files.load("services:\n  a:\n    image: x\n    networks: [n]\nnetworks:\n  n: {}\n");
  EXPECT_EQ(p.networks.count("default"), 0u);
}

TEST(ComposeLoad, ProjectNameComesFromOptionsThenTheFile) {
  test::ComposeFiles files;
  LoadOptions options;
  options.files.push_back(files.write("compose.yml", "name: supabase\nservices:\n  a:\n    image: x\n"));
  EXPECT_EQ(load(options).name, "supabase");
  options.project_name = "shop";
  Project p = load(options);
  EXPECT_EQ(p.name, "shop");
  EXPECT_EQ(p.working_dir, files.dir());
  EXPECT_EQ(p.config_files, std::vector<std::filesystem::path>{files.dir() / "compose.yml"});
}

TEST(ComposeLoad, AnchorsAliasesAndMergeKeysWork) {
  test::ComposeFiles files;
  Project p = files.load(R"(
x-common: &common
  restart: unless-stopped
  environment: &env
    SHARED: "1"
services:
  a:
    <<: *common
    image: a
  b:
    <<: *common
    image: b
    restart: always
    environment:
      <<: *env
      OWN: "2"
)");
  EXPECT_EQ(p.services.at("a").spec.restart.name, "unless-stopped");
  EXPECT_EQ(p.services.at("a").spec.env, (Words{"SHARED=1"}));
  EXPECT_EQ(p.services.at("b").spec.restart.name, "always");
  EXPECT_EQ(p.services.at("b").spec.env, (Words{"OWN=2", "SHARED=1"}));
  EXPECT_TRUE(p.warnings.empty());
}

TEST(ComposeLoad, ProfilesLeaveServicesOutUnlessActive) {
  test::ComposeFiles files;
  const std::string text = "services:\n  a:\n    image: x\n  shim:\n    image: x\n    profiles: [disabled]\n";
  Project p = files.load(text);
  EXPECT_EQ(p.services.count("shim"), 0u);
  LoadOptions options;
  options.files = {files.dir() / "compose.yml"};
  options.profiles = {"disabled"};
  EXPECT_EQ(load(options).services.at("shim").profiles, (Words{"disabled"}));
}

TEST(ComposeLoad, UnsupportedKeysBecomeWarnings) {
  test::ComposeFiles files;
  Project p = files.load(R"(
version: "3.8"
services:
  studio:
    image: x
    build: .
    logging:
      driver: json-file
      tag: "{{.Name}}"
    x-note: ignored silently
    deploy:
      placement: {}
secrets:
  s: {}
)");
  EXPECT_EQ(p.warnings, (Words{"top-level key `secrets` is not supported and was ignored",
                               "service studio: key `build` is not supported and was ignored",
                               "service studio: key `logging.tag` is not supported and was ignored",
                               "service studio: key `deploy.placement` is not supported and was ignored"}));
}

TEST(ComposeLoad, FractionalCpusRoundToTheNearestNanoCpu) {
  test::ComposeFiles files;
  EXPECT_EQ(files.load("services:\n  a:\n    image: x\n    cpus: 0.3\n").services.at("a").spec.nano_cpus, 300'000'000);
}

TEST(ComposeLoad, MergeKeyListsPreferEarlierSources) {
  test::ComposeFiles files;
  Project p = files.load(R"(
x-a: &a
  restart: always
  user: "1"
x-b: &b
  restart: "no"
  hostname: from-b
services:
  s:
    <<: [*a, *b]
    image: x
)");
  const Service& s = p.services.at("s");
  EXPECT_EQ(s.spec.restart.name, "always");
  EXPECT_EQ(s.spec.user, "1");
  EXPECT_EQ(s.spec.hostname, "from-b");
}

}  // namespace
}  // namespace supactl::compose

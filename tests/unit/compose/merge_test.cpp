// SPDX-License-Identifier: Apache-2.0

#include "unit/compose/compose_fixture.hpp"

#include <gtest/gtest.h>

namespace supactl::compose {
namespace {

using Words = std::vector<std::string>;

const char* const k_base = R"(
services:
  db:
    image: postgres:15
    command: postgres -c a=1
    restart: unless-stopped
    environment:
      POSTGRES_DB: postgres
      PGPORT: "5432"
    labels:
      - tier=data
    ports:
      - "127.0.0.1:5432:5432"
    expose: ["9187"]
    volumes:
      - ./volumes/db:/var/lib/postgresql/data:Z
      - ./init.sql:/docker-entrypoint-initdb.d/init.sql:ro
    healthcheck:
      test: pg_isready
      interval: 5s
    depends_on:
      vector:
        condition: service_healthy
    networks:
      backend:
        aliases: [database]
  vector:
    image: timberio/vector
networks:
  backend: {}
)";

TEST(ComposeMerge, OverrideScalarsReplaceAndEnvironmentMergesByKey) {
  test::ComposeFiles files;
  Project p = files.load(k_base, R"(
services:
  db:
    image: postgres:17
    environment:
      - PGPORT=6543
      - EXTRA=1
    labels:
      owner: me
)");
  const Service& db = p.services.at("db");
  EXPECT_EQ(db.spec.image, "postgres:17");
  EXPECT_EQ(db.spec.restart.name, "unless-stopped");
  EXPECT_EQ(db.spec.env, (Words{"EXTRA=1", "PGPORT=6543", "POSTGRES_DB=postgres"}));
  EXPECT_EQ(db.spec.labels, (docker::Labels{{"owner", "me"}, {"tier", "data"}}));
}

TEST(ComposeMerge, PortsAndExposeAppendWithoutDuplicates) {
  test::ComposeFiles files;
  Project p = files.load(k_base, R"(
services:
  db:
    ports:
      - "127.0.0.1:5432:5432"
      - "6543:6543"
    expose: ["9187", "9000"]
)");
  const std::vector<docker::PortBinding>& ports = p.services.at("db").spec.ports;
  ASSERT_EQ(ports.size(), 4u);
  EXPECT_EQ(ports[0].host_port, 5432);
  EXPECT_EQ(ports[1].host_port, 6543);
  EXPECT_EQ(ports[2].container_port, 9187);
  EXPECT_EQ(ports[3].container_port, 9000);
}

TEST(ComposeMerge, VolumesMergeByTargetPath) {
  test::ComposeFiles files;
  Project p = files.load(k_base, R"(
services:
  db:
    volumes:
      - db-data:/var/lib/postgresql/data
      - ./extra.sql:/extra.sql
volumes:
  db-data:
)");
  const std::vector<docker::Mount>& m = p.services.at("db").spec.mounts;
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].type, docker::Mount::Type::volume);
  EXPECT_EQ(m[0].source, "shop_db-data");
  EXPECT_EQ(m[0].target, "/var/lib/postgresql/data");
  EXPECT_EQ(m[1].target, "/docker-entrypoint-initdb.d/init.sql");
  EXPECT_EQ(m[2].target, "/extra.sql");
}

TEST(ComposeMerge, CommandEntrypointAndHealthcheckTestReplace) {
  test::ComposeFiles files;
  Project p = files.load(k_base, R"(
services:
  db:
    command: ["postgres", "-c", "b=2"]
    healthcheck:
      test: ["CMD", "true"]
)");
  const Service& db = p.services.at("db");
  EXPECT_EQ(*db.spec.cmd, (Words{"postgres", "-c", "b=2"}));
  EXPECT_EQ(db.spec.healthcheck->test, (Words{"CMD", "true"}));
  EXPECT_EQ(db.spec.healthcheck->interval_ns, 5'000'000'000);  // the rest of healthcheck merges
}

TEST(ComposeMerge, ResetTagEmptiesAValue) {
  test::ComposeFiles files;
  Project p = files.load(k_base, R"(
services:
  db:
    ports: !reset []
    depends_on: !reset []
    command: !reset null
)");
  const Service& db = p.services.at("db");
  ASSERT_EQ(db.spec.ports.size(), 1u);  // only the expose is left
  EXPECT_EQ(db.spec.ports[0].container_port, 9187);
  EXPECT_EQ(db.spec.ports[0].host_port, 0);
  EXPECT_TRUE(db.depends_on.empty());
  EXPECT_FALSE(db.spec.cmd.has_value());
}

TEST(ComposeMerge, OverrideTagReplacesTheWholeValue) {
  test::ComposeFiles files;
  Project p = files.load(k_base, R"(
services:
  db:
    environment: !override
      ONLY: this
    volumes: !override
      - ./other:/other
)");
  const Service& db = p.services.at("db");
  EXPECT_EQ(db.spec.env, (Words{"ONLY=this"}));
  ASSERT_EQ(db.spec.mounts.size(), 1u);
  EXPECT_EQ(db.spec.mounts[0].target, "/other");
}

TEST(ComposeMerge, DependsOnAndNetworksMergeByKey) {
  test::ComposeFiles files;
  Project p = files.load(k_base, R"(
services:
  db:
    depends_on: [extra]
    networks:
      backend:
        aliases: [pg]
      frontend:
  extra:
    image: x
networks:
  frontend: {}
)");
  const Service& db = p.services.at("db");
  ASSERT_EQ(db.depends_on.size(), 2u);
  EXPECT_EQ(db.depends_on[0].service, "extra");
  EXPECT_EQ(db.depends_on[1].service, "vector");
  EXPECT_EQ(db.depends_on[1].condition, DependsCondition::healthy);
  ASSERT_EQ(db.networks.size(), 2u);
  EXPECT_EQ(db.networks[0].aliases, (Words{"database", "pg"}));
  EXPECT_EQ(db.networks[1].key, "frontend");
}

TEST(ComposeMerge, OverrideCanAddAWholeService) {
  test::ComposeFiles files;
  Project p = files.load(k_base, "services:\n  minio:\n    image: minio/minio\n");
  EXPECT_EQ(p.services.size(), 3u);
  EXPECT_EQ(p.services.at("minio").spec.image, "minio/minio");
  ASSERT_EQ(p.config_files.size(), 2u);
  EXPECT_EQ(p.config_files[1], files.dir() / "compose.override.yml");
}

TEST(ComposeMerge, ErrorsInTheOverrideNameTheOverrideFile) {
  test::ComposeFiles files;
  std::string message = files.load_error(k_base, "services:\n  db:\n    ports: [\"nope\"]\n");
  EXPECT_NE(message.find("compose.override.yml:3: service db: bad port"), std::string::npos) << message;
}

}  // namespace
}  // namespace supactl::compose

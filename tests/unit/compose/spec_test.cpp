// SPDX-License-Identifier: Apache-2.0

#include "support/golden.hpp"
#include "unit/compose/compose_fixture.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace supactl::compose {
namespace {

using Words = std::vector<std::string>;

const char* const k_stack = R"(
name: ignored-because-options-win
services:
  db:
    image: supabase/postgres:17.6.1.136
    restart: unless-stopped
    environment:
      POSTGRES_PASSWORD: secret
      PGPORT: "5432"
    labels:
      team: data
    volumes:
      - db-config:/etc/postgresql-custom
    networks:
      backend:
        aliases: [postgres]
  rest:
    image: postgrest/postgrest:v14.17
    depends_on:
      db:
        condition: service_healthy
        restart: true
    networks: [backend, frontend]
  studio:
    image: supabase/studio
    container_name: supabase-studio
    depends_on: [rest, db]
networks:
  backend: {}
  frontend: {}
volumes:
  db-config:
)";

/// Same services, keys and list entries in another order.
const char* const k_stack_reordered = R"(
volumes:
  db-config:
networks:
  frontend: {}
  backend: {}
services:
  studio:
    depends_on: [db, rest]
    container_name: supabase-studio
    image: supabase/studio
  rest:
    networks: [frontend, backend]
    depends_on:
      db:
        restart: true
        condition: service_healthy
    image: postgrest/postgrest:v14.17
  db:
    networks:
      backend:
        aliases: [postgres]
    volumes:
      - db-config:/etc/postgresql-custom
    labels:
      team: data
    environment:
      PGPORT: "5432"
      POSTGRES_PASSWORD: secret
    restart: unless-stopped
    image: supabase/postgres:17.6.1.136
)";

std::string describe(const docker::ContainerSpec& spec, const std::filesystem::path& dir) {
  std::ostringstream out;
  out << "name: " << spec.name << "\n";
  for (const auto& [key, value] : spec.labels) {
    std::string shown = value;
    size_t at = shown.find(dir.string());
    while (at != std::string::npos) {
      shown.replace(at, dir.string().size(), "<dir>");
      at = shown.find(dir.string());
    }
    if (key == k_label_config_hash) shown = "<sha256:" + std::to_string(shown.size() * 4) + " bits>";
    if (key == k_label_supactl_version) shown = "<SUPACTL_VERSION>";
    out << "label " << key << "=" << shown << "\n";
  }
  for (const docker::EndpointSpec& e : spec.networks) {
    out << "network " << e.network << " aliases";
    for (const std::string& a : e.aliases) out << " " << a;
    out << "\n";
  }
  return out.str();
}

TEST(ComposeSpec, ConfigHashIsStableUnderReordering) {
  test::ComposeFiles a;
  test::ComposeFiles b;
  Project first = a.load(k_stack);
  Project second = b.load(k_stack_reordered);
  for (const auto& [name, service] : first.services) {
    EXPECT_EQ(config_hash(service), config_hash(second.services.at(name))) << name;
    EXPECT_EQ(config_hash(service).size(), 64u);
  }
}

TEST(ComposeSpec, ConfigHashOfAFixedServiceNeverChanges) {
  // Changing the canonical form recreates every container of every instance on upgrade:
  // only update this value on purpose.
  Service s;
  s.name = "db";
  s.spec.image = "supabase/postgres:17.6.1.136";
  s.spec.env = {"PGPORT=5432"};
  EXPECT_EQ(config_hash(s), "a62250dd8014dfa4fcc2f28b57a9771e81600b57efe0030532999f1066076b42");
}

TEST(ComposeSpec, ConfigHashChangesWithAnEnvValue) {
  test::ComposeFiles files;
  Service db = files.load(k_stack).services.at("db");
  std::string before = config_hash(db);
  db.spec.env = {"PGPORT=5432", "POSTGRES_PASSWORD=other"};
  EXPECT_NE(config_hash(db), before);
}

TEST(ComposeSpec, ConfigHashIgnoresReplicasDependsOnAndProfiles) {
  test::ComposeFiles files;
  Service rest = files.load(k_stack).services.at("rest");
  std::string before = config_hash(rest);
  rest.replicas = 5;
  rest.depends_on.clear();
  rest.profiles = {"extra"};
  EXPECT_EQ(config_hash(rest), before);
  rest.spec.image = "postgrest/postgrest:v15";
  EXPECT_NE(config_hash(rest), before);
}

TEST(ComposeSpec, ContainerSpecNamesLabelsAndAliases) {
  test::ComposeFiles files;
  Project p = files.load(k_stack);
  std::string text;
  for (const auto& [name, service] : p.services) {
    text += describe(container_spec(p, service, name == "rest" ? 2 : 1), files.dir()) + "\n";
  }
  test::expect_golden("compose/container_specs.txt", text);
}

TEST(ComposeSpec, ContainerSpecExactLabelsForOneService) {
  test::ComposeFiles files;
  Project p = files.load(k_stack);
  const Service& rest = p.services.at("rest");
  docker::ContainerSpec spec = container_spec(p, rest, 2);
  EXPECT_EQ(spec.name, "shop-rest-2");
  EXPECT_EQ(spec.image, "postgrest/postgrest:v14.17");
  docker::Labels expected{
      {k_label_project, "shop"},
      {k_label_service, "rest"},
      {k_label_number, "2"},
      {k_label_config_hash, config_hash(rest)},
      {k_label_oneoff, "False"},
      {k_label_version, k_compose_version},
      {k_label_working_dir, files.dir().string()},
      {k_label_config_files, (files.dir() / "compose.yml").string()},
      {k_label_depends_on, "db:service_healthy:true"},
      {k_label_instance, "shop"},
      {k_label_supactl_version, SUPACTL_VERSION},
  };
  EXPECT_EQ(spec.labels, expected);
  ASSERT_EQ(spec.networks.size(), 2u);
  EXPECT_EQ(spec.networks[0].network, "shop_backend");
  EXPECT_EQ(spec.networks[0].aliases, (Words{"rest"}));
  EXPECT_EQ(spec.networks[1].network, "shop_frontend");
}

TEST(ComposeSpec, ServicesWithoutNetworksJoinTheDefaultNetwork) {
  test::ComposeFiles files;
  Project p = files.load(k_stack);
  docker::ContainerSpec spec = container_spec(p, p.services.at("studio"), 1);
  EXPECT_EQ(spec.name, "supabase-studio");
  ASSERT_EQ(spec.networks.size(), 1u);
  EXPECT_EQ(spec.networks[0].network, "shop_default");
  EXPECT_EQ(spec.networks[0].aliases, (Words{"studio"}));
  EXPECT_EQ(spec.labels.at(k_label_depends_on), "db:service_started:false,rest:service_started:false");
}

TEST(ComposeSpec, NetworkModeHostGivesOneEndpointWithoutAliases) {
  test::ComposeFiles files;
  Project p = files.load("services:\n  a:\n    image: x\n    network_mode: host\n");
  docker::ContainerSpec spec = container_spec(p, p.services.at("a"), 1);
  ASSERT_EQ(spec.networks.size(), 1u);
  EXPECT_EQ(spec.networks[0].network, "host");
  EXPECT_TRUE(spec.networks[0].aliases.empty());
  EXPECT_EQ(p.networks.count("default"), 0u);
}

TEST(ComposeSpec, NetworkAndVolumeLabels) {
  test::ComposeFiles files;
  Project p = files.load(k_stack);
  EXPECT_EQ(network_labels(p, p.networks.at("backend")), (docker::Labels{{k_label_project, "shop"},
                                                                         {k_label_network, "backend"},
                                                                         {k_label_version, k_compose_version},
                                                                         {k_label_instance, "shop"},
                                                                         {k_label_supactl_version, SUPACTL_VERSION}}));
  EXPECT_EQ(volume_labels(p, p.volumes.at("db-config")), (docker::Labels{{k_label_project, "shop"},
                                                                         {k_label_volume, "db-config"},
                                                                         {k_label_version, k_compose_version},
                                                                         {k_label_instance, "shop"},
                                                                         {k_label_supactl_version, SUPACTL_VERSION}}));
}

TEST(ComposeOrder, DependenciesComeFirstAndPeersAlphabetically) {
  test::ComposeFiles files;
  Project p = files.load(k_stack);
  EXPECT_EQ(topological_order(p), (Words{"db", "rest", "studio"}));

  Project wide;
  for (const char* name : {"zeta", "alpha", "mid", "top"}) wide.services[name].name = name;
  wide.services["top"].depends_on = {{"zeta", DependsCondition::started, false, true},
                                     {"alpha", DependsCondition::started, false, true}};
  wide.services["mid"].depends_on = {{"zeta", DependsCondition::healthy, false, true}};
  EXPECT_EQ(topological_order(wide), (Words{"alpha", "zeta", "mid", "top"}));
}

TEST(ComposeOrder, CycleIsNamedInTheError) {
  Project p;
  for (const char* name : {"a", "b", "c", "d"}) p.services[name].name = name;
  p.services["a"].depends_on = {{"b", DependsCondition::started, false, true}};
  p.services["b"].depends_on = {{"c", DependsCondition::started, false, true}};
  p.services["c"].depends_on = {{"b", DependsCondition::started, false, true}};
  try {
    topological_order(p);
    FAIL() << "expected a cycle error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "dependency cycle between services: b -> c -> b");
    EXPECT_EQ(e.code(), ExitCode::usage);
  }
}

}  // namespace
}  // namespace supactl::compose

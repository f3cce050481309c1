// SPDX-License-Identifier: Apache-2.0
#include <supactl/swarm/swarm.hpp>

#include <supactl/config/spec.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>

#include <gtest/gtest.h>

#include <algorithm>

#include "support/temp_dir.hpp"
#include "unit/plan/plan_fixture.hpp"

namespace supactl::swarm {
namespace {

using nlohmann::json;
using plan::OpType;

constexpr const char* k_password = "s3cret-password-of-the-db";

struct Fixture {
  test::TempDir dir;
  compose::Project project = test::make_project();
  Options options;

  Fixture() {
    project.working_dir = dir.path();
    options.project = "shop";
    options.secret_values = {k_password, "short"};
    options.image_commands["postgrest/postgrest:v14.17"] = {{}, {"/bin/postgrest"}};
    options.image_commands["supabase/storage-api:v1.74.0"] = {{"docker-entrypoint.sh"}, {"node", "server.js"}};
    options.no_shell_services = {"rest"};
    core::write_file_atomic(dir.path() / "kong.yml", "keys: plain\n");
    core::write_file_atomic(dir.path() / "jwt.sql", std::string("alter role x password '") + k_password + "';\n");
    compose::Service& kong = project.services.at("kong");
    kong.spec.mounts.push_back(
        {docker::Mount::Type::bind, (dir.path() / "kong.yml").string(), "/home/kong/temp.yml", true, ""});
    compose::Service& db = project.services.at("db");
    db.spec.mounts.push_back({docker::Mount::Type::volume, "shop_db-data", "/var/lib/postgresql/data", false, ""});
    db.spec.mounts.push_back({docker::Mount::Type::bind, (dir.path() / "jwt.sql").string(),
                              "/docker-entrypoint-initdb.d/99-jwt.sql", true, ""});
    db.spec.env.push_back(std::string("POSTGRES_PASSWORD=") + k_password);
    compose::Service& storage = project.services.at("storage");
    storage.spec.env.push_back(std::string("DATABASE_URL=postgres://u:") + k_password + "@db/postgres");
    storage.spec.healthcheck->test = {"CMD-SHELL",
                                      std::string("probe --url postgres://u:") + k_password + "@db/postgres"};
    project.services.at("rest").spec.env.push_back(std::string("PGRST_DB_URI=postgres://a:") + k_password + "@db/x");
  }
  Desired want() const { return desired(project, options); }
};

const json& container_of(const Desired& d, const std::string& service) {
  return d.services.at(service).spec["TaskTemplate"]["ContainerSpec"];
}

TEST(SwarmDesired, NetworksAreAttachableOverlaysAndKeepInternal) {
  Fixture f;
  const Desired d = f.want();
  ASSERT_EQ(d.networks.size(), 1u);
  EXPECT_EQ(d.networks[0].name, "shop_backend");
  EXPECT_EQ(d.networks[0].driver, "overlay");
  EXPECT_TRUE(d.networks[0].internal);
  EXPECT_TRUE(d.networks[0].attachable);
  EXPECT_EQ(docker::label_of(d.networks[0].labels, k_label_namespace), "shop");
}

TEST(SwarmDesired, EveryServiceResolvesByDnsRoundRobinUnderItsComposeName) {
  Fixture f;
  for (const auto& [name, s] : f.want().services) {
    EXPECT_EQ(s.spec["EndpointSpec"]["Mode"], "dnsrr") << name;
    EXPECT_EQ(s.spec["TaskTemplate"]["Networks"][0]["Aliases"][0], name) << name;
    EXPECT_EQ(s.spec["Labels"][k_label_namespace], "shop") << name;
    EXPECT_EQ(s.spec["Name"], "shop_" + name);
  }
}

TEST(SwarmDesired, StatefulServicesArePinnedAndStopFirstStatelessRollStartFirst) {
  Fixture f;
  f.project.services.at("rest").replicas = 3;
  const Desired d = f.want();
  const ServiceObject& db = d.services.at("db");
  EXPECT_TRUE(db.stateful);
  EXPECT_EQ(db.spec["TaskTemplate"]["Placement"]["Constraints"][0], "node.labels.dev.supactl.place.shop.db==true");
  EXPECT_EQ(db.spec["UpdateConfig"]["Order"], "stop-first");
  const ServiceObject& rest = d.services.at("rest");
  EXPECT_FALSE(rest.stateful);
  EXPECT_FALSE(rest.spec["TaskTemplate"].contains("Placement"));
  EXPECT_EQ(rest.spec["Mode"]["Replicated"]["Replicas"], 3);
  EXPECT_EQ(rest.spec["UpdateConfig"]["Order"], "start-first");
  EXPECT_EQ(rest.spec["UpdateConfig"]["FailureAction"], "rollback");
}

TEST(SwarmDesired, AOneShotServiceIsAJobThatRestartsOnlyOnFailure) {
  Fixture f;
  const Desired d = f.want();
  const ServiceObject& job = d.services.at("minio-init");
  EXPECT_TRUE(job.job);
  EXPECT_TRUE(job.spec["Mode"].contains("ReplicatedJob"));
  EXPECT_FALSE(job.spec.contains("UpdateConfig"));
  EXPECT_EQ(job.spec["TaskTemplate"]["RestartPolicy"]["Condition"], "on-failure");
}

TEST(SwarmDesired, SecretValuesLeaveTheServiceSpecForSecretFiles) {
  Fixture f;
  const Desired d = f.want();
  for (const std::string service : {"db", "storage"}) {
    const json& c = container_of(d, service);
    EXPECT_EQ(d.services.at(service).spec.dump().find(k_password), std::string::npos) << service;
    ASSERT_TRUE(c.contains("Secrets")) << service;
    EXPECT_EQ(c["Command"][0], "/bin/sh");
  }
  // The image's own entrypoint and command run after the prelude.
  EXPECT_EQ(container_of(d, "storage")["Args"], json({"docker-entrypoint.sh", "node", "server.js"}));
  // A health test that named the value names the variable instead, after the same prelude.
  const std::string test = container_of(d, "storage")["Healthcheck"]["Test"][1];
  EXPECT_NE(test.find("${DATABASE_URL}"), std::string::npos) << test;
  EXPECT_NE(test.find("/run/secrets/env."), std::string::npos) << test;
  // The secret's bytes are the value, under a name that carries their hash.
  int with_value = 0;
  for (const auto& [name, s] : d.secrets) with_value += s.data == k_password ? 1 : 0;
  EXPECT_EQ(with_value, 1);
}

TEST(SwarmDesired, AnExecFormHealthTestHoldingASecretBecomesAQuotedShellOne) {
  Fixture f;
  f.project.services.at("kong").spec.healthcheck->test = {
      "CMD", "curl", "-H", std::string("Authorization: Bearer ") + k_password, "http://localhost:8000/it's"};
  const Desired d = f.want();
  const json& c = container_of(d, "kong");
  const std::vector<std::string> test = c["Healthcheck"]["Test"];
  ASSERT_EQ(test.size(), 2u);
  EXPECT_EQ(test[0], "CMD-SHELL");
  EXPECT_EQ(test[1].find(k_password), std::string::npos) << test[1];
  // The value had no variable of its own: it gets one, read from a secret file, and the
  // single quotes are closed around the reference.
  EXPECT_NE(test[1].find("'Authorization: Bearer '\"${SUPACTL_SECRET_"), std::string::npos) << test[1];
  EXPECT_NE(test[1].find("'http://localhost:8000/it'\\''s'"), std::string::npos) << test[1];
  EXPECT_EQ(c["Secrets"].size(), 1u);
}

TEST(SwarmDesired, AnImageWithoutAShellKeepsItsSecretsInTheEnvironmentAndSaysWhich) {
  Fixture f;
  const Desired d = f.want();
  const ServiceObject& rest = d.services.at("rest");
  EXPECT_EQ(rest.visible_secret_env, std::vector<std::string>{"PGRST_DB_URI"});
  EXPECT_FALSE(rest.spec["TaskTemplate"]["ContainerSpec"].contains("Command"));
}

TEST(SwarmDesired, BoundFilesBecomeConfigsOrSecretsNamedByTheirContent) {
  Fixture f;
  const Desired d = f.want();
  const json& kong = container_of(d, "kong");
  ASSERT_EQ(kong["Configs"].size(), 1u);
  EXPECT_EQ(kong["Configs"][0]["File"]["Name"], "/home/kong/temp.yml");
  const std::string before = kong["Configs"][0]["ConfigName"];
  EXPECT_EQ(before.rfind("shop_kong-yml_", 0), 0u) << before;
  // jwt.sql holds the password: a secret, not a config.
  bool sql_secret = false;
  for (const json& s : container_of(d, "db")["Secrets"]) {
    sql_secret = sql_secret || s["File"]["Name"] == "/docker-entrypoint-initdb.d/99-jwt.sql";
  }
  EXPECT_TRUE(sql_secret);
  core::write_file_atomic(f.dir.path() / "kong.yml", "keys: changed\n");
  const Desired after = f.want();
  EXPECT_NE(container_of(after, "kong")["Configs"][0]["ConfigName"], before);
  EXPECT_NE(after.services.at("kong").hash, d.services.at("kong").hash);
  EXPECT_EQ(after.services.at("rest").hash, d.services.at("rest").hash);
}

TEST(SwarmDesired, NetworkModeIsRefused) {
  Fixture f;
  f.project.services.at("kong").network_mode = "host";
  try {
    f.want();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
  }
}

Observed manager_only() {
  Observed o;
  o.manager = true;
  o.self_node = "node-a";
  Node a;
  a.id = "node-a";
  a.hostname = "box";
  a.version = 7;
  a.spec = {{"Role", "manager"}, {"Availability", "active"}, {"Labels", json::object()}};
  o.nodes.push_back(a);
  Node b = a;
  b.id = "node-b";
  b.version = 9;
  b.spec["Role"] = "worker";
  o.nodes.push_back(b);
  return o;
}

/// What the swarm holds once `d` was applied on `o`.
Observed converged(const Desired& d, Observed o, const std::string& node) {
  for (const docker::NetworkSpec& n : d.networks) o.networks.insert(n.name);
  for (const auto& [name, c] : d.configs) o.configs[name] = "id-" + name;
  for (const auto& [name, s] : d.secrets) o.secrets[name] = "id-" + name;
  for (const auto& [key, s] : d.services) {
    o.services.push_back({"id-" + key, s.name, key, s.hash, 3});
    if (s.stateful) {
      for (Node& n : o.nodes) {
        if (n.id == node) {
          n.labels[placement_label("shop", key)] = "true";
          n.spec["Labels"][placement_label("shop", key)] = "true";
        }
      }
    }
  }
  return o;
}

ReconcileOptions on(const Desired& d, const std::string& node) {
  ReconcileOptions r;
  for (const auto& [key, s] : d.services) {
    if (s.stateful) r.placement[key] = node;
  }
  return r;
}

TEST(SwarmReconcile, AFreshSwarmGetsEveryObjectThenWaitsInDependencyOrder) {
  Fixture f;
  const Desired d = f.want();
  const plan::Plan p = reconcile(d, manager_only(), on(d, "node-a"));
  EXPECT_EQ(p.count(OpType::create_network), 1u);
  EXPECT_EQ(p.count(OpType::create_service), d.services.size());
  EXPECT_EQ(p.count(OpType::wait_service), d.services.size());
  EXPECT_EQ(p.count(OpType::create_config), d.configs.size());
  EXPECT_EQ(p.count(OpType::create_secret), d.secrets.size());
  ASSERT_EQ(p.count(OpType::update_node), 1u);  // db's and minio's labels on node-a, one update
  for (const plan::Operation& op : p.ops) {
    if (op.type == OpType::update_node) {
      EXPECT_EQ(op.target, "node-a");
      EXPECT_EQ(op.version, 7);
      EXPECT_EQ(json::parse(op.body)["Labels"][placement_label("shop", "db")], "true");
    }
  }
  // storage is created only after db's and minio-init's waits.
  std::set<std::string> waited;
  for (const plan::Operation& op : p.ops) {
    if (op.type != OpType::create_service || op.service != "storage") continue;
    for (int dep : op.deps) {
      const plan::Operation& before = p.ops[static_cast<size_t>(dep - 1)];
      if (before.type == OpType::wait_service) waited.insert(before.service);
    }
  }
  EXPECT_EQ(waited, (std::set<std::string>{"db", "minio-init"}));
}

TEST(SwarmReconcile, AConvergedSwarmGetsNoWriteAtAll) {
  Fixture f;
  const Desired d = f.want();
  const plan::Plan p = reconcile(d, converged(d, manager_only(), "node-a"), on(d, "node-a"));
  EXPECT_EQ(p.write_count(), 0u) << p.to_string();
  EXPECT_EQ(p.count(OpType::wait_service), d.services.size());
}

TEST(SwarmReconcile, AChangedFileUpdatesOnlyTheServiceThatUsesItAndDropsTheOldObjectLast) {
  Fixture f;
  const Desired before = f.want();
  const Observed seen = converged(before, manager_only(), "node-a");
  core::write_file_atomic(f.dir.path() / "kong.yml", "keys: rotated\n");
  const Desired after = f.want();
  const plan::Plan p = reconcile(after, seen, on(after, "node-a"));
  EXPECT_EQ(p.count(OpType::create_config), 1u) << p.to_string();
  ASSERT_EQ(p.count(OpType::update_service), 1u) << p.to_string();
  EXPECT_EQ(p.count(OpType::create_service), 0u);
  ASSERT_EQ(p.count(OpType::remove_config), 1u);
  const plan::Operation* update = nullptr;
  const plan::Operation* drop = nullptr;
  for (const plan::Operation& op : p.ops) {
    if (op.type == OpType::update_service) update = &op;
    if (op.type == OpType::remove_config) drop = &op;
  }
  EXPECT_EQ(update->service, "kong");
  EXPECT_EQ(update->version, 3);
  // The old config goes only once every service was waited for.
  EXPECT_EQ(drop->deps.size(), after.services.size());
}

TEST(SwarmReconcile, MovingAStatefulServiceMovesItsLabel) {
  Fixture f;
  const Desired d = f.want();
  ReconcileOptions to_b = on(d, "node-b");
  const plan::Plan p = reconcile(d, converged(d, manager_only(), "node-a"), to_b);
  ASSERT_EQ(p.count(OpType::update_node), 2u) << p.to_string();
  for (const plan::Operation& op : p.ops) {
    if (op.type != OpType::update_node) continue;
    const json labels = json::parse(op.body)["Labels"];
    EXPECT_EQ(labels.contains(placement_label("shop", "db")), op.target == "node-b") << op.target;
  }
}

TEST(SwarmReconcile, AServiceNoLongerWantedIsRemoved) {
  Fixture f;
  const Desired d = f.want();
  Observed seen = converged(d, manager_only(), "node-a");
  seen.services.push_back({"id-studio", "shop_studio", "studio", "h", 1});
  const plan::Plan p = reconcile(d, seen, on(d, "node-a"));
  ASSERT_EQ(p.count(OpType::remove_service), 1u);
  EXPECT_EQ(p.ops.back().type, OpType::remove_service);
  EXPECT_EQ(p.ops.back().target, "shop_studio");
}

TEST(SwarmPlacement, NodesAreNamedByIdOrAnUnambiguousHostname) {
  Observed o = manager_only();
  EXPECT_EQ(resolve_placement(o, {"db"}, {}).at("db"), "node-a");
  EXPECT_EQ(resolve_placement(o, {"db"}, {{"db", "node-b"}}).at("db"), "node-b");
  EXPECT_THROW(resolve_placement(o, {"db"}, {{"db", "box"}}), Error);  // both nodes are `box`
  EXPECT_THROW(resolve_placement(o, {"db"}, {{"db", "elsewhere"}}), Error);
  o.nodes[1].hostname = "other";
  EXPECT_EQ(resolve_placement(o, {"db"}, {{"db", "other"}}).at("db"), "node-b");
}

TEST(SwarmSpec, ModeAndPlacementSurviveAWriteAndARead) {
  config::InstanceSpec spec;
  spec.name = "shop";
  spec.ports.http = 8000;
  spec.ports.https = 8443;
  EXPECT_EQ(config::format_spec(spec).find("engine:"), std::string::npos);  // standalone: as before
  spec.engine_mode = "swarm";
  spec.placement["db"] = "node-b";
  const config::InstanceSpec back = config::parse_spec(config::format_spec(spec), "instance.yaml");
  EXPECT_TRUE(back.swarm());
  EXPECT_EQ(back.placement, (std::map<std::string, std::string>{{"db", "node-b"}}));
  spec.edge = "shared";
  spec.domain = "shop.example.com";
  EXPECT_THROW(config::parse_spec(config::format_spec(spec), "instance.yaml"), Error);  // not built on a swarm
}

TEST(SwarmSpec, ADbStandbyIsRefusedOnASwarmNamingTheKeys) {
  config::InstanceSpec spec;
  spec.name = "shop";
  spec.ports.http = 8000;
  spec.ports.https = 8443;
  spec.db_standby = true;
  EXPECT_TRUE(config::parse_spec(config::format_spec(spec), "instance.yaml").db_standby);  // standalone: fine
  spec.engine_mode = "swarm";
  for (const char* primary : {"db", "db-standby"}) {
    const std::string p = primary;
    spec.db_standby = p == "db";
    spec.db_primary = primary;
    try {
      config::parse_spec(config::format_spec(spec), "instance.yaml");
      ADD_FAILURE() << "accepted db.primary " << primary << " on a swarm";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("db.standby and db.primary are not built for engine.mode: swarm"),
                std::string::npos)
          << e.what();
      EXPECT_EQ(e.code(), ExitCode::usage);
    }
  }
}

}  // namespace
}  // namespace supactl::swarm

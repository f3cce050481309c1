// SPDX-License-Identifier: Apache-2.0
#include <supactl/plan/reconcile.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

#include "support/golden.hpp"
#include "unit/plan/plan_fixture.hpp"

namespace supactl::plan {
namespace {

using test::converged;
using test::expect_golden;
using test::make_project;

TEST(Reconcile, FreshInstancePullsCreatesAndStartsInDependencyOrder) {
  compose::Project p = make_project();
  Plan plan = reconcile_up(p, ObservedState{}, UpOptions{});
  expect_golden("plan/fresh.txt", plan.to_string());
  EXPECT_EQ(plan.count(OpType::pull_image), 6u);
  EXPECT_EQ(plan.count(OpType::create_container), 6u);
  EXPECT_EQ(plan.count(OpType::wait_completed), 1u);  // minio-init is a job
}

TEST(Reconcile, EveryCreateWaitsForEveryPull) {
  Plan plan = reconcile_up(make_project(), ObservedState{}, UpOptions{});
  std::vector<int> pulls;
  for (const Operation& op : plan.ops) {
    if (op.type == OpType::pull_image) pulls.push_back(op.id);
  }
  for (const Operation& op : plan.ops) {
    if (op.type != OpType::create_container) continue;
    for (int pull : pulls) {
      EXPECT_NE(std::find(op.deps.begin(), op.deps.end(), pull), op.deps.end()) << op.target;
    }
  }
}

TEST(Reconcile, StorageStartsOnlyAfterBucketJobCompletedAndDbReady) {
  Plan plan = reconcile_up(make_project(), ObservedState{}, UpOptions{});
  const Operation* start = nullptr;
  for (const Operation& op : plan.ops) {
    if (op.type == OpType::start_container && op.service == "storage") start = &op;
  }
  ASSERT_NE(start, nullptr);
  std::set<std::string> waited;
  for (int d : start->deps) {
    const Operation& dep = plan.ops[static_cast<size_t>(d - 1)];
    if (dep.type == OpType::wait_ready || dep.type == OpType::wait_completed) {
      waited.insert(std::string(to_string(dep.type)) + ":" + dep.service);
    }
  }
  EXPECT_EQ(waited, (std::set<std::string>{"WaitCompleted:minio-init", "WaitReady:db"}));
}

TEST(Reconcile, ConvergedInstanceGivesEmptyPlan) {
  compose::Project p = make_project();
  Plan plan = reconcile_up(p, converged(p), UpOptions{});
  EXPECT_TRUE(plan.empty()) << plan.to_string();
  expect_golden("plan/converged.txt", plan.to_string());
}

TEST(Reconcile, ChangedEnvRecreatesOnlyThatService) {
  compose::Project p = make_project();
  ObservedState observed = converged(p);
  p.services["rest"].spec.env.push_back("PGRST_DB_MAX_ROWS=500");
  Plan plan = reconcile_up(p, observed, UpOptions{});
  expect_golden("plan/one-changed.txt", plan.to_string());
  for (const Operation& op : plan.ops) EXPECT_EQ(op.service, "rest") << plan.to_string();
  EXPECT_EQ(plan.count(OpType::create_container), 1u);
  EXPECT_EQ(plan.count(OpType::rename_container), 1u);
}

TEST(Reconcile, ANewerImageOfTheSameTagRecreatesTheContainer) {
  compose::Project p = make_project();
  ObservedState observed = converged(p);
  observed.image_ids["postgrest/postgrest:v14.17"] = "sha256:a-newer-pull";
  Plan plan = reconcile_up(p, observed, UpOptions{});
  ASSERT_EQ(plan.count(OpType::create_container), 1u) << plan.to_string();
  for (const Operation& op : plan.ops) {
    EXPECT_EQ(op.service, "rest") << plan.to_string();
    if (op.type == OpType::create_container) {
      EXPECT_EQ(op.cause, "image changed");
    }
  }
}

/// The container of `service` replica 1 in `observed`.
docker::ContainerSummary& replica(ObservedState& observed, const std::string& service) {
  for (docker::ContainerSummary& c : observed.containers) {
    if (c.name == "shop-" + service + "-1") return c;
  }
  throw std::runtime_error("no " + service);
}

TEST(Reconcile, ARecreateInterruptedAfterItsCreateRemovesTheLeftoverBeforeRecreatingAgain) {
  compose::Project p = make_project();
  ObservedState observed = converged(p);
  p.services["rest"].spec.env.push_back("PGRST_DB_MAX_ROWS=500");
  // Killed after the new container was created under its temporary name: the old one runs on.
  docker::ContainerSummary left = replica(observed, "rest");
  left.name = left.id.substr(0, 12) + "_shop-rest-1";
  left.id = "feedfacecafe";
  left.state = "created";
  left.status = "Created";
  observed.containers.push_back(left);
  Plan plan = reconcile_up(p, observed, UpOptions{});
  // The leftover goes first, then the recreate (whose temporary name is the leftover's).
  int removed = -1;
  for (const Operation& op : plan.ops) {
    if (op.type == OpType::remove_container && op.target == left.name) removed = op.id;
  }
  ASSERT_GE(removed, 0) << plan.to_string();
  bool create_after = false;
  for (const Operation& op : plan.ops) {
    if (op.type != OpType::create_container) continue;
    EXPECT_EQ(op.target, left.name) << "the same temporary name, free again";
    create_after = std::find(op.deps.begin(), op.deps.end(), removed) != op.deps.end();
  }
  EXPECT_TRUE(create_after) << plan.to_string();
  EXPECT_EQ(plan.count(OpType::create_container), 1u);
  EXPECT_EQ(plan.count(OpType::rename_container), 1u);
}

TEST(Reconcile, ARecreateInterruptedAfterTheOldContainerWentCreatesTheReplicaUnderItsName) {
  compose::Project p = make_project();
  ObservedState observed = converged(p);
  // Killed after the old container was removed, before the rename: only the temporary is left.
  docker::ContainerSummary& c = replica(observed, "rest");
  c.name = c.id.substr(0, 12) + "_shop-rest-1";
  c.state = "created";
  c.status = "Created";
  const std::string left = c.name;
  Plan plan = reconcile_up(p, observed, UpOptions{});
  EXPECT_EQ(plan.count(OpType::remove_container), 1u) << plan.to_string();
  EXPECT_EQ(plan.count(OpType::create_container), 1u) << plan.to_string();
  for (const Operation& op : plan.ops) {
    if (op.type == OpType::remove_container) {
      EXPECT_EQ(op.target, left);
    }
    if (op.type == OpType::create_container || op.type == OpType::start_container) {
      EXPECT_EQ(op.target, "shop-rest-1");
    }
    EXPECT_EQ(op.service, "rest") << plan.to_string();
  }
}

TEST(Reconcile, ForceRecreateReplacesEveryContainer) {
  compose::Project p = make_project();
  UpOptions options;
  options.recreate = Recreate::force;
  Plan plan = reconcile_up(p, converged(p), options);
  EXPECT_EQ(plan.count(OpType::create_container), 6u);
  EXPECT_EQ(plan.count(OpType::pull_image), 0u);
}

TEST(Reconcile, OrphanIsReportedAndRemovedOnlyWhenAsked) {
  compose::Project p = make_project();
  ObservedState observed = converged(p);
  docker::ContainerSummary orphan = observed.containers.front();
  orphan.name = "shop-legacy-1";
  orphan.labels[compose::k_label_service] = "legacy";
  observed.containers.push_back(orphan);

  Plan kept = reconcile_up(p, observed, UpOptions{});
  EXPECT_TRUE(kept.empty());
  ASSERT_EQ(kept.warnings.size(), 1u);
  EXPECT_NE(kept.warnings[0].find("shop-legacy-1"), std::string::npos);

  UpOptions options;
  options.remove_orphans = true;
  Plan removed = reconcile_up(p, observed, options);
  expect_golden("plan/orphan.txt", removed.to_string());
  EXPECT_EQ(removed.count(OpType::remove_container), 1u);
}

TEST(Reconcile, ScaleUpAddsReplicasAndScaleDownRemovesHighestNumbers) {
  compose::Project p = make_project();
  ObservedState one = converged(p);
  p.services["rest"].replicas = 3;
  Plan up = reconcile_up(p, one, UpOptions{});
  expect_golden("plan/scale-up.txt", up.to_string());
  EXPECT_EQ(up.count(OpType::create_container), 2u);

  ObservedState three = converged(p);
  p.services["rest"].replicas = 1;
  Plan down = reconcile_up(p, three, UpOptions{});
  expect_golden("plan/scale-down.txt", down.to_string());
  EXPECT_EQ(down.count(OpType::remove_container), 2u);
}

TEST(Reconcile, StoppedServiceIsStartedWithoutRecreate) {
  compose::Project p = make_project();
  ObservedState observed = converged(p);
  for (auto& c : observed.containers) {
    if (c.name == "shop-db-1") {
      c.state = "exited";
      c.status = "Exited (0) 1 minute ago";
    }
  }
  Plan plan = reconcile_up(p, observed, UpOptions{});
  EXPECT_EQ(plan.count(OpType::create_container), 0u);
  EXPECT_EQ(plan.count(OpType::start_container), 1u);
}

TEST(ReconcileDown, StopsDependentsBeforeDependenciesThenRemovesNetworks) {
  compose::Project p = make_project();
  Plan plan = reconcile_down(converged(p), DownOptions{});
  expect_golden("plan/down.txt", plan.to_string());
  EXPECT_EQ(plan.count(OpType::remove_volume), 0u);
  // kong depends on rest: rest's stop waits for kong's.
  int kong_stop = 0;
  const Operation* rest_stop = nullptr;
  for (const Operation& op : plan.ops) {
    if (op.type == OpType::stop_container && op.service == "kong") kong_stop = op.id;
    if (op.type == OpType::stop_container && op.service == "rest") rest_stop = &op;
  }
  ASSERT_NE(rest_stop, nullptr);
  EXPECT_NE(std::find(rest_stop->deps.begin(), rest_stop->deps.end(), kong_stop), rest_stop->deps.end());
}

TEST(ReconcileDown, VolumesAreRemovedOnlyWhenAsked) {
  compose::Project p = make_project();
  DownOptions options;
  options.remove_volumes = true;
  Plan plan = reconcile_down(converged(p), options);
  EXPECT_EQ(plan.count(OpType::remove_volume), 1u);
}

TEST(ExitCodeFromStatus, ParsesExitedStatusOnly) {
  EXPECT_EQ(exit_code_from_status("Exited (137) 2 minutes ago"), 137);
  EXPECT_EQ(exit_code_from_status("Exited (0) 1 second ago"), 0);
  EXPECT_EQ(exit_code_from_status("Up 3 minutes (healthy)"), -1);
}

}  // namespace
}  // namespace supactl::plan

// SPDX-License-Identifier: Apache-2.0
#include <supactl/plan/execute.hpp>
#include <supactl/plan/reconcile.hpp>

#include <gtest/gtest.h>

#include "support/fake_engine.hpp"
#include "unit/plan/plan_fixture.hpp"

namespace supactl::plan {
namespace {

size_t index_of(const std::vector<std::string>& calls, const std::string& call) {
  auto it = std::find(calls.begin(), calls.end(), call);
  return it == calls.end() ? calls.size() : static_cast<size_t>(it - calls.begin());
}

TEST(Execute, FreshPlanRunsEveryOperationRespectingDependencies) {
  compose::Project p = test::make_project();
  Plan plan = reconcile_up(p, ObservedState{}, UpOptions{});
  test::FakeEngine engine;
  engine.exit_on_start["shop-minio-init-1"] = 0;  // the bucket job runs and exits
  NullProgress progress;
  ExecutionReport report = execute(engine, plan, progress);
  ASSERT_TRUE(report.ok) << (report.errors.empty() ? "" : report.errors[0]);
  EXPECT_EQ(report.timings.size(), plan.ops.size());
  auto calls = engine.calls();
  // Every pull precedes every create; db is probed before rest starts.
  size_t last_pull = 0;
  size_t first_create = calls.size();
  for (size_t i = 0; i < calls.size(); ++i) {
    if (calls[i].rfind("pull_image", 0) == 0) last_pull = i;
    if (calls[i].rfind("create_container", 0) == 0) first_create = std::min(first_create, i);
  }
  EXPECT_LT(last_pull, first_create);
  EXPECT_LT(index_of(calls, "exec shop-db-1"), index_of(calls, "start_container shop-rest-1"));
  EXPECT_EQ(report.created.size(), 6u);
}

TEST(Execute, ANetworkTheEngineStillCallsBusyIsRemovedOnceItSettles) {
  Plan plan;
  Operation op;
  op.type = OpType::remove_network;
  op.target = "shop_backend";
  plan.add(op);
  test::FakeEngine engine;
  engine.network_busy_refusals["shop_backend"] = 3;
  NullProgress progress;
  ExecutionReport report = execute(engine, plan, progress);
  EXPECT_TRUE(report.ok) << (report.errors.empty() ? "" : report.errors[0]);
  EXPECT_EQ(engine.calls_of("remove_network shop_backend").size(), 4U);
}

TEST(Execute, ConvergedPlanMakesNoEngineCall) {
  compose::Project p = test::make_project();
  Plan plan = reconcile_up(p, test::converged(p), UpOptions{});
  test::FakeEngine engine;
  NullProgress progress;
  ExecutionReport report = execute(engine, plan, progress);
  EXPECT_TRUE(report.ok);
  EXPECT_TRUE(engine.calls().empty());
}

TEST(Execute, CrashingDependencyFailsNamingServiceAndSkipsDependents) {
  compose::Project p = test::make_project();
  Plan plan = reconcile_up(p, ObservedState{}, UpOptions{});
  test::FakeEngine engine;
  engine.exit_on_start["shop-db-1"] = 3;
  NullProgress progress;
  ExecutionReport report = execute(engine, plan, progress);
  EXPECT_FALSE(report.ok);
  ASSERT_FALSE(report.errors.empty());
  EXPECT_NE(report.errors[0].find("service db"), std::string::npos) << report.errors[0];
  EXPECT_NE(report.errors[0].find("exited with code 3"), std::string::npos) << report.errors[0];
  EXPECT_NE(report.errors[0].find("fake log line"), std::string::npos) << report.errors[0];
  EXPECT_TRUE(engine.calls_of("start_container shop-rest-1").empty());
  EXPECT_FALSE(report.skipped.empty());
}

TEST(Execute, FailingHealthProbeTimesOutWithItsOutput) {
  compose::Project p = test::make_project();
  UpOptions options;
  options.wait_timeout_s = 1;
  Plan plan = reconcile_up(p, ObservedState{}, options);
  test::FakeEngine engine;
  engine.probe_exit["shop-minio-1"] = 1;
  NullProgress progress;
  ExecutionReport report = execute(engine, plan, progress);
  EXPECT_FALSE(report.ok);
  ASSERT_EQ(report.errors.size(), 1u) << report.errors[0];
  EXPECT_NE(report.errors[0].find("service minio"), std::string::npos);
  EXPECT_NE(report.errors[0].find("probe failed"), std::string::npos);
  EXPECT_TRUE(engine.calls_of("start_container shop-storage-1").empty());
}

TEST(Execute, MissingImageFailsBeforeAnyContainerIsCreated) {
  compose::Project p = test::make_project();
  Plan plan = reconcile_up(p, ObservedState{}, UpOptions{});
  test::FakeEngine engine;
  engine.missing_images.insert("kong/kong:3.9.3");
  NullProgress progress;
  ExecutionReport report = execute(engine, plan, progress);
  EXPECT_FALSE(report.ok);
  ASSERT_FALSE(report.errors.empty());
  EXPECT_NE(report.errors[0].find("kong/kong:3.9.3"), std::string::npos);
  EXPECT_TRUE(engine.calls_of("create_container").empty());
}

TEST(Execute, AnEngineThatGoesAwayIsReportedAsSuch) {
  compose::Project p = test::make_project();
  Plan plan = reconcile_up(p, ObservedState{}, UpOptions{});
  test::FakeEngine engine;
  engine.engine_gone = true;
  NullProgress progress;
  ExecutionReport report = execute(engine, plan, progress);
  EXPECT_FALSE(report.ok);
  EXPECT_TRUE(report.engine_unavailable);

  // A service that fails on its own is not the Engine going away.
  test::FakeEngine engine2;
  engine2.exit_on_start["shop-db-1"] = 1;
  ExecutionReport crash = execute(engine2, plan, progress);
  EXPECT_FALSE(crash.ok);
  EXPECT_FALSE(crash.engine_unavailable);
}

TEST(Execute, FailedJobStopsItsDependents) {
  compose::Project p = test::make_project();
  UpOptions options;
  options.wait_timeout_s = 5;
  Plan plan = reconcile_up(p, ObservedState{}, options);
  test::FakeEngine engine;
  engine.exit_on_start["shop-minio-init-1"] = 1;
  NullProgress progress;
  ExecutionReport report = execute(engine, plan, progress);
  EXPECT_FALSE(report.ok);
  ASSERT_FALSE(report.errors.empty());
  EXPECT_NE(report.errors[0].find("minio-init"), std::string::npos) << report.errors[0];
  EXPECT_TRUE(engine.calls_of("start_container shop-storage-1").empty());
}

TEST(Execute, CriticalPathIsTheLongestDependentChain) {
  Plan plan;
  Operation a;
  a.type = OpType::pull_image;
  plan.add(a);
  Operation b = a;
  b.deps = {1};
  plan.add(b);
  Operation c = a;
  plan.add(c);
  ExecutionReport r;
  r.timings = {{1, 0, 10}, {2, 10, 30}, {3, 0, 25}};
  EXPECT_DOUBLE_EQ(critical_path_ms(plan, r), 30.0);
}

}  // namespace
}  // namespace supactl::plan

// SPDX-License-Identifier: Apache-2.0
// wait_ready against the fake Engine: Docker's "unhealthy" on a running container is not
// final (the own probe decides until the deadline); an exited container and a restart loop
// fail early, naming why.
#include <supactl/plan/readiness.hpp>

#include "support/fake_engine.hpp"

#include <gtest/gtest.h>

namespace supactl::plan {
namespace {

docker::ContainerInfo running(const std::string& name) {
  docker::ContainerInfo info;
  info.id = info.name = name;
  info.state.status = "running";
  info.state.running = true;
  info.state.health = "starting";
  info.state.started_at = "2026-11-29T10:00:00Z";
  return info;
}

docker::Healthcheck check() {
  docker::Healthcheck h;
  h.test = {"CMD", "probe"};
  return h;
}

TEST(WaitReady, DockerSaysUnhealthyButTheServiceComesUpBeforeTheDeadline) {
  test::FakeEngine engine;
  engine.put_container(running("slow"));
  engine.probe_exit["slow"] = 1;
  int inspects = 0;
  engine.on_inspect["slow"] = [&](docker::ContainerState& st) {
    st.health = "unhealthy";  // Docker's retries ran out while the host was busy
    if (++inspects == 4) engine.probe_exit["slow"] = 0;
  };
  ReadyResult r = wait_ready(engine, nullptr, "slow", check(), 10, 10, nullptr);
  EXPECT_TRUE(r.ready) << r.reason;
  EXPECT_GE(inspects, 4);
}

TEST(WaitReady, HealthStartingIsNotReadyUntilTheProbePasses) {
  test::FakeEngine engine;
  engine.put_container(running("warming"));
  engine.probe_exit["warming"] = 1;
  ReadyResult r = wait_ready(engine, nullptr, "warming", check(), 1, 50, nullptr);
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.reason, "not ready after 1 s");
  EXPECT_EQ(r.last_output, "probe failed");

  engine.probe_exit["warming"] = 0;
  ReadyResult ok = wait_ready(engine, nullptr, "warming", check(), 1, 50, nullptr);
  EXPECT_TRUE(ok.ready) << ok.reason;
}

TEST(ProbeCommand, ShellTestsRunThroughShDashCAndExecFormAsIs) {
  auto probe = [](std::vector<std::string> test) {
    docker::Healthcheck h;
    h.test = std::move(test);
    return probe_command(h);
  };
  EXPECT_EQ(probe({"CMD-SHELL", "pg_isready", "-U", "postgres"}),
            (std::vector<std::string>{"/bin/sh", "-c", "pg_isready -U postgres"}));
  EXPECT_EQ(probe({"CMD", "curl", "-f", "http://localhost/"}),
            (std::vector<std::string>{"curl", "-f", "http://localhost/"}));
  EXPECT_TRUE(probe({"NONE"}).empty());
}

TEST(WaitReady, UnhealthyUntilTheDeadlineFailsNamingIt) {
  test::FakeEngine engine;
  engine.put_container(running("bad"));
  engine.probe_exit["bad"] = 1;
  engine.on_inspect["bad"] = [](docker::ContainerState& st) { st.health = "unhealthy"; };
  ReadyResult r = wait_ready(engine, nullptr, "bad", check(), 1, 50, nullptr);
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.reason, "unhealthy after 1 s");
}

TEST(WaitReady, ARestartLoopFailsEarlyWithTheExitCode) {
  test::FakeEngine engine;
  engine.put_container(running("loop"));
  engine.probe_exit["loop"] = 1;
  int starts = 0;
  engine.on_inspect["loop"] = [&](docker::ContainerState& st) {
    st.started_at = "2026-11-29T10:00:0" + std::to_string(++starts) + "Z";
    st.exit_code = 127;
  };
  ReadyResult r = wait_ready(engine, nullptr, "loop", check(), 60, 10, nullptr);
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.reason, "restart loop: started 3 times, last exit code 127");
  EXPECT_EQ(starts, 3);
}

TEST(WaitReady, AnExitedContainerFailsAtOnce) {
  test::FakeEngine engine;
  docker::ContainerInfo info = running("gone");
  info.state.status = "exited";
  info.state.running = false;
  info.state.exit_code = 2;
  engine.put_container(info);
  ReadyResult r = wait_ready(engine, nullptr, "gone", check(), 60, 10, nullptr);
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.reason, "exited with code 2");
}

}  // namespace
}  // namespace supactl::plan

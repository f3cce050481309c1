// SPDX-License-Identifier: Apache-2.0
// `up` and `down` (stack module: compose → observe → reconcile → execute) against the real
// Engine, on a small busybox project with every dependency kind the Supabase stack uses.
#include <supactl/plan/execute.hpp>
#include <supactl/stack/stack.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/docker_env.hpp"
#include "support/free_port.hpp"
#include "support/temp_dir.hpp"

namespace supactl::stack {
namespace {

// db becomes healthy a moment after start; job runs once; api waits for both.
constexpr const char* k_compose = R"(
services:
  db:
    image: supactl-test/busybox:1
    command: ["sh", "-c", "sleep 1; touch /tmp/ready; exec sleep 3600"]
    stop_signal: SIGKILL
    healthcheck:
      test: ["CMD-SHELL", "test -f /tmp/ready && test ! -f /data/unhealthy"]
      interval: 5s
      timeout: 2s
      retries: 3
    volumes:
      - data:/data
    networks: [backend]
  job:
    image: supactl-test/busybox:1
    command: ["sh", "-c", "echo bucket created"]
    restart: "no"
    networks: [backend]
  api:
    image: supactl-test/busybox:1
    command: ["sh", "-c", "exec sleep 3600"]
    stop_signal: SIGKILL
    environment:
      MODE: ${MODE:-one}
    depends_on:
      db:
        condition: service_healthy
      job:
        condition: service_completed_successfully
    ports:
      - "127.0.0.1:${PORT}:8080"
    networks:
      backend:
        aliases: [api.internal]
      edge: {}
networks:
  backend:
    internal: true
  edge: {}
volumes:
  data: {}
)";

class StackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SUPACTL_REQUIRE_ENGINE(e);
    engine = e;
    test::ensure_test_image();
    compose_file = dir.path() / "compose.yml";
    std::ofstream(compose_file) << k_compose;
    port = static_cast<uint16_t>(test::free_port());
  }
  void TearDown() override { test::remove_test_objects(test::unique_name("")); }

  UpRequest request(const std::string& project, const std::string& mode = "one") {
    UpRequest r;
    r.compose.project_name = project;
    r.compose.files = {compose_file};
    r.compose.variables = {{"MODE", mode}, {"PORT", std::to_string(port)}};
    r.up.wait_timeout_s = 30;
    return r;
  }
  UpResult up_ok(const UpRequest& r) {
    plan::NullProgress progress;
    UpResult result = up(*engine, r, progress);
    EXPECT_TRUE(result.report.ok) << (result.report.errors.empty() ? "" : result.report.errors.front());
    return result;
  }
  std::string state_of(const std::string& container) { return engine->inspect_container(container).state.status; }

  docker::Engine* engine = nullptr;
  test::TempDir dir;
  std::filesystem::path compose_file;
  uint16_t port = 0;
};

TEST_F(StackTest, UpReachesReadyInDependencyOrderAndSecondUpWritesNothing) {
  const std::string p = test::unique_name("order");
  UpResult first = up_ok(request(p));
  EXPECT_EQ(state_of(p + "-db-1"), "running");
  EXPECT_EQ(state_of(p + "-api-1"), "running");
  EXPECT_EQ(engine->inspect_container(p + "-job-1").state.exit_code, 0);
  // api started only after db was ready and the job had finished.
  EXPECT_GT(engine->inspect_container(p + "-api-1").state.started_at, engine->inspect_container(p + "-job-1").state.finished_at);
  auto aliases = engine->inspect_container(p + "-api-1").networks[p + "_backend"];
  EXPECT_NE(std::find(aliases.begin(), aliases.end(), "api.internal"), aliases.end());
  EXPECT_GT(first.floor_ms, 0.0);

  // Converged: no write call in the plan (at most read-only readiness waits while Docker's
  // own first health check is pending), and none seen in the Engine's events.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // events have 1 s resolution
  int64_t since = static_cast<int64_t>(std::time(nullptr));
  UpResult second = up_ok(request(p));
  EXPECT_EQ(second.plan.write_count(), 0u) << second.plan.to_string();
  std::vector<std::string> actions;
  docker::Filters f;
  f.label(compose::k_label_project, p);
  engine->events(f, since, static_cast<int64_t>(std::time(nullptr)) + 1, [&](const docker::Event& e) {
    const bool ours = e.action.rfind("exec_", 0) != 0 && e.action.rfind("health_status", 0) != 0;
    if (e.type == "container" && ours) actions.push_back(e.action);
    return true;
  });
  EXPECT_TRUE(actions.empty()) << "unexpected container event: " << (actions.empty() ? "" : actions[0]);
}

TEST_F(StackTest, ChangedEnvRecreatesOnlyThatServiceAndDataSurvivesDownUp) {
  const std::string p = test::unique_name("drift");
  up_ok(request(p));
  const std::string db_id = engine->inspect_container(p + "-db-1").id;
  const std::string api_id = engine->inspect_container(p + "-api-1").id;
  docker::ExecResult w = engine->exec(p + "-db-1", docker::ExecSpec{.cmd = {"sh", "-c", "echo kept > /data/row"}, .env = {},
                                                                   .user = {}, .working_dir = {}, .tty = false});
  ASSERT_EQ(w.exit_code, 0);

  UpResult changed = up_ok(request(p, "two"));
  EXPECT_EQ(changed.plan.count(plan::OpType::create_container), 1u) << changed.plan.to_string();
  EXPECT_EQ(engine->inspect_container(p + "-db-1").id, db_id);
  EXPECT_NE(engine->inspect_container(p + "-api-1").id, api_id);
  auto env = engine->inspect_container(p + "-api-1").env;
  EXPECT_NE(std::find(env.begin(), env.end(), "MODE=two"), env.end());

  plan::NullProgress progress;
  DownResult d = down(*engine, p, plan::DownOptions{}, progress);
  EXPECT_TRUE(d.report.ok);
  EXPECT_TRUE(list_stack_containers(*engine, p).empty());
  EXPECT_EQ(project_volumes(*engine, p).size(), 1u);  // data kept

  up_ok(request(p, "two"));
  docker::ExecResult r = engine->exec(p + "-db-1", docker::ExecSpec{.cmd = {"cat", "/data/row"}, .env = {}, .user = {},
                                                                   .working_dir = {}, .tty = false});
  EXPECT_EQ(r.out, "kept\n");

  plan::DownOptions wipe;
  wipe.remove_volumes = true;
  EXPECT_TRUE(down(*engine, p, wipe, progress).report.ok);
  EXPECT_TRUE(project_volumes(*engine, p).empty());
}

TEST_F(StackTest, TwoProjectsSideBySideAndDownOfOneLeavesTheOther) {
  const std::string a = test::unique_name("side-a");
  const std::string b = test::unique_name("side-b");
  up_ok(request(a));
  UpRequest rb = request(b);
  uint16_t other = static_cast<uint16_t>(test::free_port());
  rb.compose.variables["PORT"] = std::to_string(other);
  up_ok(rb);
  plan::NullProgress progress;
  EXPECT_TRUE(down(*engine, a, plan::DownOptions{}, progress).report.ok);
  EXPECT_TRUE(list_stack_containers(*engine, a).empty());
  EXPECT_EQ(state_of(b + "-api-1"), "running");
  EXPECT_EQ(state_of(b + "-db-1"), "running");
}

TEST_F(StackTest, TakenHostPortFailsBeforeAnyContainerIsCreated) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  ::listen(fd, 1);
  const std::string p = test::unique_name("port");
  plan::NullProgress progress;
  try {
    up(*engine, request(p), progress);
    FAIL() << "up succeeded with its port taken";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::conflict);
    EXPECT_NE(std::string(e.what()).find(std::to_string(port)), std::string::npos) << e.what();
  }
  ::close(fd);
  EXPECT_TRUE(list_stack_containers(*engine, p).empty());
}

TEST_F(StackTest, UnhealthyServiceFailsUpNamingItWithItsLogsAndKeepsVolumes) {
  const std::string p = test::unique_name("sick");
  // db never becomes ready: its health test demands a file that never appears.
  std::string text = k_compose;
  text.replace(text.find("test -f /tmp/ready"), 18, "test -f /tmp/never");
  text.replace(text.find("sleep 1; touch"), 14, "echo db is sick; touch");
  std::ofstream(compose_file) << text;
  UpRequest r = request(p);
  r.up.wait_timeout_s = 3;
  plan::NullProgress progress;
  UpResult result = up(*engine, r, progress);
  ASSERT_FALSE(result.report.ok);
  ASSERT_FALSE(result.report.errors.empty());
  const std::string& err = result.report.errors.front();
  EXPECT_NE(err.find("service db"), std::string::npos) << err;
  EXPECT_NE(err.find("db is sick"), std::string::npos) << err;
  EXPECT_NE(state_of(p + "-api-1"), "running");  // created in parallel, never started
  EXPECT_EQ(project_volumes(*engine, p).size(), 1u);
}

TEST_F(StackTest, RollbackRemovesWhatTheFailedRunCreated) {
  const std::string p = test::unique_name("rollback");
  std::string text = k_compose;
  text.replace(text.find("test -f /tmp/ready"), 18, "test -f /tmp/never");
  std::ofstream(compose_file) << text;
  UpRequest r = request(p);
  r.up.wait_timeout_s = 2;
  r.rollback = true;
  plan::NullProgress progress;
  UpResult result = up(*engine, r, progress);
  EXPECT_FALSE(result.report.ok);
  EXPECT_TRUE(result.rolled_back);
  EXPECT_TRUE(list_stack_containers(*engine, p).empty());
  EXPECT_EQ(project_volumes(*engine, p).size(), 1u);
}

TEST_F(StackTest, DryRunPrintsThePlanAndChangesNothing) {
  const std::string p = test::unique_name("dry");
  UpRequest r = request(p);
  r.dry_run = true;
  plan::NullProgress progress;
  UpResult result = up(*engine, r, progress);
  EXPECT_FALSE(result.plan.empty());
  EXPECT_NE(result.plan.to_string().find("CreateContainer"), std::string::npos);
  EXPECT_TRUE(list_stack_containers(*engine, p).empty());
  EXPECT_TRUE(project_volumes(*engine, p).empty());
}

}  // namespace
}  // namespace supactl::stack

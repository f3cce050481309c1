// SPDX-License-Identifier: Apache-2.0
// `up` and `down` (stack module: compose → observe → reconcile → execute) against the real
// Engine, on a small busybox project with every dependency kind the Supabase stack uses.
#include <supactl/plan/execute.hpp>
#include <supactl/stack/stack.hpp>

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <optional>
#include <thread>
#include <vector>

#include "support/docker_env.hpp"
#include "support/free_port.hpp"
#include "support/rfc3339.hpp"
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

/// `docker inspect --format FORMAT CONTAINER` through the docker CLI (stdout only).
std::string inspect(const std::string& container, const std::string& format) {
  std::string out, err;
  EXPECT_EQ(test::run_command("docker inspect --format '" + format + "' " + container, &out, &err), 0) << err;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

/// A container's State.<field> time, as the docker CLI reports it.
std::chrono::nanoseconds state_time(const std::string& container, const std::string& field) {
  const std::string text = inspect(container, "{{.State." + field + "}}");
  std::optional<std::chrono::nanoseconds> t = test::parse_rfc3339(text);
  EXPECT_TRUE(t.has_value()) << container << " State." << field << " = " << text;
  return t.value_or(std::chrono::nanoseconds(0));
}

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
  /// Names of the project's networks (by its compose label), sorted.
  std::vector<std::string> networks_of(const std::string& project) {
    docker::Filters f;
    f.label(compose::k_label_project, project);
    std::vector<std::string> names;
    for (const docker::NetworkInfo& n : engine->list_networks(f)) names.push_back(n.name);
    std::sort(names.begin(), names.end());
    return names;
  }
  /// Names of the project's volumes, sorted.
  std::vector<std::string> volumes_of(const std::string& project) {
    std::vector<std::string> names = project_volumes(*engine, project);
    std::sort(names.begin(), names.end());
    return names;
  }

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
  // api started only after db was ready and the job had finished, compared as times
  // (Docker's RFC 3339 with nanoseconds), read through the docker CLI. db is ready from the
  // moment /tmp/ready exists (its health test); busybox stat gives the file's mtime as
  // "2026-11-29 23:14:19.257549729 +0000".
  const auto api_started = state_time(p + "-api-1", "StartedAt");
  const auto job_finished = state_time(p + "-job-1", "FinishedAt");
  const auto db_started = state_time(p + "-db-1", "StartedAt");
  std::string stamp, err;
  ASSERT_EQ(test::run_command("docker exec " + p + "-db-1 busybox stat -c %y /tmp/ready", &stamp, &err), 0) << err;
  ASSERT_GE(stamp.size(), 26u) << stamp;
  const size_t zone = stamp.find(' ', 11);
  ASSERT_NE(zone, std::string::npos) << stamp;
  const std::string offset = stamp.substr(zone + 1, 5);
  const std::optional<std::chrono::nanoseconds> db_ready = test::parse_rfc3339(
      stamp.substr(0, 10) + "T" + stamp.substr(11, zone - 11) + offset.substr(0, 3) + ":" + offset.substr(3));
  ASSERT_TRUE(db_ready.has_value()) << stamp;
  EXPECT_GT(api_started, job_finished);
  EXPECT_GT(*db_ready, db_started);
  EXPECT_GT(api_started, *db_ready) << stamp;
  auto aliases = engine->inspect_container(p + "-api-1").networks[p + "_backend"];
  EXPECT_NE(std::find(aliases.begin(), aliases.end(), "api.internal"), aliases.end());
  EXPECT_GT(first.floor_ms, 0.0);

  // Converged: no write call in the plan (at most read-only readiness waits while Docker's
  // own first health check is pending), and none seen in the Engine's events.
  // Events are asked for by whole seconds: wait (a deadline poll on the clock) until the
  // second of the first up's last event has passed, so none of its events counts.
  const int64_t first_done = static_cast<int64_t>(std::time(nullptr));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (static_cast<int64_t>(std::time(nullptr)) <= first_done) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the clock did not move";
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
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
  docker::ExecResult w = engine->exec(
      p + "-db-1",
      docker::ExecSpec{
          .cmd = {"sh", "-c", "echo kept > /data/row"}, .env = {}, .user = {}, .working_dir = {}, .tty = false});
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
  docker::ExecResult r = engine->exec(
      p + "-db-1",
      docker::ExecSpec{.cmd = {"cat", "/data/row"}, .env = {}, .user = {}, .working_dir = {}, .tty = false});
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
  ASSERT_TRUE(networks_of(p).empty());
  ASSERT_TRUE(volumes_of(p).empty());
  UpResult result = up(*engine, r, progress);
  EXPECT_FALSE(result.report.ok);
  EXPECT_TRUE(result.rolled_back);
  EXPECT_TRUE(list_stack_containers(*engine, p).empty());
  // Containers go; volumes are always kept (docs/API_REFERENCE.md, --rollback), and so are the
  // networks, left with nothing attached.
  EXPECT_EQ(volumes_of(p), std::vector<std::string>({p + "_data"}));
  EXPECT_EQ(networks_of(p), std::vector<std::string>({p + "_backend", p + "_edge"}));
  for (const std::string& n : networks_of(p)) {
    EXPECT_TRUE(engine->inspect_network(n).container_ids.empty()) << n;
  }
}

TEST_F(StackTest, DryRunPrintsThePlanAndChangesNothing) {
  const std::string p = test::unique_name("dry");
  UpRequest r = request(p);
  r.dry_run = true;
  plan::NullProgress progress;
  UpResult result = up(*engine, r, progress);
  EXPECT_FALSE(result.plan.empty());
  const std::string plan = result.plan.to_string();
  EXPECT_NE(plan.find("CreateContainer"), std::string::npos) << plan;
  EXPECT_NE(plan.find("CreateNetwork"), std::string::npos) << plan;
  EXPECT_NE(plan.find("CreateVolume"), std::string::npos) << plan;
  EXPECT_TRUE(list_stack_containers(*engine, p).empty());
  EXPECT_TRUE(volumes_of(p).empty());
  EXPECT_TRUE(networks_of(p).empty());

  // Over a running project a dry run that would recreate api changes nothing either.
  up_ok(request(p));
  const std::vector<std::string> networks = networks_of(p);
  const std::vector<std::string> volumes = volumes_of(p);
  ASSERT_EQ(networks, std::vector<std::string>({p + "_backend", p + "_edge"}));
  ASSERT_EQ(volumes, std::vector<std::string>({p + "_data"}));
  std::map<std::string, std::string> ids;
  for (const auto& c : list_stack_containers(*engine, p)) ids[c.name] = c.id;
  UpRequest changed = request(p, "two");
  changed.dry_run = true;
  UpResult again = up(*engine, changed, progress);
  EXPECT_NE(again.plan.to_string().find("CreateContainer"), std::string::npos) << again.plan.to_string();
  std::map<std::string, std::string> ids_after;
  for (const auto& c : list_stack_containers(*engine, p)) ids_after[c.name] = c.id;
  EXPECT_EQ(ids_after, ids);
  EXPECT_EQ(networks_of(p), networks);
  EXPECT_EQ(volumes_of(p), volumes);
}

}  // namespace
}  // namespace supactl::stack

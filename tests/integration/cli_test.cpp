// SPDX-License-Identifier: Apache-2.0
// The real binary, start to finish: init → up → status → logs → up (no-op) → down, with a
// --templates override that swaps the Supabase compose file for a small busybox stack, so the
// whole CLI path (instance, render, lock, converge, output, exit codes) runs on any Engine.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <filesystem>
#include <fstream>

#include <map>
#include <sstream>
#include <vector>

#include "support/docker_env.hpp"
#include "support/temp_dir.hpp"

namespace supactl {
namespace {

constexpr const char* k_template = R"(# test stack for instance {{name}}
services:
  db:
    image: supactl-test/busybox:1
    command: ["sh", "-c", "echo db says hello; sleep 1; touch /tmp/ready; exec sleep 3600"]
    stop_signal: SIGKILL
    environment:
      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}
    healthcheck:
      test: ["CMD-SHELL", "test -f /tmp/ready"]
      interval: 5s
      retries: 3
    volumes:
      - db-data:/data
    networks: [backend]
  web:
    image: supactl-test/busybox:1
    command: ["sh", "-c", "mkdir -p /www && echo hello from {{name}} > /www/index.html && exec httpd -f -p 8080 -h /www"]
    stop_signal: SIGKILL
    depends_on:
      db:
        condition: service_healthy
    ports:
      - "127.0.0.1:{{http_port}}:8080"
    volumes:
      - ./note.txt:/note.txt:ro
    networks: [backend, edge]
networks:
  backend:
    internal: true
  edge: {}
volumes:
  db-data: {}
)";

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SUPACTL_REQUIRE_ENGINE(e);
    engine = e;
    test::ensure_test_image();
    std::ofstream(templates.path() / "compose.yml.mustache") << k_template;
    std::ofstream(templates.path() / "note.txt.mustache") << "served for {{domain}}\n";
    name = test::instance_name("it");
  }
  void TearDown() override {
    run("down " + name + " --volumes --yes");
    test::remove_test_objects(name);
  }

  /// The shell command that runs supactl with `args` on this test's home and templates.
  std::string command(const std::string& args) const {
    return "SUPACTL_HOME=" + home.path().string() + " SUPACTL_TEMPLATES=" + templates.path().string() + " " +
           SUPACTL_BINARY + " " + args + " </dev/null";
  }

  int run(const std::string& args, std::string* out = nullptr) { return test::run_shell(command(args), out); }

  /// After a repairing `up`: exactly one container per service under its own name (no
  /// temporary name left by a recreate, no duplicate), db healthy, the volume's data there,
  /// and a further `up` has nothing to do.
  void expect_converged(const std::string& when) {
    std::string names;
    ASSERT_EQ(test::run_shell(
                  "docker ps -a --format '{{.Names}} {{.State}}' --filter label=com.docker.compose.project=" + name +
                      " | sort",
                  &names),
              0);
    EXPECT_EQ(names, name + "-db-1 running\n" + name + "-web-1 running\n") << when;
    std::string out;
    EXPECT_EQ(run("status " + name, &out), 0) << when << "\n" << out;
    EXPECT_EQ(run("exec " + name + " db -- cat /data/kept", &out), 0) << when;
    EXPECT_EQ(out, "kept\n") << when;
    ASSERT_EQ(run("up " + name, &out), 0) << when << "\n" << out;
    EXPECT_NE(out.find("up to date"), std::string::npos) << when << "\n" << out;
  }

  /// The instance's containers, networks and volumes (names and ids), as the docker CLI
  /// lists them by the compose project label.
  std::string docker_objects() {
    const std::string f = " --filter label=com.docker.compose.project=" + name;
    std::string c, n, v, err;
    EXPECT_EQ(test::run_command("docker ps -a --no-trunc --format '{{.Names}} {{.ID}}'" + f + " | sort", &c, &err), 0)
        << err;
    EXPECT_EQ(test::run_command("docker network ls --no-trunc --format '{{.Name}} {{.ID}}'" + f + " | sort", &n, &err),
              0)
        << err;
    EXPECT_EQ(test::run_command("docker volume ls --format '{{.Name}}'" + f + " | sort", &v, &err), 0) << err;
    return "containers:\n" + c + "networks:\n" + n + "volumes:\n" + v;
  }

  docker::Engine* engine = nullptr;
  test::TempDir home;
  test::TempDir templates;
  std::string name;
};

TEST_F(CliTest, InitUpStatusLogsDownKeepsDataUntilAskedExactly) {
  std::string out;
  ASSERT_EQ(run("init " + name, &out), 0) << out;
  ASSERT_EQ(run("up " + name, &out), 0) << out;
  EXPECT_NE(out.find("API"), std::string::npos) << out;

  ASSERT_EQ(run("status " + name + " --output json", &out), 0) << out;
  nlohmann::json status = nlohmann::json::parse(out.substr(out.find('{')));
  EXPECT_TRUE(status["healthy"].get<bool>()) << out;
  EXPECT_EQ(status["services"].size(), 2u);

  // Without a NAME: every instance on the Engine, this one healthy among them; the exit code
  // is 0 only when all are (another test run's leftovers may share the Engine).
  {
    const int rc = run("status --output json", &out);
    const nlohmann::json all = nlohmann::json::parse(out.substr(out.find('{')));
    bool all_healthy = true;
    bool ours_healthy = false;
    for (const auto& i : all["instances"]) {
      all_healthy = all_healthy && i["healthy"].get<bool>();
      if (i["instance"] == name) ours_healthy = i["healthy"].get<bool>();
    }
    EXPECT_TRUE(ours_healthy) << out;
    EXPECT_EQ(rc, all_healthy ? 0 : 6) << out;
  }

  ASSERT_EQ(run("logs " + name + " db", &out), 0) << out;
  EXPECT_NE(out.find("db-1 | db says hello"), std::string::npos) << out;

  // The published port answers on the host.
  nlohmann::json inst = nlohmann::json::parse(run("ls --output json", &out) == 0 ? out : "[]");
  ASSERT_EQ(inst.size(), 1u) << out;
  int http = inst[0]["ports"]["http"].get<int>();
  ASSERT_EQ(test::run_shell("curl -sf http://127.0.0.1:" + std::to_string(http) + "/", &out), 0) << out;
  EXPECT_NE(out.find("hello from " + name), std::string::npos);

  ASSERT_EQ(run("up " + name, &out), 0) << out;
  EXPECT_NE(out.find("up to date"), std::string::npos) << out;

  // Data volumes go only with --volumes AND --yes; without --yes nothing changes.
  EXPECT_EQ(run("down " + name + " --volumes", &out), 2) << out;
  EXPECT_NE(out.find("--yes"), std::string::npos) << out;
  ASSERT_EQ(run("status " + name, &out), 0) << out;

  ASSERT_EQ(run("down " + name, &out), 0) << out;
  EXPECT_NE(out.find("data volumes kept"), std::string::npos) << out;
  EXPECT_EQ(run("status " + name, &out), 6) << out;  // not healthy: stopped
  {
    std::string vols;
    test::run_shell("docker volume ls -q --filter label=com.docker.compose.project=" + name, &vols);
    EXPECT_NE(vols.find(name + "_db-data"), std::string::npos) << vols;
  }
  ASSERT_EQ(run("down " + name + " --volumes --yes", &out), 0) << out;
  std::string vols;
  test::run_shell("docker volume ls -q --filter label=com.docker.compose.project=" + name, &vols);
  EXPECT_EQ(vols, "");
}

// Issue 19: a recreate killed at any boundary between its Engine calls (before the first,
// after each) leaves nothing the next `up` cannot repair: no container under a temporary name,
// no duplicate, the data volume intact.
TEST_F(CliTest, RecreateKilledAtEveryOperationBoundaryIsRepairedByTheNextUp) {
  std::string out;
  ASSERT_EQ(run("init " + name, &out), 0) << out;
  ASSERT_EQ(run("up " + name, &out), 0) << out;
  ASSERT_EQ(run("exec " + name + " db -- sh -c 'echo kept > /data/kept'", &out), 0) << out;
  ASSERT_EQ(run("up " + name + " --force-recreate --dry-run --output json", &out), 0) << out;
  const nlohmann::json plan = nlohmann::json::parse(out.substr(out.find('{')))["plan"];
  // Per service: create under a temporary name, stop, remove, rename, start, wait.
  ASSERT_EQ(plan.size(), 12u) << out;

  std::vector<std::string> points = {"op:1:start"};
  for (size_t id = 1; id <= plan.size(); ++id) points.push_back("op:" + std::to_string(id) + ":done");
  for (const std::string& point : points) {
    SCOPED_TRACE(point);
    EXPECT_EQ(test::run_shell_reporting(
                  "SUPACTL_TEST_KILL_AT=" + point + " " + command("up " + name + " --force-recreate"), &out),
              137)
        << "the kill point was not reached\n"
        << out;
    ASSERT_EQ(run("up " + name, &out), 0) << out;
    expect_converged("killed at " + point);
  }
}

// The same with real signals at times that fall anywhere in a recreate: SIGKILL, and Ctrl-C
// (SIGINT) and SIGTERM, which supactl handles by stopping cleanly.
TEST_F(CliTest, RecreateInterruptedBySignalsAtAnyTimeIsRepairedByTheNextUp) {
  std::string out;
  ASSERT_EQ(run("init " + name, &out), 0) << out;
  ASSERT_EQ(run("up " + name, &out), 0) << out;
  ASSERT_EQ(run("exec " + name + " db -- sh -c 'echo kept > /data/kept'", &out), 0) << out;
  const std::vector<std::pair<std::string, std::string>> kills = {
      {"KILL", "0.1"}, {"KILL", "0.3"}, {"KILL", "0.6"}, {"KILL", "1"},   {"KILL", "1.5"},
      {"KILL", "2.5"}, {"INT", "0.3"},  {"INT", "1"},    {"TERM", "0.6"}, {"TERM", "1.5"}};
  for (const auto& [sig, delay] : kills) {
    const std::string when = "SIG" + sig + " after " + delay + " s";
    SCOPED_TRACE(when);
    test::run_shell(
        command("up " + name + " --force-recreate") + " & p=$!; sleep " + delay + "; kill -" + sig + " $p; wait $p",
        &out);
    ASSERT_EQ(run("up " + name, &out), 0) << out;
    expect_converged(when);
  }
}

TEST_F(CliTest, JsonOutputOfUpIsOneObjectPerLineEndingWithTheSummary) {
  std::string out;
  ASSERT_EQ(run("init " + name, &out), 0) << out;
  ASSERT_EQ(run("--output json up " + name + " 2>/dev/null", &out), 0) << out;
  std::istringstream lines(out);
  std::string line;
  std::vector<nlohmann::json> events;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON: " << line;
    events.push_back(j);
  }
  ASSERT_GE(events.size(), 3u) << out;
  size_t started = 0;
  size_t finished = 0;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    std::string ev = events[i].value("event", "");
    started += ev == "started";
    finished += ev == "finished";
    EXPECT_FALSE(events[i].value("op", "").empty()) << events[i].dump();
  }
  EXPECT_GT(started, 0u);
  EXPECT_EQ(started, finished) << out;
  const nlohmann::json& summary = events.back();
  EXPECT_EQ(summary.value("instance", ""), name) << summary.dump();
  EXPECT_TRUE(summary.value("ok", false)) << summary.dump();
  EXPECT_GT(summary.value("wall_ms", 0.0), 0.0) << summary.dump();
  EXPECT_GT(summary.value("floor_ms", 0.0), 0.0) << summary.dump();
  EXPECT_TRUE(summary.contains("endpoints")) << summary.dump();
}

/// Every file below `dir` with its mode and bytes.
std::map<std::string, std::string> snapshot(const std::filesystem::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    std::string rel = std::filesystem::relative(entry.path(), dir).string();
    auto perms = static_cast<unsigned>(entry.symlink_status().permissions());
    std::string content;
    if (entry.is_regular_file()) {
      std::ifstream in(entry.path(), std::ios::binary);
      content.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    out[rel] = std::to_string(perms) + (entry.is_directory() ? " dir" : " file ") + content;
  }
  return out;
}

TEST_F(CliTest, DryRunsWriteNothingInTheInstanceFolderAndAChangedMountedFileRecreatesItsService) {
  std::string out;
  ASSERT_EQ(run("init " + name, &out), 0) << out;
  const std::filesystem::path dir = home.path() / "instances" / name;
  auto before = snapshot(dir);
  EXPECT_EQ(before.count("rendered"), 0u);
  const std::string nothing = "containers:\nnetworks:\nvolumes:\n";
  ASSERT_EQ(docker_objects(), nothing);
  ASSERT_EQ(run("up " + name + " --dry-run", &out), 0) << out;
  EXPECT_NE(out.find("create"), std::string::npos) << out;
  EXPECT_NE(out.find("CreateNetwork"), std::string::npos) << out;
  EXPECT_NE(out.find("CreateVolume"), std::string::npos) << out;
  run("scale " + name + " rest=2 --dry-run", &out);
  run("upgrade " + name + " --to v0.8.1 --dry-run", &out);
  EXPECT_EQ(snapshot(dir), before) << "a dry run changed the instance folder";
  EXPECT_EQ(docker_objects(), nothing) << "a dry run created Docker objects";

  ASSERT_EQ(run("up " + name, &out), 0) << out;
  before = snapshot(dir);
  const std::string objects = docker_objects();
  EXPECT_NE(objects.find("networks:\n" + name + "_backend "), std::string::npos) << objects;
  EXPECT_NE(objects.find("\n" + name + "_edge "), std::string::npos) << objects;
  EXPECT_NE(objects.find("volumes:\n" + name + "_db-data\n"), std::string::npos) << objects;
  ASSERT_EQ(run("up " + name + " --dry-run", &out), 0) << out;
  // Converged: at most waits for health, no write.
  EXPECT_EQ(out.find("Container "), std::string::npos) << out;
  run("scale " + name + " rest=2 --dry-run", &out);
  run("upgrade " + name + " --to v0.8.1 --dry-run", &out);
  EXPECT_EQ(snapshot(dir), before) << "a dry run changed the instance folder";
  EXPECT_EQ(docker_objects(), objects) << "a dry run changed Docker objects";

  // A new domain changes only the bind-mounted note.txt of `web`: the dry run shows web's
  // recreation (the file's content is part of its config hash) and writes nothing; the real
  // run recreates web alone, which then serves the new file.
  std::string spec = (dir / "instance.yaml").string();
  ASSERT_EQ(test::run_shell("sed -i 's/^domain: .*/domain: \"changed.localhost\"/' " + spec), 0);
  before = snapshot(dir);
  ASSERT_EQ(run("up " + name + " --dry-run", &out), 0) << out;
  EXPECT_NE(out.find("CreateContainer service:web:1"), std::string::npos) << out;
  EXPECT_EQ(out.find("CreateContainer service:db"), std::string::npos) << out;
  EXPECT_EQ(snapshot(dir), before) << "a dry run changed the instance folder";
  EXPECT_EQ(docker_objects(), objects) << "a dry run changed Docker objects";
  std::string web_before;
  test::run_shell("docker inspect -f '{{.Id}}' " + name + "-web-1", &web_before);
  std::string db_before;
  test::run_shell("docker inspect -f '{{.Id}}' " + name + "-db-1", &db_before);
  ASSERT_EQ(run("up " + name, &out), 0) << out;
  std::string web_after, db_after, note;
  test::run_shell("docker inspect -f '{{.Id}}' " + name + "-web-1", &web_after);
  test::run_shell("docker inspect -f '{{.Id}}' " + name + "-db-1", &db_after);
  EXPECT_NE(web_before, web_after);
  EXPECT_EQ(db_before, db_after);
  test::run_shell("docker exec " + name + "-web-1 cat /note.txt", &note);
  EXPECT_EQ(note, "served for changed.localhost\n");
}

TEST_F(CliTest, SecondUpWhileOneHoldsTheLockFailsClearly) {
  std::string out;
  ASSERT_EQ(run("init " + name, &out), 0) << out;
  const std::string lock = home.path().string() + "/instances/" + name + "/.lock";
  int fd = ::open(lock.c_str(), O_RDWR | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  EXPECT_EQ(run("up " + name, &out), 4) << out;
  EXPECT_NE(out.find("busy"), std::string::npos) << out;
  ::close(fd);
}

TEST_F(CliTest, ComposeSeesTheStackThroughItsLabels) {
  std::string out;
  ASSERT_EQ(run("init " + name, &out), 0) << out;
  ASSERT_EQ(run("up " + name, &out), 0) << out;
  ASSERT_EQ(
      test::run_shell("docker ps --filter label=com.docker.compose.project=" + name + " --format '{{.Names}}'", &out),
      0);
  EXPECT_NE(out.find(name + "-db-1"), std::string::npos) << out;
  EXPECT_NE(out.find(name + "-web-1"), std::string::npos) << out;
  const std::string compose_file = home.path().string() + "/instances/" + name + "/rendered/compose.yml";
  ASSERT_EQ(test::run_shell("docker-compose -p " + name + " -f " + compose_file + " ps", &out), 0) << out;
  EXPECT_NE(out.find(name + "-db-1"), std::string::npos) << out;
}

TEST_F(CliTest, RmRemovesContainersVolumesNetworksAndTheFolderAndKeepsBackups) {
  std::string out;
  ASSERT_EQ(run("init " + name, &out), 0) << out;
  ASSERT_EQ(run("up " + name, &out), 0) << out;
  const std::string objects = docker_objects();
  ASSERT_NE(objects.find(name + "-db-1 "), std::string::npos) << objects;
  ASSERT_NE(objects.find(name + "_db-data"), std::string::npos) << objects;
  const std::filesystem::path backups = home.path() / "backups" / name;
  std::filesystem::create_directories(backups);
  std::ofstream(backups / (name + "-20260101T000000Z.tar.gz")) << "kept";

  // Without a terminal and without --yes: refused, nothing changed.
  EXPECT_EQ(run("rm " + name, &out), 2) << out;
  EXPECT_NE(out.find("--yes"), std::string::npos) << out;
  EXPECT_EQ(docker_objects(), objects);
  EXPECT_TRUE(std::filesystem::exists(home.path() / "instances" / name / "instance.yaml"));

  ASSERT_EQ(run("rm " + name + " --yes", &out), 0) << out;
  EXPECT_NE(out.find(name + " removed"), std::string::npos) << out;
  EXPECT_EQ(docker_objects(), "containers:\nnetworks:\nvolumes:\n");
  EXPECT_FALSE(std::filesystem::exists(home.path() / "instances" / name));
  EXPECT_TRUE(std::filesystem::exists(backups / (name + "-20260101T000000Z.tar.gz")));
  EXPECT_EQ(run("rm " + name + " --yes", &out), 3) << out;
}

TEST_F(CliTest, UnknownInstanceAndBadInputGiveOneLineErrorsAndExitCodes) {
  std::string out;
  EXPECT_EQ(run("up nosuch", &out), 3) << out;
  EXPECT_NE(out.find("supactl init nosuch"), std::string::npos) << out;
  EXPECT_EQ(run("status nosuch", &out), 3) << out;
  EXPECT_EQ(run("logs " + name + " --since yesterday", &out), 2) << out;
  EXPECT_EQ(run("stauts", &out), 2) << out;
  EXPECT_NE(out.find("did you mean `supactl status`"), std::string::npos) << out;
}

}  // namespace
}  // namespace supactl

// SPDX-License-Identifier: Apache-2.0
//
// The converging commands (up, scale, upgrade, secrets rotate) and status, down, rm and
// functions as `cli::run` runs them, in this process, against the in-memory fake Engine: every
// documented exit code of each, with what was (or was not) asked of the Engine and written
// in the instance folder. No Docker here: the same paths the Docker tests drive end to end.
#include <supactl/cli/app.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/core/cancel.hpp>
#include <supactl/core/fs.hpp>

#include "support/cli_run.hpp"
#include "support/fake_engine.hpp"
#include "support/free_port.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace supactl {
namespace {

namespace fs = std::filesystem;

using Result = test::CliResult;

/// Writes that change the Engine's state (reads such as list and inspect are not counted).
constexpr const char* k_writes[] = {"create_", "start_",      "stop_", "remove_", "rename_",  "pull_",      "restart_",
                                    "kill_",   "put_archive", "tag_",  "load_",   "connect_", "disconnect_"};

size_t write_calls(const test::FakeEngine& engine) {
  size_t n = 0;
  for (const std::string& c : engine.calls()) {
    for (const char* w : k_writes) {
      if (c.rfind(w, 0) == 0) ++n;
    }
  }
  return n;
}

/// Every file under `dir` with its mode and bytes.
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const auto mode = static_cast<unsigned>(fs::status(e.path()).permissions());
    out[fs::relative(e.path(), dir).string()] =
        std::to_string(mode) + (e.is_regular_file() ? ":" + core::read_file(e.path()) : std::string(":<dir>"));
  }
  return out;
}

class Commands : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("SUPACTL_PORT_RANGE", "23000-23999", 1);
    core::reset_cancel();
    // Ports held by this process for its life (test::free_port): tests running in parallel
    // processes (ctest -j, gtest shards) never share one, and one test listens on its own.
    const Result init = run({"init", "shop", "--http-port", std::to_string(test::free_port()), "--https-port",
                             std::to_string(test::free_port())});
    ASSERT_EQ(init.code, 0) << init.err;
    // minio-init is a one-shot job: in the fake it exits 0 at once, as the real one does.
    engine.exit_on_start["shop-minio-init-1"] = 0;
  }
  void TearDown() override {
    ::unsetenv("SUPACTL_PORT_RANGE");
    core::reset_cancel();
  }

  Result run(std::vector<std::string> args) { return test::run_cli(home.path(), engine, std::move(args)); }

  fs::path instance_dir() const { return home.path() / "instances" / "shop"; }
  config::Instance instance() const { return config::load_instance(home.path(), "shop"); }

  size_t containers_of(const std::string& service) const {
    return engine.calls_of("create_container shop-" + service + "-").size();
  }

  test::TempDir home;
  test::FakeEngine engine;
};

// --- up -------------------------------------------------------------------------------------

TEST_F(Commands, UpCreatesEveryServiceThenASecondUpWritesNothing) {
  Result first = run({"up", "shop"});
  ASSERT_EQ(first.code, 0) << first.err;
  const config::Instance inst = instance();
  EXPECT_EQ(engine.calls_of("create_container").size(), inst.spec.enabled_services().size());
  EXPECT_NE(first.out.find("shop is up:"), std::string::npos) << first.out;
  EXPECT_TRUE(fs::exists(instance_dir() / "rendered" / "compose.yml"));

  const size_t writes = write_calls(engine);
  Result second = run({"up", "shop"});
  ASSERT_EQ(second.code, 0) << second.err;
  EXPECT_EQ(write_calls(engine), writes) << "a converged instance must need no Engine write";
  EXPECT_NE(second.out.find("shop is up to date and healthy"), std::string::npos) << second.out;
}

TEST_F(Commands, UpOfAnUnknownInstanceExits3WithoutTouchingTheEngine) {
  Result r = run({"up", "nope"});
  EXPECT_EQ(r.code, 3);
  EXPECT_TRUE(engine.calls().empty());
  EXPECT_NE(r.err.find("supactl init nope"), std::string::npos) << r.err;
}

TEST_F(Commands, UpWithABrokenSpecExits2AndChangesNothing) {
  core::write_file_atomic(instance_dir() / "instance.yaml", "release: [unclosed\n");
  Result r = run({"up", "shop"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(engine.calls().empty());
  EXPECT_FALSE(fs::exists(instance_dir() / "rendered"));
}

TEST_F(Commands, UpWhileAnotherHoldsTheLockExits4) {
  const core::FileLock held = config::lock_instance(instance_dir(), "shop", 0);
  Result r = run({"up", "shop"});
  EXPECT_EQ(r.code, 4);
  EXPECT_NE(r.err.find("instance shop is busy"), std::string::npos) << r.err;
  EXPECT_TRUE(engine.calls().empty());
}

TEST_F(Commands, UpWithAHostPortTakenExits4BeforeCreatingAnything) {
  const int port = instance().spec.ports.http;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  Result r = run({"up", "shop"});
  ::close(fd);
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_NE(r.err.find(std::to_string(port)), std::string::npos) << r.err;
  EXPECT_TRUE(engine.calls_of("create_container").empty());
}

TEST_F(Commands, UpWhenTheEngineGoesAwayExits5) {
  engine.engine_gone = true;
  Result r = run({"up", "shop"});
  EXPECT_EQ(r.code, 5) << r.err;
  EXPECT_TRUE(engine.calls_of("create_container").empty());
}

TEST_F(Commands, UpWhenAServiceExitsAtStartExits6AndKeepsEveryVolume) {
  engine.exit_on_start["shop-db-1"] = 1;
  Result r = run({"up", "shop"});
  EXPECT_EQ(r.code, 6) << r.err;
  EXPECT_NE(r.err.find("shop-db-1"), std::string::npos) << r.err;
  EXPECT_TRUE(engine.calls_of("remove_volume").empty());
}

/// Every converging command ends in the same converge and report: each exits 5 when the
/// Engine goes away and 6 when a service does not come up, as `up` does.
class ConvergingCommand : public Commands, public ::testing::WithParamInterface<std::vector<std::string>> {};

TEST_P(ConvergingCommand, Exits5WhenTheEngineGoesAway) {
  engine.engine_gone = true;
  Result r = run(GetParam());
  EXPECT_EQ(r.code, 5) << r.err;
  EXPECT_TRUE(engine.calls_of("create_container").empty());
}

TEST_P(ConvergingCommand, Exits6WhenAServiceDoesNotComeUp) {
  engine.exit_on_start["shop-db-1"] = 1;
  Result r = run(GetParam());
  EXPECT_EQ(r.code, 6) << r.err;
  EXPECT_NE(r.err.find("supactl: hint: see `supactl logs shop SERVICE`"), std::string::npos) << r.err;
  EXPECT_TRUE(engine.calls_of("remove_volume").empty());
}

INSTANTIATE_TEST_SUITE_P(
    UpScaleRotateUpgrade, ConvergingCommand,
    ::testing::Values(std::vector<std::string>{"up", "shop"}, std::vector<std::string>{"scale", "shop", "rest=2"},
                      std::vector<std::string>{"secrets", "rotate", "shop", "--dashboard"},
                      std::vector<std::string>{"upgrade", "shop", "--to", "v0.8.1", "--no-backup"}),
    [](const ::testing::TestParamInfo<std::vector<std::string>>& param) { return param.param.front(); });

TEST_F(Commands, UpInterruptedExits130) {
  core::request_cancel();
  Result r = run({"up", "shop"});
  EXPECT_EQ(r.code, 130) << r.err;
}

TEST_F(Commands, UpOfAnInstanceBeingRestoredExits4NamingTheCommandThatFinishesIt) {
  core::write_file_atomic(instance_dir() / ".restoring", "/backups/shop.tar.gz\n", 0600);
  Result r = run({"up", "shop"});
  EXPECT_EQ(r.code, 4);
  EXPECT_NE(r.err.find("supactl restore shop /backups/shop.tar.gz --yes"), std::string::npos) << r.err;
  EXPECT_TRUE(engine.calls().empty());
}

TEST_F(Commands, UpDryRunPrintsThePlanAndWritesNothingAnywhere) {
  const auto before = snapshot(instance_dir());
  Result r = run({"up", "shop", "--dry-run", "-o", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(write_calls(engine), 0u);
  EXPECT_EQ(snapshot(instance_dir()), before);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j.at("dry_run").get<bool>());
  EXPECT_FALSE(j.at("plan").empty());
}

// --- scale ----------------------------------------------------------------------------------

TEST_F(Commands, ScaleSetsReplicasAndConverges) {
  ASSERT_EQ(run({"up", "shop"}).code, 0);
  Result r = run({"scale", "shop", "rest=3"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(instance().spec.scale.at("rest"), 3);
  EXPECT_TRUE(engine.has_container("shop-rest-2"));
  EXPECT_TRUE(engine.has_container("shop-rest-3"));
}

TEST_F(Commands, ScaleRefusesBadTargetsWithExit2AndChangesNothing) {
  const auto before = snapshot(instance_dir());
  for (const char* bad : {"rest", "rest=0", "rest=17", "rest=x", "db=2", "nosuch=2", "=2"}) {
    Result r = run({"scale", "shop", bad});
    EXPECT_EQ(r.code, 2) << bad << ": " << r.err;
  }
  EXPECT_TRUE(engine.calls().empty());
  EXPECT_EQ(snapshot(instance_dir()), before);
}

TEST_F(Commands, ScaleDryRunLeavesInstanceYamlAsItWas) {
  const auto before = snapshot(instance_dir());
  Result r = run({"scale", "shop", "rest=2", "--dry-run"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(snapshot(instance_dir()), before);
  EXPECT_EQ(write_calls(engine), 0u);
  EXPECT_NE(r.out.find("shop-rest-2"), std::string::npos) << r.out;
}

TEST_F(Commands, ScaleOfAnUnknownInstanceExits3AndUnderAHeldLockExits4) {
  EXPECT_EQ(run({"scale", "nope", "rest=2"}).code, 3);
  const core::FileLock held = config::lock_instance(instance_dir(), "shop", 0);
  EXPECT_EQ(run({"scale", "shop", "rest=2"}).code, 4);
  EXPECT_EQ(instance().spec.scale.count("rest"), 0u);
}

// --- secrets rotate ---------------------------------------------------------------------------

TEST_F(Commands, RotateWithoutAFlagExits2) {
  Result r = run({"secrets", "rotate", "shop"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--jwt"), std::string::npos) << r.err;
}

TEST_F(Commands, RotateJwtWritesNewKeysKeepsTheOldFileAndRecreates) {
  ASSERT_EQ(run({"up", "shop"}).code, 0);
  const std::string old_secret = instance().secrets.at("JWT_SECRET").reveal();
  const std::string old_password = instance().secrets.at("POSTGRES_PASSWORD").reveal();
  Result r = run({"secrets", "rotate", "shop", "--jwt"});
  ASSERT_EQ(r.code, 0) << r.err;
  const config::Instance after = instance();
  EXPECT_NE(after.secrets.at("JWT_SECRET").reveal(), old_secret);
  EXPECT_EQ(after.secrets.at("POSTGRES_PASSWORD").reveal(), old_password);
  size_t kept = 0;
  for (const auto& e : fs::directory_iterator(instance_dir())) {
    const std::string f = e.path().filename().string();
    if (f.rfind("secrets.env.", 0) != 0) continue;
    ++kept;
    EXPECT_EQ(fs::status(e.path()).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
    EXPECT_NE(core::read_file(e.path()).find(old_secret), std::string::npos);
  }
  EXPECT_EQ(kept, 1u);
  // Services that read the JWT secret are recreated under a temporary name, then renamed.
  EXPECT_FALSE(engine.calls_of("rename_container").empty());
}

TEST_F(Commands, RotatePostgresRefusedByTheDatabaseExits1AndKeepsSecretsEnv) {
  ASSERT_EQ(run({"up", "shop"}).code, 0);
  const std::string before = core::read_file(instance_dir() / "secrets.env");
  engine.probe_exit["id-shop-db-1"] = 1;  // psql in the db container fails
  Result r = run({"secrets", "rotate", "shop", "--postgres"});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("changing the database passwords failed"), std::string::npos) << r.err;
  EXPECT_EQ(core::read_file(instance_dir() / "secrets.env"), before);
}

TEST_F(Commands, RotateOfAnUnknownInstanceExits3) { EXPECT_EQ(run({"secrets", "rotate", "nope", "--all"}).code, 3); }

// --- upgrade --------------------------------------------------------------------------------

TEST_F(Commands, UpgradeToAnUnknownReleaseExits2AndKeepsTheRelease) {
  const std::string release = instance().spec.release;
  Result r = run({"upgrade", "shop", "--to", "v0.0.0-nope"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(release), std::string::npos) << "the error lists the known releases: " << r.err;
  EXPECT_EQ(instance().spec.release, release);
  EXPECT_TRUE(engine.calls().empty());
}

/// A templates folder holding one more release: the shipped one with another kong image.
fs::path extra_release(const fs::path& dir, const std::string& name) {
  const std::string shipped = core::read_file(fs::path(SUPACTL_SOURCE_DIR) / "templates" / "images" / "v0.8.1.yaml");
  std::istringstream in(shipped);
  std::string out;
  for (std::string line; std::getline(in, line);) {
    if (line.find("kong:") != std::string::npos && line.find("image") == std::string::npos) {
      const auto colon = line.rfind(':');
      line = line.substr(0, colon + 1) + "9.9.9";
    }
    out += line + "\n";
  }
  core::write_file_atomic(dir / "images" / (name + ".yaml"), out);
  return dir;
}

TEST_F(Commands, UpgradeMovesTheReleaseAndRecreatesOnlyWhatChanged) {
  test::TempDir templates;
  extra_release(templates.path(), "v9.9.9");
  ASSERT_EQ(run({"--templates", templates.path().string(), "up", "shop"}).code, 0);
  const size_t creates = engine.calls_of("create_container").size();
  Result r = run({"--templates", templates.path().string(), "upgrade", "shop", "--to", "v9.9.9", "--no-backup"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(instance().spec.release, "v9.9.9");
  EXPECT_NE(r.err.find("kong"), std::string::npos) << r.err;
  EXPECT_EQ(engine.calls_of("create_container").size() - creates, instance().spec.kong.replicas) << r.err;
}

TEST_F(Commands, UpgradeWithABackupWhileDbIsStoppedExits3AndKeepsTheRelease) {
  test::TempDir templates;
  extra_release(templates.path(), "v9.9.9");
  const std::string release = instance().spec.release;
  Result r = run({"--templates", templates.path().string(), "upgrade", "shop", "--to", "v9.9.9"});
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("--no-backup"), std::string::npos) << r.err;
  EXPECT_EQ(instance().spec.release, release);
}

TEST_F(Commands, UpgradeDryRunShowsTheDiffAndWritesNothing) {
  test::TempDir templates;
  extra_release(templates.path(), "v9.9.9");
  const auto before = snapshot(instance_dir());
  Result r = run({"--templates", templates.path().string(), "upgrade", "shop", "--to", "v9.9.9", "--dry-run"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("9.9.9"), std::string::npos) << r.err;
  EXPECT_EQ(snapshot(instance_dir()), before);
  EXPECT_EQ(write_calls(engine), 0u);
}

// --- restore --------------------------------------------------------------------------------

TEST_F(Commands, RestoreRefusesAMissingOrCorruptArchiveAndChangesNothing) {
  const auto before = snapshot(instance_dir());
  Result missing = run({"restore", "copy", (home.path() / "nope.tar.gz").string()});
  EXPECT_EQ(missing.code, 3) << missing.err;
  test::TempDir dir;
  core::write_file_atomic(dir.path() / "bad.tar.gz", "not a gzip stream at all");
  Result corrupt = run({"restore", "copy", (dir.path() / "bad.tar.gz").string()});
  EXPECT_EQ(corrupt.code, 2) << corrupt.err;
  EXPECT_NE(corrupt.err.find("nothing was changed"), std::string::npos) << corrupt.err;
  EXPECT_FALSE(fs::exists(home.path() / "instances" / "copy")) << "no instance made from a bad archive";
  EXPECT_TRUE(engine.calls().empty());
  EXPECT_EQ(snapshot(instance_dir()), before);
}

// --- status, down, functions ------------------------------------------------------------------

TEST_F(Commands, StatusExitCodesFollowHealth) {
  EXPECT_EQ(run({"status", "nope"}).code, 3);
  EXPECT_EQ(run({"status", "shop"}).code, 6) << "nothing runs yet";
  ASSERT_EQ(run({"up", "shop"}).code, 0);
  Result healthy = run({"status", "shop", "-o", "json"});
  ASSERT_EQ(healthy.code, 0) << healthy.err;
  EXPECT_EQ(nlohmann::json::parse(healthy.out).at("state"), "healthy");
  engine.stop_container("shop-rest-1", 0);
  Result degraded = run({"status", "shop", "-o", "json"});
  EXPECT_EQ(degraded.code, 6);
  EXPECT_EQ(nlohmann::json::parse(degraded.out).at("state"), "degraded");
  core::write_file_atomic(instance_dir() / ".restoring", "/b.tar.gz\n", 0600);
  Result restoring = run({"status", "shop", "-o", "json"});
  EXPECT_EQ(restoring.code, 4);
  EXPECT_EQ(nlohmann::json::parse(restoring.out).at("state"), "restoring");
}

TEST_F(Commands, StatusWarnsWhenTheDockerDataRootIsBelowTenPercentFree) {
  engine.info_answer = nlohmann::json{{"DockerRootDir", "/srv/docker"}, {"Name", "elsewhere"}};
  ::setenv("SUPACTL_TEST_DATA_ROOT_SPACE", "9 100", 1);
  Result low = run({"status", "shop"});
  Result all = run({"status"});
  ::setenv("SUPACTL_TEST_DATA_ROOT_SPACE", "10 100", 1);
  Result enough = run({"status", "shop"});
  ::unsetenv("SUPACTL_TEST_DATA_ROOT_SPACE");
  Result remote = run({"status", "shop"});
  EXPECT_NE(low.err.find("the Docker data root /srv/docker has 9% free"), std::string::npos) << low.err;
  EXPECT_NE(all.err.find("has 9% free"), std::string::npos) << all.err;
  EXPECT_EQ(enough.err.find("free"), std::string::npos) << enough.err;
  EXPECT_EQ(remote.err.find("free"), std::string::npos) << "an Engine on another host is not measured here";
}

TEST_F(Commands, DownRemovesContainersKeepsVolumesAndExits0) {
  ASSERT_EQ(run({"up", "shop"}).code, 0);
  Result r = run({"down", "shop"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(engine.has_container("shop-db-1"));
  EXPECT_TRUE(engine.calls_of("remove_volume").empty());
  Result refuse = run({"down", "shop", "--volumes", "-o", "json"});
  EXPECT_EQ(refuse.code, 2) << "deleting data needs --yes";
}

/// Standard input is /dev/null for the object's life (no terminal to ask for a confirmation,
/// even when the tests run from one).
class NoTerminalInput {
 public:
  NoTerminalInput() : m_saved(::dup(STDIN_FILENO)) {
    const int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, STDIN_FILENO);
    ::close(null);
  }
  ~NoTerminalInput() {
    ::dup2(m_saved, STDIN_FILENO);
    ::close(m_saved);
  }
  NoTerminalInput(const NoTerminalInput&) = delete;
  NoTerminalInput& operator=(const NoTerminalInput&) = delete;

 private:
  int m_saved;
};

TEST_F(Commands, RmWithoutATerminalOrYesExits2NamingYesAndChangesNothing) {
  ASSERT_EQ(run({"up", "shop"}).code, 0);
  const size_t writes = write_calls(engine);
  const auto before = snapshot(instance_dir());
  const NoTerminalInput no_terminal;
  Result r = run({"rm", "shop"});
  EXPECT_EQ(r.code, 2) << r.err;
  const std::string first_line = r.err.substr(0, r.err.find('\n'));
  EXPECT_EQ(first_line, "supactl: error: refusing to delete instance shop without --yes") << r.err;
  EXPECT_EQ(write_calls(engine), writes);
  EXPECT_TRUE(engine.has_container("shop-db-1"));
  EXPECT_EQ(snapshot(instance_dir()), before);
}

TEST_F(Commands, RmOfAnUnknownInstanceExits3WithoutTouchingTheEngine) {
  Result r = run({"rm", "nope", "--yes"});
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("no instance `nope`"), std::string::npos) << r.err;
  EXPECT_TRUE(engine.calls().empty());
}

TEST_F(Commands, RmWhileABackupOrRestoreHoldsTheLockExits4AndChangesNothing) {
  ASSERT_EQ(run({"up", "shop"}).code, 0);
  const size_t writes = write_calls(engine);
  const core::FileLock held = config::lock_instance(instance_dir(), "shop", 0);
  Result r = run({"rm", "shop", "--yes", "--lock-timeout", "0"});
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_NE(r.err.find("instance shop is busy"), std::string::npos) << r.err;
  EXPECT_EQ(write_calls(engine), writes);
  EXPECT_TRUE(fs::exists(instance_dir() / "instance.yaml"));
}

TEST_F(Commands, RmYesRemovesContainersVolumesNetworksAndTheFolderButKeepsBackups) {
  ASSERT_EQ(run({"up", "shop"}).code, 0);
  const fs::path backup = home.path() / "backups" / "shop" / "shop-20260101T000000Z.tar.gz";
  core::write_file_atomic(backup, "archive", 0600);
  Result r = run({"rm", "shop", "--yes", "-o", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(engine.has_container("shop-db-1"));
  EXPECT_FALSE(engine.calls_of("remove_volume shop_db-data").empty());
  EXPECT_FALSE(engine.calls_of("remove_network shop_backend").empty());
  EXPECT_FALSE(fs::exists(instance_dir()));
  EXPECT_TRUE(fs::exists(backup));
  EXPECT_TRUE(fs::is_empty(home.path() / "instances")) << "no hidden leftover of the folder";
  // Progress events, one per line, then the result.
  const std::string last = r.out.substr(r.out.rfind('\n', r.out.size() - 2) + 1);
  const nlohmann::json j = nlohmann::json::parse(last);
  EXPECT_TRUE(j.at("folder_removed").get<bool>());
  EXPECT_FALSE(j.at("backups_removed").get<bool>());
  EXPECT_GT(j.at("removed_volumes").get<int>(), 0);
  EXPECT_EQ(run({"ls", "-o", "json"}).out, "[]\n");
}

TEST_F(Commands, RmPurgeBackupsAlsoDeletesTheBackupFolder) {
  const fs::path backup = home.path() / "backups" / "shop" / "shop-20260101T000000Z.tar.gz";
  core::write_file_atomic(backup, "archive", 0600);
  Result r = run({"rm", "shop", "--yes", "--purge-backups"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(fs::exists(instance_dir()));
  EXPECT_FALSE(fs::exists(backup.parent_path()));
  EXPECT_NE(r.out.find("deleted"), std::string::npos) << r.out;
}

// --- config get / set ---------------------------------------------------------------------------

TEST_F(Commands, ConfigSetChangesOneKeyCheckedByTheLoaderAndGetReadsIt) {
  Result set = run({"config", "set", "shop", "kong.rate_limit.per_second", "25"});
  ASSERT_EQ(set.code, 0) << set.err;
  EXPECT_NE(set.out.find("kong.rate_limit.per_second: 100 -> 25"), std::string::npos) << set.out;
  EXPECT_EQ(instance().spec.kong.rate_limit.per_second, 25);
  EXPECT_EQ(run({"config", "get", "shop", "kong.rate_limit.per_second"}).out, "25\n");
  ASSERT_EQ(run({"config", "set", "shop", "rest.schemas", "public", "storage"}).code, 0);
  EXPECT_EQ(instance().spec.rest.schemas, (std::vector<std::string>{"public", "storage"}));
  const nlohmann::json j = nlohmann::json::parse(run({"config", "get", "shop", "kong", "-o", "json"}).out);
  EXPECT_EQ(j.at("value").at("rate_limit").at("per_second"), 25);
  EXPECT_EQ(j.at("value").at("rate_limit").at("enabled"), true);
  EXPECT_NE(run({"config", "get", "shop"}).out.find("name: \"shop\""), std::string::npos);
  EXPECT_TRUE(engine.calls().empty());
}

TEST_F(Commands, ConfigSetKeepsTheUsersCommentsAndOrderAndChangesOnlyTheValue) {
  // A file as a person keeps it: canonical content, with comments of their own and a quoted value.
  std::string text = core::read_file(instance_dir() / "instance.yaml");
  const size_t kong = text.find("\nkong:");
  ASSERT_NE(kong, std::string::npos) << text;
  text.insert(kong + 1, "# raised for the launch, ask ops before lowering\n");
  const size_t per_second = text.find("per_second: 100");
  ASSERT_NE(per_second, std::string::npos) << text;
  text.replace(per_second, std::string("per_second: 100").size(), "per_second: 100  # per client IP");
  core::write_file_atomic(instance_dir() / "instance.yaml", text);

  ASSERT_EQ(run({"config", "set", "shop", "kong.rate_limit.per_second", "25"}).code, 0);
  std::string want = text;
  want.replace(want.find("per_second: 100"), std::string("per_second: 100").size(), "per_second: 25");
  EXPECT_EQ(core::read_file(instance_dir() / "instance.yaml"), want) << "only the value changes";

  ASSERT_EQ(run({"config", "set", "shop", "rest.schemas", "public", "storage"}).code, 0);
  const std::string now = core::read_file(instance_dir() / "instance.yaml");
  EXPECT_NE(now.find("# raised for the launch, ask ops before lowering"), std::string::npos) << now;
  EXPECT_NE(now.find("per_second: 25  # per client IP"), std::string::npos) << now;
  EXPECT_EQ(instance().spec.rest.schemas, (std::vector<std::string>{"public", "storage"}));
  ASSERT_EQ(run({"config", "set", "shop", "auth.site_url", "http://shop.localhost:3000/a b#c"}).code, 0);
  EXPECT_EQ(instance().spec.auth.site_url, "http://shop.localhost:3000/a b#c");
  EXPECT_NE(core::read_file(instance_dir() / "instance.yaml").find("# per client IP"), std::string::npos);

  // A key the file does not hold: the canonical form is written, and the loader reads it.
  std::string without = core::read_file(instance_dir() / "instance.yaml");
  const size_t expiry = without.find("  jwt_expiry:");
  ASSERT_NE(expiry, std::string::npos) << without;
  without.erase(expiry, without.find('\n', expiry) - expiry + 1);
  core::write_file_atomic(instance_dir() / "instance.yaml", without);
  ASSERT_EQ(run({"config", "set", "shop", "auth.jwt_expiry", "7200"}).code, 0);
  EXPECT_EQ(instance().spec.auth.jwt_expiry, 7200);
  EXPECT_EQ(instance().spec.kong.rate_limit.per_second, 25);
}

TEST_F(Commands, ConfigSetDryRunShowsTheChangeAndWritesNothing) {
  const auto before = snapshot(instance_dir());
  Result r = run({"config", "set", "shop", "auth.jwt_expiry", "7200", "--dry-run", "-o", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("old"), 3600);
  EXPECT_EQ(j.at("new"), 7200);
  EXPECT_FALSE(j.at("written").get<bool>());
  EXPECT_EQ(snapshot(instance_dir()), before);
}

TEST_F(Commands, ConfigSetRefusesSecretsUnknownKeysBadValuesAndTheNameAndChangesNothing) {
  const auto before = snapshot(instance_dir());
  Result secret = run({"config", "set", "shop", "jwt_secret", "x"});
  EXPECT_EQ(secret.code, 2);
  EXPECT_NE(secret.err.find("supactl secrets rotate"), std::string::npos) << secret.err;
  Result unknown = run({"config", "set", "shop", "ports.htp", "80"});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.err.find("ports holds http, https"), std::string::npos) << unknown.err;
  Result range = run({"config", "set", "shop", "kong.replicas", "0"});
  EXPECT_EQ(range.code, 2);
  EXPECT_NE(range.err.find("kong.replicas must be"), std::string::npos) << range.err;
  EXPECT_EQ(run({"config", "set", "shop", "services.studio", "maybe"}).code, 2);
  EXPECT_EQ(run({"config", "set", "shop", "name", "other"}).code, 2);
  EXPECT_EQ(run({"config", "get", "shop", "auth.smtp.pass"}).code, 2);
  auto after = snapshot(instance_dir());
  after.erase(".lock");  // the lock file, made by the first command that took the lock
  EXPECT_EQ(after, before);
  EXPECT_EQ(run({"config", "get", "nope", "ports.http"}).code, 3);
  EXPECT_EQ(run({"config", "get", "shop", "images.studio"}).code, 3) << "an image override not set";
}

TEST_F(Commands, ConfigSetWhileAnotherHoldsTheLockExits4) {
  const core::FileLock held = config::lock_instance(instance_dir(), "shop", 0);
  const auto before = snapshot(instance_dir());
  EXPECT_EQ(run({"config", "set", "shop", "auth.jwt_expiry", "7200"}).code, 4);
  EXPECT_EQ(snapshot(instance_dir()), before);
  EXPECT_EQ(run({"config", "set", "shop", "auth.jwt_expiry", "7200", "--dry-run"}).code, 0) << "a dry run reads only";
}

// --- inspect db -------------------------------------------------------------------------------

TEST_F(Commands, InspectDbWithAnUnknownReportExits2ListingTheReportsBeforeAnyEngineCall) {
  Result r = run({"inspect", "db", "shop", "sizes"});
  EXPECT_EQ(r.code, 2) << r.err;
  for (const char* report : {"table-sizes", "index-usage", "cache-hit", "bloat", "locks", "blocking", "long-running",
                             "seq-scans", "replication-slots", "vacuum-stats"}) {
    EXPECT_NE(r.err.find(report), std::string::npos) << report << "\n" << r.err;
  }
  EXPECT_TRUE(engine.calls().empty());
  EXPECT_EQ(run({"inspect", "db", "shop"}).code, 2);
  EXPECT_EQ(run({"inspect", "db", "nope", "locks"}).code, 3);
  EXPECT_EQ(run({"inspect", "db", "shop", "locks"}).code, 3) << "db is not running";
}

TEST_F(Commands, InspectDbPrintsAnAlignedTableOrTypedJsonRows) {
  ASSERT_EQ(run({"up", "shop"}).code, 0);
  std::vector<std::string> sql;
  engine.on_exec = [&sql](const std::string&, const docker::ExecSpec& spec, const docker::OutputSink&) {
    sql.push_back(spec.cmd.back());
    return docker::ExecResult{.exit_code = 0,
                              .out =
                                  "public\ttodos\t1200\t98304\t16384\t114688\t112 kB\n"
                                  "auth\tusers\t0\t8192\t0\t8192\t8192 bytes\n",
                              .err = ""};
  };
  Result text = run({"inspect", "db", "shop", "table-sizes"});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_EQ(text.out,
            "schema  table  rows_estimate  table_bytes  index_bytes  total_bytes  total\n"
            "public  todos           1200        98304        16384       114688  112 kB\n"
            "auth    users              0         8192            0         8192  8192 bytes\n");
  ASSERT_EQ(sql.size(), 1u);
  EXPECT_NE(sql[0].find("pg_total_relation_size"), std::string::npos) << sql[0];

  Result json = run({"inspect", "db", "shop", "table-sizes", "-o", "json"});
  ASSERT_EQ(json.code, 0) << json.err;
  const nlohmann::json rows = nlohmann::json::parse(json.out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].at("table"), "todos");
  EXPECT_EQ(rows[0].at("total_bytes"), 114688);
  EXPECT_EQ(rows[1].at("total"), "8192 bytes");

  engine.on_exec = [](const std::string&, const docker::ExecSpec&, const docker::OutputSink&) {
    return docker::ExecResult{.exit_code = 0, .out = "5\tf\t\n", .err = ""};
  };
  Result wrong = run({"inspect", "db", "shop", "cache-hit"});
  EXPECT_EQ(wrong.code, 1) << "a row of another width is an error, not a shifted table";
  engine.on_exec = [](const std::string&, const docker::ExecSpec&, const docker::OutputSink&) {
    return docker::ExecResult{.exit_code = 0, .out = "table\t10\t0\t1.0000\nindex\t0\t0\t\n", .err = ""};
  };
  const nlohmann::json hit = nlohmann::json::parse(run({"inspect", "db", "shop", "cache-hit", "-o", "json"}).out);
  EXPECT_EQ(hit[0].at("ratio"), 1.0);
  EXPECT_TRUE(hit[1].at("ratio").is_null());
  engine.on_exec = [](const std::string&, const docker::ExecSpec&, const docker::OutputSink&) {
    return docker::ExecResult{.exit_code = 1, .out = "", .err = "ERROR:  permission denied for view pg_stats\n"};
  };
  Result failed = run({"inspect", "db", "shop", "bloat"});
  EXPECT_EQ(failed.code, 1);
  EXPECT_NE(failed.err.find("permission denied"), std::string::npos) << failed.err;
}

// --- gen types ---------------------------------------------------------------------------------

TEST_F(Commands, GenTypesRefusesABadLanguageOrSchemaWithExit2BeforeAnyEngineCall) {
  Result lang = run({"gen", "types", "shop", "--lang", "rust"});
  EXPECT_EQ(lang.code, 2) << lang.err;
  EXPECT_NE(lang.err.find("--lang typescript|go|swift|python"), std::string::npos) << lang.err;
  for (const char* schema : {"public;drop", "a b", "1st", "public&excluded_schemas=x"}) {
    Result r = run({"gen", "types", "shop", "--schema", schema});
    EXPECT_EQ(r.code, 2) << schema << "\n" << r.err;
  }
  EXPECT_TRUE(engine.calls().empty());
  EXPECT_EQ(run({"gen", "types", "nope"}).code, 3);
  EXPECT_EQ(run({"gen", "types", "shop"}).code, 3) << "meta is not running";
}

TEST_F(Commands, GenTypesAsksTheInstancesMetaForTheSchemasAndPrintsItsAnswer) {
  ASSERT_EQ(run({"up", "shop"}).code, 0);
  std::string container;
  docker::ExecSpec seen;
  engine.on_exec = [&](const std::string& id, const docker::ExecSpec& spec, const docker::OutputSink&) {
    container = id;
    seen = spec;
    return docker::ExecResult{.exit_code = 0, .out = "export type Json = string\n", .err = ""};
  };
  Result r = run({"gen", "types", "shop", "--schema", "public,storage"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "export type Json = string\n");
  EXPECT_EQ(container, "id-shop-meta-1");
  ASSERT_FALSE(seen.cmd.empty());
  EXPECT_EQ(seen.cmd.front(), "node");
  EXPECT_EQ(seen.env,
            std::vector<std::string>{"SUPACTL_GEN_PATH=/generators/typescript?included_schemas=public,storage"});

  Result json = run({"gen", "types", "shop", "--lang", "go", "-o", "json"});
  ASSERT_EQ(json.code, 0) << json.err;
  const nlohmann::json j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j.at("types"), "export type Json = string\n");
  EXPECT_EQ(j.at("schemas"), nlohmann::json::array({"public"}));
  EXPECT_EQ(seen.env.at(0), "SUPACTL_GEN_PATH=/generators/go?included_schemas=public");

  engine.on_exec = [](const std::string&, const docker::ExecSpec&, const docker::OutputSink&) {
    return docker::ExecResult{.exit_code = 1, .out = "", .err = "500 {\"error\":\"connection refused\"}\n"};
  };
  Result failed = run({"gen", "types", "shop"});
  EXPECT_EQ(failed.code, 1);
  EXPECT_NE(failed.err.find("connection refused"), std::string::npos) << failed.err;
  EXPECT_NE(failed.err.find("supactl logs shop meta"), std::string::npos) << failed.err;
}

// --- per-function settings ---------------------------------------------------------------------

TEST_F(Commands, FunctionsDeployKeepsSettingsFilesOutOfTheVolumeAndGivesEachFunctionItsOwn) {
  ASSERT_EQ(run({"up", "shop"}).code, 0);
  test::TempDir dir;
  core::write_file_atomic(dir.path() / "greet" / "index.ts", "export default () => new Response('hi')\n");
  core::write_file_atomic(dir.path() / "greet" / "function.yaml",
                          "verify_jwt: false\nenv:\n  GREETING: hello\nsecrets_file: .env\n");
  core::write_file_atomic(dir.path() / "greet" / ".env", "API_TOKEN=s3cret-greet\n", 0600);
  core::write_file_atomic(dir.path() / "bill" / "index.ts", "export default () => new Response('bill')\n");

  Result r = run({"functions", "deploy", "shop", dir.path().string(), "-o", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out).at("with_settings"), nlohmann::json::array({"greet"}));
  EXPECT_EQ(r.out.find("s3cret"), std::string::npos);
  const std::string tar = engine.put_archives.at({"id-shop-functions-1", "/home/deno/functions"});
  EXPECT_NE(tar.find("greet/index.ts"), std::string::npos);
  EXPECT_NE(tar.find("bill/index.ts"), std::string::npos);
  EXPECT_EQ(tar.find("function.yaml"), std::string::npos) << "settings files stay on the host";
  EXPECT_EQ(tar.find("s3cret-greet"), std::string::npos) << "a secret never goes into the shared volume";

  // The router's files: greet's own settings, nothing for bill.
  const fs::path settings = instance_dir() / "rendered" / "function-settings";
  const nlohmann::json greet = nlohmann::json::parse(core::read_file(settings / "greet.json"));
  EXPECT_EQ(greet, nlohmann::json::parse(
                       R"({"verify_jwt": false, "env": {"GREETING": "hello", "API_TOKEN": "s3cret-greet"}})"));
  EXPECT_FALSE(fs::exists(settings / "bill.json"));
  EXPECT_EQ(fs::status(settings / "greet.json").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(fs::status(instance_dir() / "functions.json").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);

  // A secret of bill's is bill's alone; values are never printed.
  Result set = run({"functions", "secrets", "set", "shop", "bill", "BILLING_KEY=s3cret-bill", "MODE=live"});
  ASSERT_EQ(set.code, 0) << set.err;
  EXPECT_EQ(set.out.find("s3cret"), std::string::npos) << set.out;
  const nlohmann::json bill = nlohmann::json::parse(core::read_file(settings / "bill.json"));
  EXPECT_EQ(bill.at("env"), nlohmann::json::parse(R"({"BILLING_KEY": "s3cret-bill", "MODE": "live"})"));
  EXPECT_EQ(core::read_file(settings / "greet.json").find("s3cret-bill"), std::string::npos);
  Result ls = run({"functions", "secrets", "ls", "shop", "bill"});
  EXPECT_EQ(ls.out, "BILLING_KEY\nMODE\n");
  EXPECT_EQ(run({"functions", "secrets", "ls", "shop", "greet"}).out, "API_TOKEN\n");

  // A second deploy without function.yaml drops greet's variables and verify_jwt, keeps its secret.
  fs::remove(dir.path() / "greet" / "function.yaml");
  ASSERT_EQ(run({"functions", "deploy", "shop", dir.path().string()}).code, 0);
  EXPECT_EQ(nlohmann::json::parse(core::read_file(settings / "greet.json")),
            nlohmann::json::parse(R"({"env": {"API_TOKEN": "s3cret-greet"}})"));

  Result rm = run({"functions", "secrets", "rm", "shop", "bill", "MODE"});
  ASSERT_EQ(rm.code, 0) << rm.err;
  EXPECT_EQ(run({"functions", "secrets", "ls", "shop", "bill"}).out, "BILLING_KEY\n");
  EXPECT_EQ(run({"functions", "secrets", "rm", "shop", "bill", "MODE"}).code, 3);
}

// --- db failover ---------------------------------------------------------------------------

TEST_F(Commands, FailoverWithoutAStandbyExits3AndADryRunPrintsTheStepsAndWritesNothing) {
  const std::string spec = core::read_file(instance_dir() / "instance.yaml");
  Result r = run({"db", "failover", "shop"});
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("shop has no standby to promote"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("`supactl db standby add shop`"), std::string::npos) << r.err;

  // With a standby configured: the dry run lists fence before promote and changes nothing.
  config::Instance inst = instance();
  inst.spec.db_standby = true;
  config::save_spec(inst.spec_file(), inst.spec);
  const std::string with_standby = core::read_file(instance_dir() / "instance.yaml");
  const size_t calls = engine.calls().size();
  r = run({"db", "failover", "shop", "--switchover", "--dry-run"});
  EXPECT_EQ(r.code, 0) << r.err;
  const size_t fence = r.out.find("fence db:");
  const size_t promote = r.out.find("promote db-standby");
  ASSERT_NE(fence, std::string::npos) << r.out;
  ASSERT_NE(promote, std::string::npos) << r.out;
  EXPECT_LT(r.out.find("stop db cleanly"), fence) << r.out;
  EXPECT_LT(fence, promote) << r.out;
  EXPECT_EQ(core::read_file(instance_dir() / "instance.yaml"), with_standby);
  const std::vector<std::string> all = engine.calls();
  for (size_t i = calls; i < all.size(); ++i) {
    for (const char* write : {"create", "start", "stop", "kill", "remove", "put_archive", "exec"}) {
      EXPECT_NE(all[i].rfind(write, 0), 0U) << "a dry run called " << all[i];
    }
  }
  EXPECT_NE(spec, with_standby);
}

TEST_F(Commands, PointInTimeCommandsRefuseWhatTheyCannotDoWithExit2AndTouchNothing) {
  const size_t calls = engine.calls().size();
  // Without backup.wal: no base backup, no WAL to ship, no point to restore to.
  Result r = run({"backup", "shop", "--base"});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("`supactl config set shop backup.wal true`"), std::string::npos) << r.err;
  r = run({"backup", "shop", "--wal"});
  EXPECT_EQ(r.code, 2) << r.err;
  r = run({"restore", "shop2", "--from", "shop", "--latest"});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("backup.wal: false"), std::string::npos) << r.err;
  // A target is needed, only one, and only with --from.
  r = run({"restore", "shop2", "--from", "shop"});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("--to-time"), std::string::npos) << r.err;
  r = run({"restore", "shop2", "--from", "shop", "--latest", "--to-lsn", "0/3000060"});
  EXPECT_EQ(r.code, 2) << r.err;
  r = run({"restore", "shop2", "--from", "shop", "--to-time", "2026-11-29 18:00"});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("2026-11-29T18:00:00Z"), std::string::npos) << r.err;
  r = run({"restore", "shop2", "--to-time", "2026-11-29T18:00:00Z"});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("go with --from"), std::string::npos) << r.err;
  r = run({"restore", "shop2", "backup.tar.gz", "--from", "shop", "--latest"});
  EXPECT_EQ(r.code, 2) << r.err;
  // Into an existing instance: never (it would replace its data).
  config::Instance inst = instance();
  inst.spec.backup.wal = true;
  config::save_spec(inst.spec_file(), inst.spec);
  r = run({"restore", "shop", "--from", "shop", "--latest"});
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_NE(r.err.find("nothing was changed"), std::string::npos) << r.err;
  r = run({"backup", "shop", "--base", "--encrypt"});
  EXPECT_EQ(r.code, 2) << r.err;
  const std::vector<std::string> all = engine.calls();
  for (size_t i = calls; i < all.size(); ++i) {
    for (const char* write : {"create", "start", "stop", "kill", "remove", "put_archive", "exec"}) {
      EXPECT_NE(all[i].rfind(write, 0), 0U) << "a refused command called " << all[i];
    }
  }
  EXPECT_FALSE(fs::exists(home.path() / "instances" / "shop2"));
}

TEST_F(Commands, ConfigSetOfDbPrimaryIsRefusedNamingDbFailover) {
  const std::string spec = core::read_file(instance_dir() / "instance.yaml");
  const Result r = run({"config", "set", "shop", "db.primary", "db-standby"});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("`supactl db failover shop`"), std::string::npos) << r.err;
  EXPECT_EQ(core::read_file(instance_dir() / "instance.yaml"), spec);
}

TEST_F(Commands, FunctionSettingsThatCannotBeTrustedAreRefusedWithExit2AndNothingDeployed) {
  ASSERT_EQ(run({"up", "shop"}).code, 0);
  test::TempDir dir;
  core::write_file_atomic(dir.path() / "greet" / "index.ts", "export default () => new Response('hi')\n");
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"secrets_file: .env\n", "API_TOKEN=x\n"},    // secrets readable by others (0644)
      {"secrets_file: missing.env\n", ""},          // no such file
      {"secrets_file: ../../etc/passwd\n", ""},     // outside the function's folder
      {"env:\n  SUPABASE_URL: http://evil\n", ""},  // the runtime's own name
      {"env:\n  1BAD: x\n", ""},                    // not a variable name
      {"verify_jwt: maybe\n", ""},                  // not a boolean
      {"verifyjwt: false\n", ""},                   // unknown key
  };
  for (const auto& [yaml, env] : bad) {
    core::write_file_atomic(dir.path() / "greet" / "function.yaml", yaml);
    if (!env.empty()) core::write_file_atomic(dir.path() / "greet" / ".env", env, 0644);
    Result r = run({"functions", "deploy", "shop", dir.path().string()});
    EXPECT_EQ(r.code, 2) << yaml << r.err;
    fs::remove(dir.path() / "greet" / ".env");
  }
  EXPECT_TRUE(engine.calls_of("put_archive").empty());
  EXPECT_FALSE(fs::exists(instance_dir() / "functions.json"));
  EXPECT_EQ(run({"functions", "secrets", "set", "shop", "greet", "SUPABASE_KEY=x"}).code, 2);
  EXPECT_EQ(run({"functions", "secrets", "set", "shop", "greet", "novalue"}).code, 2);
  EXPECT_EQ(run({"functions", "secrets", "set", "shop", "../x", "A=b"}).code, 2);
  EXPECT_EQ(run({"functions", "secrets", "set", "shop", "greet"}).code, 2);
  EXPECT_FALSE(fs::exists(instance_dir() / "functions.json"));
}

TEST_F(Commands, FunctionsDeployWithoutARunningFunctionsServiceExits3) {
  test::TempDir dir;
  core::write_file_atomic(dir.path() / "greet" / "index.ts", "export default () => new Response('hi')\n");
  Result r = run({"functions", "deploy", "shop", dir.path().string()});
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_TRUE(engine.calls_of("put_archive").empty());
  Result bad = run({"functions", "deploy", "shop", (dir.path() / "missing").string()});
  EXPECT_EQ(bad.code, 2) << bad.err;
}

TEST_F(Commands, FunctionsDeployCopiesTheFilesAndRestartsTheService) {
  ASSERT_EQ(run({"up", "shop"}).code, 0);
  test::TempDir dir;
  core::write_file_atomic(dir.path() / "greet" / "index.ts", "export default () => new Response('hi')\n");
  Result r = run({"functions", "deploy", "shop", dir.path().string(), "-o", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(engine.calls_of("put_archive id-shop-functions-1 /home/deno/functions").size(), 1u);
  EXPECT_EQ(engine.calls_of("restart_container id-shop-functions-1").size(), 1u);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("deployed"), nlohmann::json::array({"greet"}));
  EXPECT_EQ(j.at("files"), 1);
}

}  // namespace
}  // namespace supactl

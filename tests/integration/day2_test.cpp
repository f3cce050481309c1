// SPDX-License-Identifier: Apache-2.0
// Day-2 commands through the real binary on a full instance from the image kit's registry
// (real PostgreSQL 15 in db): backup → down --volumes --yes → restore gives back the same
// rows (a checksum of the table's content) and storage files; a flipped byte or a truncated
// archive is refused before anything changes; db migrate is idempotent and stops at a failing
// file; psql and exec return the command's output and exit code.
// Needs `tests/images/kit up`; skips without it, except in CI (CI=true) where it fails.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include <supactl/secrets/secrets_file.hpp>

#include "support/docker_env.hpp"
#include "support/free_port.hpp"
#include "support/s3_server.hpp"
#include "support/temp_dir.hpp"

namespace supactl {
namespace {

constexpr const char* k_registry = test::k_kit_registry;

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

class Day2Test : public ::testing::Test {
 protected:
  void SetUp() override {
    SUPACTL_REQUIRE_ENGINE(e);
    (void)e;
    SUPACTL_REQUIRE_KIT();
    name = test::instance_name("d2");
    std::string out;
    ASSERT_EQ(run("init " + name + " --registry " + k_registry + " --http-port " + std::to_string(test::free_port()) +
                      " --https-port " + std::to_string(test::free_port()) + init_flags(),
                  &out),
              0)
        << out;
    created = true;
    ASSERT_EQ(run("up " + name, &out), 0) << out;
  }
  void TearDown() override {
    if (created) run("down " + name + " --volumes --yes");
    test::remove_test_objects(name);
  }

  /// More `init` flags, for fixtures that need fewer services.
  virtual std::string init_flags() const { return {}; }

  /// The shell command that runs supactl with `args` on this test's home.
  std::string command(const std::string& args) const {
    return "SUPACTL_HOME=" + home.path().string() + " SUPACTL_PORT_RANGE=47000-47999 " + SUPACTL_BINARY + " " + args +
           " </dev/null";
  }

  int run(const std::string& args, std::string* out = nullptr) { return test::run_shell(command(args), out); }

  /// One value from `supactl psql NAME -- -A -t -c SQL`.
  std::string sql(const std::string& query) {
    std::string out;
    EXPECT_EQ(run("psql " + name + " -- -A -t -c \"" + query + "\" 2>&1", &out), 0) << out;
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
  }

  /// md5 of the whole content of public.todos, in id order.
  std::string todos_checksum() { return sql("select md5(string_agg(t::text, ',' order by id)) from public.todos t"); }

  /// sha256 of every file under MinIO's /data, as `sha256sum` lists them. The files are
  /// copied out through the Engine and hashed on the host (MinIO's image has no find).
  std::string storage_listing() {
    test::TempDir copy;
    std::string out;
    EXPECT_EQ(test::run_shell("docker cp " + name + "-minio-1:/data " + copy.path().string() + "/data && cd " +
                                  copy.path().string() + "/data && find . -type f | LC_ALL=C sort | xargs -r sha256sum",
                              &out),
              0)
        << out;
    return out;
  }

  std::filesystem::path backups() const { return home.path() / "backups" / name; }

  /// A real S3 API on loopback (s3rver, bucket `offsite`; rclone reads it too) behind the
  /// proxy that checks every signature as S3 does.
  struct OffsiteStore {
    test::TempDir dir;
    test::S3Server s3{dir.path() / "data", "offsite"};
    test::SigV4Proxy proxy{s3.port(), "S3RVER", "a-secret/that+s3rver-never-checks"};
    std::filesystem::path path() const { return dir.path(); }
  };
  /// Points the instance's backup.target at `store` (s3://offsite/hosts/one), with a 0600
  /// credentials file for it; fails the test when the store did not start.
  void use_store(const OffsiteStore& store) {
    ASSERT_TRUE(store.s3.ok()) << store.s3.why();
    ASSERT_TRUE(store.proxy.ok()) << store.proxy.why();
    const std::filesystem::path creds = store.path() / "s3.env";
    std::ofstream(creds)
        << "endpoint=" << store.proxy.endpoint()
        << "\nregion=us-east-1\naccess_key_id=S3RVER\nsecret_access_key=a-secret/that+s3rver-never-checks\n";
    ::chmod(creds.c_str(), 0600);
    std::string out;
    ASSERT_EQ(run("config set " + name + " backup.target s3://offsite/hosts/one", &out), 0) << out;
    ASSERT_EQ(run("config set " + name + " backup.credentials " + creds.string(), &out), 0) << out;
  }

  test::TempDir home;
  std::string name;
  bool created = false;
};

TEST_F(Day2Test, PsqlAndExecReturnTheCommandsOutputAndExitCode) {
  EXPECT_EQ(sql("select 40 + 2"), "42");
  std::string out;
  EXPECT_NE(run("psql " + name + " -- -v ON_ERROR_STOP=1 -c 'select 1/0' 2>&1", &out), 0);
  EXPECT_NE(out.find("division by zero"), std::string::npos) << out;
  EXPECT_EQ(run("exec " + name + " db -- sh -c 'echo from-db; exit 7'", &out), 7) << out;
  EXPECT_NE(out.find("from-db"), std::string::npos) << out;
  // A script on standard input is run with psql -f.
  EXPECT_EQ(test::run_shell("echo 'select 6 * 7;' | SUPACTL_HOME=" + home.path().string() + " " + SUPACTL_BINARY +
                                " psql " + name + " -- -A -t",
                            &out),
            0)
      << out;
  EXPECT_NE(out.find("42"), std::string::npos) << out;
  EXPECT_EQ(run("exec " + name + " nosuchservice -- true", &out), 3) << out;
}

TEST_F(Day2Test, MigrateAppliesInNameOrderOnceAndStopsAtAFailingFile) {
  test::TempDir dir;
  std::ofstream(dir.path() / "002_seed.sql") << "insert into public.items values (1, 'a'), (2, 'b');\n";
  std::ofstream(dir.path() / "001_items.sql") << "create table public.items (id int primary key, name text);\n";
  std::ofstream(dir.path() / "notes.txt") << "not a migration\n";
  std::string out;
  ASSERT_EQ(run("db migrate " + name + " " + dir.path().string() + " --output json", &out), 0) << out;
  nlohmann::json j = nlohmann::json::parse(out.substr(out.find('{')));
  EXPECT_EQ(j["applied"], nlohmann::json({"001_items.sql", "002_seed.sql"})) << out;

  // Again: nothing to do, nothing duplicated.
  ASSERT_EQ(run("db migrate " + name + " " + dir.path().string() + " --output json", &out), 0) << out;
  j = nlohmann::json::parse(out.substr(out.find('{')));
  EXPECT_TRUE(j["applied"].empty()) << out;
  EXPECT_EQ(j["skipped"].size(), 2u) << out;
  EXPECT_EQ(sql("select count(*) from public.items"), "2");
  EXPECT_EQ(
      sql("select string_agg(version || ':' || name, ',' order by version) from supabase_migrations.schema_migrations"),
      "001:items,002:seed");

  // A good file, then a failing one: the good one stays, the failing one leaves no trace.
  std::ofstream(dir.path() / "003_more.sql") << "insert into public.items values (3, 'c');\n";
  std::ofstream(dir.path() / "004_bad.sql")
      << "insert into public.items values (4, 'd');\nselect * from no_such_table;\n";
  EXPECT_EQ(run("db migrate " + name + " " + dir.path().string() + " 2>&1", &out), 1) << out;
  EXPECT_NE(out.find("004_bad.sql"), std::string::npos) << out;
  EXPECT_NE(out.find("no_such_table"), std::string::npos) << out;
  EXPECT_EQ(sql("select string_agg(id::text, ',' order by id) from public.items"), "1,2,3");
  EXPECT_EQ(sql("select count(*) from supabase_migrations.schema_migrations"), "3");
}

TEST_F(Day2Test, BackupDownVolumesRestoreGivesBackTheSameRowsAndFiles) {
  sql("create table public.todos (id serial primary key, title text, done boolean default false)");
  sql("insert into public.todos (title, done) select 'todo ' || g, g % 3 = 0 from generate_series(1, 500) g");
  std::string out;
  ASSERT_EQ(run("exec " + name +
                    " minio -- sh -c 'mkdir -p /data/stub/photos && echo hello > /data/stub/a.txt && "
                    "head -c 200000 /dev/urandom > /data/stub/photos/b.bin'",
                &out),
            0)
      << out;
  const std::string rows = todos_checksum();
  const std::string files = storage_listing();
  ASSERT_EQ(rows.size(), 32u) << rows;
  ASSERT_NE(files.find("photos/b.bin"), std::string::npos) << files;

  // Backup while running; secrets stay out unless asked; the archive is private.
  ASSERT_EQ(run("backup " + name + " --output json", &out), 0) << out;
  nlohmann::json b = nlohmann::json::parse(out.substr(out.find('{')));
  const std::filesystem::path archive = b["path"].get<std::string>();
  EXPECT_EQ(archive.parent_path(), backups());
  EXPECT_EQ(std::filesystem::status(archive).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_EQ(b["storage_files"], 2) << out;
  bool has_secrets = false;
  for (const nlohmann::json& m : b["members"]) {
    const std::string p = m["path"];
    has_secrets = has_secrets || p == "instance/secrets.env" || p == "instance/rendered/.env";
  }
  EXPECT_FALSE(has_secrets) << out;

  // The archive read with the host's own tools, against what the test itself put in: GNU tar
  // lists the members (manifest.json first, every one a private regular file); the storage
  // member holds the files written into MinIO, byte for byte; pg_restore reads the table's
  // rows back out of the database dump.
  std::string listing, err;
  ASSERT_EQ(test::run_command("tar -tzvf " + archive.string(), &listing, &err), 0) << err;
  std::vector<std::string> names;
  {
    std::istringstream lines(listing);
    for (std::string line; std::getline(lines, line);) {
      EXPECT_EQ(line.rfind("-rw------- ", 0), 0u) << line;
      names.push_back(line.substr(line.rfind(' ') + 1));
    }
  }
  ASSERT_FALSE(names.empty()) << listing;
  EXPECT_EQ(names.front(), "manifest.json") << listing;
  auto has = [&](const std::string& n) { return std::find(names.begin(), names.end(), n) != names.end(); };
  for (const char* n : {"db/roles.sql", "storage/minio.tar", "instance/instance.yaml"})
    EXPECT_TRUE(has(n)) << n << "\n" << listing;
  EXPECT_EQ(std::count(names.begin(), names.end(), "manifest.json"), 1) << listing;
  std::string stored;
  ASSERT_EQ(test::run_command("tar -xzOf " + archive.string() + " storage/minio.tar | tar -xO data/stub/a.txt", &stored,
                              &err),
            0)
      << err;
  EXPECT_EQ(stored, "hello\n");
  ASSERT_EQ(test::run_command(
                "tar -xzOf " + archive.string() + " storage/minio.tar | tar -xO data/stub/photos/b.bin | sha256sum",
                &stored, &err),
            0)
      << err;
  EXPECT_NE(files.find(stored.substr(0, 64) + "  ./stub/photos/b.bin"), std::string::npos) << stored << files;
  std::string dump_member;
  for (const std::string& n : names) {
    if (n.size() > 14 && n.rfind("db/", 0) == 0 && n.compare(n.size() - 14, 14, "-postgres.dump") == 0) dump_member = n;
  }
  ASSERT_FALSE(dump_member.empty()) << listing;
  std::string copy;
  ASSERT_EQ(test::run_command("tar -xzOf " + archive.string() + " " + dump_member +
                                  " | pg_restore --data-only --schema=public --table=todos -f -",
                              &copy, &err),
            0)
      << err;
  std::string expected_rows;
  for (int g = 1; g <= 500; ++g) {
    expected_rows += std::to_string(g) + "\ttodo " + std::to_string(g) + "\t" + (g % 3 == 0 ? "t" : "f") + "\n";
  }
  const std::string copy_head = "COPY public.todos (id, title, done) FROM stdin;\n";
  ASSERT_NE(copy.find(copy_head), std::string::npos) << copy.substr(0, 2000);
  const size_t rows_at = copy.find(copy_head) + copy_head.size();
  EXPECT_EQ(copy.substr(rows_at, copy.find("\\.\n", rows_at) - rows_at), expected_rows);

  ASSERT_EQ(run("backup ls " + name + " --output json", &out), 0) << out;
  EXPECT_EQ(nlohmann::json::parse(out.substr(out.find('{')))["backups"].size(), 1u) << out;

  // The data goes for good, then comes back.
  ASSERT_EQ(run("down " + name + " --volumes --yes", &out), 0) << out;
  EXPECT_EQ(run("restore " + name + " " + archive.string(), &out), 4) << out;  // exists: needs --yes
  EXPECT_NE(out.find("--yes"), std::string::npos) << out;
  ASSERT_EQ(run("restore " + name + " " + archive.string() + " --yes --output json", &out), 0) << out;
  nlohmann::json r =
      nlohmann::json::parse(out.substr(out.rfind("\n{") == std::string::npos ? out.find('{') : out.rfind("\n{") + 1));
  EXPECT_TRUE(r["ok"].get<bool>()) << out;
  EXPECT_EQ(r["files_restored"], 2) << out;
  EXPECT_EQ(todos_checksum(), rows);
  EXPECT_EQ(storage_listing(), files);
  ASSERT_EQ(run("status " + name, &out), 0) << out;
  const std::filesystem::path marker = home.path() / "instances" / name / ".restoring";
  EXPECT_FALSE(std::filesystem::exists(marker)) << "a verified restore leaves no restoring mark";

  // A restore killed before it verified (its mark is written before anything changes): the
  // instance says so, `up` refuses with the way out, and running the same restore finishes it.
  std::ofstream(marker) << archive.string() << "\n";
  EXPECT_EQ(run("status " + name + " --output json", &out), 4) << out;
  nlohmann::json st = nlohmann::json::parse(out.substr(out.find('{')));
  EXPECT_EQ(st["state"], "restoring") << out;
  EXPECT_EQ(st["restoring_from"], archive.string()) << out;
  EXPECT_EQ(run("up " + name, &out), 4) << out;
  EXPECT_NE(out.find("supactl restore " + name + " " + archive.string() + " --yes"), std::string::npos) << out;
  ASSERT_EQ(run("restore " + name + " " + archive.string(), &out), 0) << out;  // no --yes needed to resume
  EXPECT_FALSE(std::filesystem::exists(marker));
  EXPECT_EQ(todos_checksum(), rows);
  ASSERT_EQ(run("status " + name, &out), 0) << out;

  // prune keeps the newest N.
  ASSERT_EQ(run("backup " + name, &out), 0) << out;
  ASSERT_EQ(run("backup prune " + name + " --keep 1", &out), 0) << out;
  EXPECT_FALSE(std::filesystem::exists(archive));
  ASSERT_EQ(run("backup ls " + name + " --output json", &out), 0) << out;
  EXPECT_EQ(nlohmann::json::parse(out.substr(out.find('{')))["backups"].size(), 1u) << out;
}

TEST_F(Day2Test, CorruptOrTruncatedArchiveIsRefusedBeforeAnythingChanges) {
  sql("create table public.todos (id serial primary key, title text)");
  sql("insert into public.todos (title) select 'todo ' || g from generate_series(1, 200) g");
  std::string out;
  ASSERT_EQ(run("backup " + name + " --output json", &out), 0) << out;
  const std::string archive = nlohmann::json::parse(out.substr(out.find('{')))["path"];
  const std::string good = slurp(archive);
  ASSERT_GT(good.size(), 1000u);

  sql("insert into public.todos (title) values ('after the backup')");
  const std::string rows = todos_checksum();
  const std::string spec = slurp(home.path() / "instances" / name / "instance.yaml");
  std::string ids;
  test::run_shell("docker ps -q --no-trunc --filter label=com.docker.compose.project=" + name + " | sort", &ids);

  test::TempDir scratch;
  const std::filesystem::path flipped = scratch.path() / "flipped.tar.gz";
  const std::filesystem::path truncated = scratch.path() / "truncated.tar.gz";
  {
    std::string bytes = good;
    bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x10);
    std::ofstream(flipped, std::ios::binary) << bytes;
    std::ofstream(truncated, std::ios::binary) << good.substr(0, good.size() * 2 / 3);
  }
  for (const std::filesystem::path& bad : {flipped, truncated}) {
    EXPECT_EQ(run("restore " + name + " " + bad.string() + " --yes", &out), 2) << out;
    EXPECT_NE(out.find("corrupt"), std::string::npos) << out;
    EXPECT_NE(out.find("nothing was changed"), std::string::npos) << out;
    EXPECT_EQ(run("restore " + name + "x " + bad.string(), &out), 2) << out;
  }
  // Nothing changed: same spec, same containers, same rows, no new instance, no leftovers.
  EXPECT_EQ(slurp(home.path() / "instances" / name / "instance.yaml"), spec);
  std::string ids_after;
  test::run_shell("docker ps -q --no-trunc --filter label=com.docker.compose.project=" + name + " | sort", &ids_after);
  EXPECT_EQ(ids_after, ids);
  EXPECT_EQ(todos_checksum(), rows);
  EXPECT_FALSE(std::filesystem::exists(home.path() / "instances" / (name + "x")));
  for (const auto& e : std::filesystem::directory_iterator(home.path())) {
    EXPECT_EQ(e.path().filename().string().rfind(".restore-", 0), std::string::npos) << e.path();
  }
}

// Backups and drills on an instance without the services they do not need (shorter rounds).
class BackupSafetyTest : public Day2Test {
 protected:
  std::string init_flags() const override { return " --exclude studio,realtime,functions,meta,imgproxy"; }
};

// Issue 15, item 4: an encrypted backup opens only with its key; one flipped byte is refused
// before anything changes; the key never sits with the backups.
TEST_F(BackupSafetyTest, EncryptedBackupOpensOnlyWithItsKeyAndAFlippedByteChangesNothing) {
  sql("create table public.todos (id serial primary key, title text)");
  sql("insert into public.todos (title) select 'secret todo ' || g from generate_series(1, 300) g");
  const std::string rows = todos_checksum();
  test::TempDir keys;
  std::string out;
  const std::string key = (keys.path() / "backup.key").string();
  ASSERT_EQ(run("backup keygen " + key, &out), 0) << out;
  EXPECT_EQ(run("backup keygen " + key + " 2>&1", &out), 4) << "a key was overwritten: " << out;
  const std::string other_key = (keys.path() / "other.key").string();
  ASSERT_EQ(run("backup keygen " + other_key, &out), 0) << out;

  // No key, a key beside the backups: refused, no archive written.
  EXPECT_EQ(run("backup " + name + " --encrypt 2>&1", &out), 2) << out;
  EXPECT_NE(out.find("--key-file"), std::string::npos) << out;
  std::filesystem::create_directories(backups());
  ASSERT_EQ(run("backup keygen " + (backups() / "k").string(), &out), 0) << out;
  EXPECT_EQ(run("backup " + name + " --key-file " + (backups() / "k").string() + " 2>&1", &out), 2) << out;
  EXPECT_NE(out.find("where the backups it opens are kept"), std::string::npos) << out;
  std::filesystem::remove(backups() / "k");
  ASSERT_EQ(run("backup ls " + name + " --output json", &out), 0) << out;
  EXPECT_TRUE(nlohmann::json::parse(out.substr(out.find('{')))["backups"].empty()) << out;

  ASSERT_EQ(run("backup " + name + " --encrypt --key-file " + key + " --output json", &out), 0) << out;
  const nlohmann::json made = nlohmann::json::parse(out.substr(out.find('{')));
  const std::string archive = made["path"];
  EXPECT_TRUE(made["encrypted"].get<bool>()) << out;
  EXPECT_EQ(archive.substr(archive.size() - 11), ".tar.gz.enc") << archive;
  ASSERT_EQ(run("backup ls " + name + " --output json", &out), 0) << out;
  EXPECT_TRUE(nlohmann::json::parse(out.substr(out.find('{')))["backups"][0]["encrypted"].get<bool>()) << out;

  sql("insert into public.todos (title) values ('after the backup')");
  const std::string rows_after = todos_checksum();
  const std::string spec = slurp(home.path() / "instances" / name / "instance.yaml");
  test::TempDir scratch;
  const std::filesystem::path flipped = scratch.path() / "flipped.tar.gz.enc";
  {
    std::string bytes = slurp(archive);
    bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x01);
    std::ofstream(flipped, std::ios::binary) << bytes;
  }
  // Without a key, with another key, tampered: exit 2, nothing changed, no instance made.
  EXPECT_EQ(run("restore " + name + "x " + archive + " 2>&1", &out), 2) << out;
  EXPECT_NE(out.find("is encrypted"), std::string::npos) << out;
  EXPECT_EQ(run("restore " + name + " " + archive + " --yes --key-file " + other_key + " 2>&1", &out), 2) << out;
  EXPECT_NE(out.find("another key"), std::string::npos) << out;
  for (const std::string& target : {name + " --yes", name + "x"}) {
    EXPECT_EQ(run("restore " + target + " " + flipped.string() + " --key-file " + key + " 2>&1", &out), 2) << out;
    EXPECT_NE(out.find("tampered with"), std::string::npos) << out;
    EXPECT_NE(out.find("nothing was changed"), std::string::npos) << out;
  }
  EXPECT_EQ(slurp(home.path() / "instances" / name / "instance.yaml"), spec);
  EXPECT_EQ(todos_checksum(), rows_after);
  EXPECT_FALSE(std::filesystem::exists(home.path() / "instances" / (name + "x")));
  for (const auto& e : std::filesystem::directory_iterator(home.path())) {
    EXPECT_EQ(e.path().filename().string().rfind(".restore-", 0), std::string::npos) << e.path();
  }

  // The right key, named by the environment: the backup's rows are back.
  ASSERT_EQ(test::run_shell("SUPACTL_BACKUP_KEY_FILE=" + key + " " +
                                command("restore " + name + " " + archive + " --yes --output json"),
                            &out),
            0)
      << out;
  EXPECT_EQ(todos_checksum(), rows);
}

// Issue 15, item 5: with backup.target set, `backup` also uploads the archive to S3 (a real S3
// API on loopback, s3rver; rclone checks the stored bytes); with every local copy gone,
// `backup ls` lists the remote and `restore` downloads, verifies and loads it; `backup prune`
// prunes the remote too and keeps its newest.
TEST_F(BackupSafetyTest, AnOffSiteBackupSurvivesTheLossOfTheLocalCopiesAndRestoresFromS3) {
  OffsiteStore store;
  ASSERT_NO_FATAL_FAILURE(use_store(store));
  test::S3Server& s3 = store.s3;
  std::string out;

  sql("create table public.todos (id serial primary key, title text)");
  sql("insert into public.todos (title) select 'todo ' || g from generate_series(1, 200) g");
  const std::string rows = todos_checksum();
  ASSERT_EQ(run("backup " + name + " --output json", &out), 0) << out;
  const nlohmann::json made = nlohmann::json::parse(out.substr(out.find('{')));
  const std::string archive = made["path"];
  const std::string file = std::filesystem::path(archive).filename().string();
  EXPECT_EQ(made["remote"], "s3://offsite/hosts/one/" + file) << out;
  // What the store holds is the archive, byte for byte, read by another S3 client.
  std::string local_sum;
  std::string remote_sum;
  test::run_shell("sha256sum < '" + archive + "' | cut -c1-64", &local_sum);
  ASSERT_EQ(
      test::run_shell(s3.rclone_env() + "rclone cat s3test:offsite/hosts/one/" + file + " | sha256sum | cut -c1-64",
                      &remote_sum),
      0);
  EXPECT_EQ(remote_sum, local_sum);

  // The host's disk is lost: no local backup is left.
  sql("insert into public.todos (title) values ('after the backup')");
  std::filesystem::remove_all(backups());
  ASSERT_EQ(run("backup ls " + name + " --output json", &out), 0) << out;
  const nlohmann::json listed = nlohmann::json::parse(out.substr(out.find('{')));
  EXPECT_TRUE(listed["backups"].empty()) << out;
  ASSERT_EQ(listed["remote"].size(), 1U) << out;
  EXPECT_EQ(listed["remote"][0]["url"], "s3://offsite/hosts/one/" + file) << out;

  // A wrong credentials file path: refused before anything changes.
  EXPECT_EQ(run("restore " + name + " " + file + " --yes --s3-credentials /nonexistent 2>&1", &out), 2) << out;
  ASSERT_EQ(run("restore " + name + " " + file + " --yes --output json", &out), 0) << out;
  EXPECT_EQ(nlohmann::json::parse(out.substr(out.find('{')))["backup"], "s3://offsite/hosts/one/" + file) << out;
  EXPECT_EQ(todos_checksum(), rows);
  for (const auto& e : std::filesystem::directory_iterator(home.path())) {
    EXPECT_EQ(e.path().filename().string().rfind(".download-", 0), std::string::npos) << e.path();
  }

  // Prune applies --keep to the store's own list: an older copy there goes, the newest stays.
  const std::string old_copy = name + "-20200101T000000Z.tar.gz";
  std::ofstream(store.path() / "old") << "an older backup";
  ASSERT_EQ(test::run_shell(s3.rclone_env() + "rclone copyto '" + (store.path() / "old").string() +
                            "' s3test:offsite/hosts/one/" + old_copy + " 2>&1"),
            0);
  ASSERT_EQ(run("backup prune " + name + " --keep 1 --output json", &out), 0) << out;
  EXPECT_EQ(nlohmann::json::parse(out.substr(out.find('{')))["remote_removed"],
            nlohmann::json::array({"s3://offsite/hosts/one/" + old_copy}))
      << out;
  std::string left;
  test::run_shell(s3.rclone_env() + "rclone lsf s3test:offsite/hosts/one", &left);
  EXPECT_EQ(left, file + "\n");
}

// Issue 15, item 7: a drill restores the newest backup into a throwaway instance, compares it
// with the manifest and removes it; an altered row count in the manifest fails the drill.
TEST_F(BackupSafetyTest, ARestoreDrillPassesOnAGoodBackupAndFailsOnAnAlteredRowCount) {
  sql("create table public.todos (id serial primary key, title text)");
  sql("insert into public.todos (title) select 'todo ' || g from generate_series(1, 250) g");
  std::string out;
  EXPECT_EQ(run("restore --drill " + name + " 2>&1", &out), 3) << "a drill without backups: " << out;
  ASSERT_EQ(run("backup " + name + " --output json", &out), 0) << out;
  const std::string archive = nlohmann::json::parse(out.substr(out.find('{')))["path"];
  const std::string rows = todos_checksum();
  const std::string drill = name + "-drill";
  auto drill_leftovers = [&] {
    std::string objects;
    test::run_shell("docker ps -aq --filter label=com.docker.compose.project=" + drill +
                        "; docker volume ls -q --filter label=com.docker.compose.project=" + drill,
                    &objects);
    return objects + (std::filesystem::exists(home.path() / "instances" / drill) ? "folder" : "");
  };

  ASSERT_EQ(run("restore --drill " + name + " --output json", &out), 0) << out;
  nlohmann::json j = nlohmann::json::parse(out.substr(out.find('{')));
  EXPECT_TRUE(j["ok"].get<bool>()) << out;
  EXPECT_EQ(j["backup"], archive) << out;
  EXPECT_EQ(j["drill_instance"], drill) << out;
  EXPECT_GE(j["tables"].get<int>(), 1) << out;
  EXPECT_EQ(j["checksums"], j["tables"]) << out;
  EXPECT_TRUE(j["removed"].get<bool>()) << out;
  EXPECT_EQ(drill_leftovers(), "");
  EXPECT_EQ(todos_checksum(), rows) << "the drill touched the live instance";

  test::TempDir scratch;
  const std::string altered = (scratch.path() / "altered.tar.gz").string();
  ASSERT_EQ(test::run_shell("/usr/bin/python3 " + std::string(SUPACTL_SOURCE_DIR) +
                                "/tests/support/alter_manifest.py " + archive + " " + altered + " public.todos 1",
                            &out),
            0)
      << out;
  EXPECT_EQ(run("restore --drill " + name + " " + altered + " --output json", &out), 1) << out;
  // The report, then the one-line error on stderr.
  j = nlohmann::json::parse(out.substr(out.find('{'), out.rfind('}') - out.find('{') + 1));
  EXPECT_FALSE(j["ok"].get<bool>()) << out;
  ASSERT_EQ(j["row_diffs"].size(), 1U) << out;
  EXPECT_EQ(j["row_diffs"][0], "public.todos: 251 rows in the backup, 250 now") << out;
  EXPECT_TRUE(j["removed"].get<bool>()) << out;
  EXPECT_EQ(drill_leftovers(), "");
  EXPECT_EQ(todos_checksum(), rows);
}

// Issue 19: commands killed between their steps, on an instance that leaves out the services
// these steps do not need (so each round is short). A restore is all or nothing as seen from
// outside: killed at any step, the instance says it is restoring, and running the same
// restore again finishes it (the backup's rows and files, no database left set aside, no
// pg_restore left running, a healthy instance). A password rotation killed around its
// database change is finished by the next `up`.
class CrashTest : public Day2Test {
 protected:
  std::string init_flags() const override { return " --exclude studio,realtime,functions,meta,imgproxy"; }

  /// Data to back up; returns the archive.
  std::string backed_up() {
    sql("create table public.todos (id serial primary key, title text, done boolean default false)");
    sql("insert into public.todos (title, done) select 'todo ' || g, g % 3 = 0 from generate_series(1, 300) g");
    std::string out;
    EXPECT_EQ(run("exec " + name + " minio -- sh -c 'mkdir -p /data/stub && echo hello > /data/stub/a.txt'", &out), 0)
        << out;
    EXPECT_EQ(run("backup " + name + " --output json", &out), 0) << out;
    return nlohmann::json::parse(out.substr(out.find('{')))["path"];
  }

  /// No pg_restore process runs on the host (the db container's processes are the host's).
  static bool pg_restore_runs() { return test::run_shell("grep -qsl 'pg_[r]estore' /proc/[0-9]*/cmdline") == 0; }

  /// The interrupted restore shows, and running it again finishes it.
  void expect_finished_by_rerun(const std::string& archive, const std::string& rows, const std::string& files) {
    std::string out;
    EXPECT_EQ(run("status " + name, &out), 4) << out;
    EXPECT_NE(out.find("restoring"), std::string::npos) << out;
    ASSERT_EQ(run("restore " + name + " " + archive, &out), 0) << out;
    EXPECT_EQ(todos_checksum(), rows);
    EXPECT_EQ(storage_listing(), files);
    EXPECT_EQ(sql("select count(*) from pg_database where datname like 'supactl_aside%'"), "0");
    EXPECT_FALSE(pg_restore_runs());
    EXPECT_EQ(run("status " + name, &out), 0) << out;
  }
};

TEST_F(CrashTest, RestoreKilledAtEveryStepIsFinishedByTheSameRestore) {
  const std::string archive = backed_up();
  const std::string rows = todos_checksum();
  const std::string files = storage_listing();
  for (const char* point :
       {"restore:marked", "restore:converged", "restore:storage-cleared", "restore:quiesced", "restore:roles-loaded",
        "restore:set-aside:_supabase", "restore:loaded:_supabase", "restore:set-aside:postgres",
        "restore:loaded:postgres", "restore:storage-restored", "restore:reconverged"}) {
    SCOPED_TRACE(point);
    sql("insert into public.todos (title) values ('after the backup')");
    std::string out;
    ASSERT_EQ(test::run_shell_reporting(std::string("SUPACTL_TEST_KILL_AT=") + point + " " +
                                            command("restore " + name + " " + archive + " --yes"),
                                        &out),
              137)
        << "the kill point was not reached\n"
        << out;
    expect_finished_by_rerun(archive, rows, files);
  }
}

TEST_F(CrashTest, RestoreKilledWhilePgRestoreRunsLeavesNoProcessBehindOnceRunAgain) {
  const std::string archive = backed_up();
  const std::string rows = todos_checksum();
  const std::string files = storage_listing();
  std::string out;
  test::run_shell(command("restore " + name + " " + archive + " --yes") +
                      " & p=$!; n=0; while [ $n -lt 6000 ]; do "
                      "if grep -qsl 'pg_[r]estore' /proc/[0-9]*/cmdline; then kill -9 $p; echo KILLED; break; fi; "
                      "n=$((n+1)); sleep 0.01; done; wait $p",
                  &out);
  ASSERT_NE(out.find("KILLED"), std::string::npos) << out;
  expect_finished_by_rerun(archive, rows, files);
}

TEST_F(CrashTest, PasswordRotationKilledAroundItsDatabaseChangeIsFinishedByTheNextUp) {
  sql("create table public.kept (v text)");
  sql("insert into public.kept values ('kept')");
  const std::filesystem::path dir = home.path() / "instances" / name;
  for (const char* point : {"rotate:intent", "rotate:db-changed"}) {
    SCOPED_TRACE(point);
    const std::string old = secrets::read_secrets_file(dir / "secrets.env").at("POSTGRES_PASSWORD").reveal();
    std::string out;
    ASSERT_EQ(test::run_shell_reporting(std::string("SUPACTL_TEST_KILL_AT=") + point + " " +
                                            command("secrets rotate " + name + " --postgres"),
                                        &out),
              137)
        << "the kill point was not reached\n"
        << out;
    EXPECT_TRUE(std::filesystem::exists(dir / "secrets.env.rotating"));
    ASSERT_EQ(run("up " + name, &out), 0) << out;
    EXPECT_FALSE(std::filesystem::exists(dir / "secrets.env.rotating"));
    const std::string now = secrets::read_secrets_file(dir / "secrets.env").at("POSTGRES_PASSWORD").reveal();
    EXPECT_NE(now, old);
    // The database takes the password secrets.env holds, over the network (SCRAM), and not
    // the old one.
    auto login = [&](const std::string& password) {
      return "exec " + name + " db -- env PGPASSWORD='" + password +
             "' psql -h 127.0.0.1 -U postgres -d postgres -tAc 'select v from public.kept'";
    };
    EXPECT_EQ(run(login(now), &out), 0) << out;
    EXPECT_EQ(out, "kept\n");
    EXPECT_NE(run(login(old), &out), 0) << out;
    EXPECT_EQ(run("status " + name, &out), 0) << out;
  }
}

// Issue 15, item 1 (its test is item 8): a streaming hot standby on an instance without the
// services it does not need (shorter rounds).
class StandbyTest : public Day2Test {
 protected:
  std::string init_flags() const override { return " --exclude studio,realtime,functions,meta,imgproxy"; }

  /// One value from psql in the db-standby container (over its own socket).
  std::string standby_sql(const std::string& query, int* rc = nullptr) {
    std::string out;
    const int code =
        run("exec " + name + " db-standby -- psql -X -A -t -h /var/run/postgresql -U supabase_admin -d postgres -c \"" +
                query + "\" 2>&1",
            &out);
    if (rc != nullptr) *rc = code;
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
  }
};

TEST_F(StandbyTest, ARowWrittenOnThePrimaryIsReadableOnTheStandbyWithinOneSecondAndLagIsReported) {
  sql("create table public.notes (id int primary key, body text)");
  std::string out;
  ASSERT_EQ(run("db standby add " + name + " 2>&1", &out), 0) << out;
  EXPECT_NE(slurp(home.path() / "instances" / name / "secrets.env").find("DB_REPLICATION_PASSWORD="),
            std::string::npos);
  EXPECT_EQ(standby_sql("select pg_is_in_recovery()"), "t");

  sql("insert into public.notes values (1, 'written on the primary')");
  const auto written = std::chrono::steady_clock::now();
  std::string seen;
  while (std::chrono::steady_clock::now() - written < std::chrono::seconds(1)) {
    seen = standby_sql("select body from public.notes where id = 1");
    if (seen == "written on the primary") break;
  }
  const auto waited =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - written).count();
  EXPECT_EQ(seen, "written on the primary") << "not on the standby after " << waited << " ms";
  EXPECT_LE(waited, 1000);

  ASSERT_EQ(run("status " + name + " --output json", &out), 0) << out;
  nlohmann::json j = nlohmann::json::parse(out.substr(out.find('{')));
  EXPECT_EQ(j["standby"]["state"], "streaming") << out;
  EXPECT_TRUE(j["standby"]["lag_bytes"].is_number_integer()) << out;
  EXPECT_TRUE(j["standby"]["lag_seconds"].is_number()) << out;
  EXPECT_GE(j["standby"]["lag_bytes"].get<long long>(), 0) << out;
  ASSERT_EQ(run("status " + name, &out), 0) << out;
  EXPECT_NE(out.find("Standby  streaming, replay lag "), std::string::npos) << out;

  // rm: the standby's container, its own volume and the slot go; the primary keeps its data.
  ASSERT_EQ(run("db standby rm " + name + " 2>&1", &out), 0) << out;
  EXPECT_EQ(sql("select count(*) from pg_replication_slots where slot_name = 'supactl_standby'"), "0");
  EXPECT_EQ(sql("select body from public.notes where id = 1"), "written on the primary");
  std::string left;
  test::run_shell("docker ps -aq --filter label=com.docker.compose.project=" + name +
                      " --filter label=com.docker.compose.service=db-standby",
                  &left);
  EXPECT_EQ(left, "");
  EXPECT_NE(test::run_shell("docker volume inspect " + name + "_db-standby-data >/dev/null 2>&1"), 0);
  ASSERT_EQ(run("status " + name + " --output json", &out), 0) << out;
  j = nlohmann::json::parse(out.substr(out.find('{')));
  EXPECT_EQ(j["standby"]["state"], "absent") << out;
  EXPECT_NE(slurp(home.path() / "instances" / name / "instance.yaml").find("standby: false"), std::string::npos);
}

// Issue 15, item 2 (its tests are item 8): failover and switchover on the kit's PostgreSQL.
class FailoverTest : public StandbyTest {
 protected:
  /// The last line of `out` that is a JSON object.
  static nlohmann::json last_json(const std::string& out) {
    std::istringstream in(out);
    std::string last;
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line.front() == '{') last = line;
    }
    return last.empty() ? nlohmann::json() : nlohmann::json::parse(last);
  }
  /// Ids of the containers of `service` in this instance, any state.
  std::string containers_of(const std::string& service) {
    std::string out;
    test::run_shell("docker ps -aq --filter label=com.docker.compose.project=" + name +
                        " --filter label=com.docker.compose.service=" + service,
                    &out);
    return out;
  }
  /// One value from psql in a container started by hand on `volume` with the db image (the
  /// container is removed after).
  std::string on_volume(const std::string& volume, const std::string& query) {
    std::string image;
    test::run_shell("docker inspect -f '{{.Config.Image}}' " + name + "-db-standby-1", &image);
    while (!image.empty() && image.back() == '\n') image.pop_back();
    const std::string box = name + "-by-hand";
    std::string out;
    EXPECT_EQ(test::run_shell("docker run -d --name " + box + " --label com.docker.compose.project=" + name +
                                  "-by-hand -e POSTGRES_PASSWORD=x -v " + volume + ":/var/lib/postgresql/data " + image,
                              &out),
              0)
        << out;
    std::string value;
    for (int i = 0; i < 120; ++i) {
      test::run_shell("docker exec " + box +
                          " psql -X -A -t -h /var/run/postgresql -U supabase_admin -d postgres -c \"" + query + "\"",
                      &value);
      if (value.find("psql:") == std::string::npos && value.find("Error") == std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    test::run_shell("docker rm -f " + box);
    while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.pop_back();
    return value;
  }
};

TEST_F(FailoverTest, AfterThePrimaryIsKilledThePromotedStandbyTakesWritesServicesPointAtItAndTheOldPrimaryNeverLeads) {
  sql("create table public.notes (id int primary key, body text)");
  sql("insert into public.notes values (1, 'before the failover')");
  std::string out;
  ASSERT_EQ(run("db standby add " + name + " 2>&1", &out), 0) << out;
  const std::filesystem::path spec = home.path() / "instances" / name / "instance.yaml";

  // --dry-run prints the steps and changes nothing; a live primary is not failed over.
  ASSERT_EQ(run("db failover " + name + " --dry-run", &out), 0) << out;
  EXPECT_NE(out.find("fence db: remove its container, write standby.signal"), std::string::npos) << out;
  EXPECT_NE(slurp(spec).find("primary: db "), std::string::npos);
  EXPECT_EQ(run("db failover " + name + " 2>&1", &out), 4) << out;
  EXPECT_NE(out.find("--switchover"), std::string::npos) << out;
  EXPECT_NE(containers_of("db"), "");

  // The primary dies.
  ASSERT_EQ(test::run_shell("docker kill " + name + "-db-1", &out), 0) << out;
  ASSERT_EQ(run("db failover " + name + " --output json", &out), 0) << out;
  nlohmann::json j = last_json(out);
  EXPECT_EQ(j["ok"], true) << out;
  EXPECT_EQ(j["failover"]["from"], "db") << out;
  EXPECT_EQ(j["failover"]["to"], "db-standby") << out;
  EXPECT_EQ(j["failover"]["fenced_volume"], name + "_db-data") << out;
  EXPECT_NE(slurp(spec).find("primary: db-standby"), std::string::npos);

  // The promoted standby takes writes, and supactl's own psql finds it.
  EXPECT_EQ(standby_sql("select pg_is_in_recovery()"), "f");
  sql("insert into public.notes values (2, 'after the failover')");
  EXPECT_EQ(standby_sql("select string_agg(body, ',' order by id) from public.notes"),
            "before the failover,after the failover");

  // Every service's rendered database host is db-standby; db is not in the file.
  const std::string compose = slurp(home.path() / "instances" / name / "rendered" / "compose.yml");
  EXPECT_NE(compose.find("PGRST_DB_URI: postgres://authenticator:${POSTGRES_PASSWORD}@db-standby:5432/postgres"),
            std::string::npos);
  EXPECT_EQ(compose.find("@db:5432"), std::string::npos);
  std::string env;
  test::run_shell("docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' " + name + "-rest-1", &env);
  EXPECT_NE(env.find("@db-standby:5432/postgres"), std::string::npos) << "rest was recreated: " << env;
  ASSERT_EQ(run("status " + name + " --output json", &out), 0) << out;
  j = last_json(out);
  EXPECT_EQ(j["db_primary"], "db-standby") << out;
  EXPECT_EQ(j["healthy"], true) << out;

  // The former primary never leads again: `up` leaves it off, and Postgres started by hand
  // on its volume comes up as a standby that follows nothing.
  ASSERT_EQ(run("up " + name, &out), 0) << out;
  EXPECT_EQ(containers_of("db"), "");
  EXPECT_EQ(on_volume(name + "_db-data", "select pg_is_in_recovery()"), "t");

  // `db standby add` rebuilds db as the standby of db-standby.
  ASSERT_EQ(run("db standby add " + name + " 2>&1", &out), 0) << out;
  EXPECT_NE(out.find("copied anew from db-standby"), std::string::npos) << out;
  sql("insert into public.notes values (3, 'on the new primary')");
  std::string seen;
  for (int i = 0; i < 50 && seen != "3"; ++i) {
    test::run_shell("docker exec " + name +
                        "-db-1 psql -X -A -t -h /var/run/postgresql -U supabase_admin -d postgres -c "
                        "'select max(id) from public.notes'",
                    &seen);
    while (!seen.empty() && (seen.back() == '\n' || seen.back() == ' ')) seen.pop_back();
    if (seen != "3") std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(seen, "3") << "db follows db-standby";
  ASSERT_EQ(run("status " + name + " --output json", &out), 0) << out;
  j = last_json(out);
  EXPECT_EQ(j["standby"]["state"], "streaming") << out;
}

TEST_F(FailoverTest, ASwitchoverUnderAWriteLoopLosesNoCommittedRow) {
  sql("create table public.ticks (id int primary key)");
  std::string out;
  ASSERT_EQ(run("db standby add " + name + " 2>&1", &out), 0) << out;

  // A bounded write loop through `supactl psql`, which always asks for the current primary:
  // a row counts as committed when its INSERT returned success.
  std::atomic<bool> stop{false};
  std::set<int> committed;
  int attempts = 0;
  std::thread writer([&] {
    for (int id = 1; id <= 2000 && !stop; ++id) {
      ++attempts;
      std::string r;
      if (run("psql " + name + " -- -A -t -v ON_ERROR_STOP=1 -c \"insert into public.ticks values (" +
                  std::to_string(id) + ")\" 2>&1",
              &r) == 0) {
        committed.insert(id);
      }
    }
  });
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const int rc = run("db failover " + name + " --switchover --output json", &out);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  stop = true;
  writer.join();
  std::cout << "switchover: " << committed.size() << " of " << attempts << " inserts committed\n";
  ASSERT_EQ(rc, 0) << out;
  const nlohmann::json j = last_json(out);
  EXPECT_EQ(j["failover"]["switchover"], true) << out;
  ASSERT_TRUE(j["failover"]["checkpoint_lsn"].is_string()) << out;

  // Every committed row is on the new primary (rows only added, never lost).
  std::string listed = standby_sql("select string_agg(id::text, ',' order by id) from public.ticks");
  std::set<int> present;
  std::istringstream in(listed);
  for (std::string id; std::getline(in, id, ',');) {
    if (!id.empty() && std::all_of(id.begin(), id.end(), ::isdigit)) present.insert(std::stoi(id));
  }
  ASSERT_FALSE(present.empty()) << listed;
  ASSERT_FALSE(committed.empty());
  std::vector<int> lost;
  std::set_difference(committed.begin(), committed.end(), present.begin(), present.end(), std::back_inserter(lost));
  EXPECT_TRUE(lost.empty()) << lost.size() << " committed rows lost, first " << lost.front();
  EXPECT_GT(committed.size(), 5u) << "the loop wrote before and after the switchover (" << attempts << " tries)";
  EXPECT_GT(*committed.rbegin(), *present.begin());
  EXPECT_EQ(standby_sql("select pg_is_in_recovery()"), "f");

  // The checkpoint supactl read from pg_control is the one pg_controldata reads, and the
  // former primary shut down cleanly.
  std::string image;
  test::run_shell("docker inspect -f '{{.Config.Image}}' " + name + "-db-standby-1", &image);
  while (!image.empty() && image.back() == '\n') image.pop_back();
  std::string control;
  ASSERT_EQ(test::run_shell("docker run --rm --label com.docker.compose.project=" + name + "-by-hand -v " + name +
                                "_db-data:/var/lib/postgresql/data --entrypoint pg_controldata " + image +
                                " /var/lib/postgresql/data",
                            &control),
            0)
      << control;
  EXPECT_NE(control.find("Database cluster state:               shut down\n"), std::string::npos) << control;
  EXPECT_NE(control.find("Latest checkpoint location:           " + j["failover"]["checkpoint_lsn"].get<std::string>() +
                         "\n"),
            std::string::npos)
      << control;
}

/// An instance with backup.wal: its Postgres archives WAL into the archive volume.
class PitrTest : public Day2Test {
 protected:
  std::string init_flags() const override { return " --exclude studio,realtime,functions,meta,imgproxy"; }
  void SetUp() override {
    Day2Test::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    std::string out;
    ASSERT_EQ(run("config set " + name + " backup.wal true 2>&1", &out), 0) << out;
    ASSERT_EQ(run("up " + name + " 2>&1", &out), 0) << out;
  }

  /// The last line of `out` that starts a JSON object, parsed.
  static nlohmann::json last_json(const std::string& out) {
    const size_t at = out.rfind("\n{");
    return nlohmann::json::parse(at == std::string::npos ? out.substr(out.find('{')) : out.substr(at + 1));
  }

  /// Now in UTC, to the second, as --to-time takes it.
  static std::string utc_now() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
  }

  static void pause() { std::this_thread::sleep_for(std::chrono::milliseconds(1100)); }

  /// `string_agg(v)` of public.events in instance `instance`, or the error.
  std::string events_of(const std::string& instance) {
    std::string out;
    run("psql " + instance +
            " -- -A -t -c \"select coalesce(string_agg(v, ',' order by v), '') from public.events\" 2>&1",
        &out);
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
  }
};

TEST_F(PitrTest, RowsAAtT1AndBAtT2ThenADropTableAtT3ARestoreToT2HasAAndBAndToT1OnlyA) {
  sql("create table public.events (v text)");
  std::string out;
  ASSERT_EQ(run("backup " + name + " --base --output json", &out), 0) << out;
  const nlohmann::json b = last_json(out);
  EXPECT_GT(b["base"]["files"].get<int>(), 100) << out;
  const std::filesystem::path tar = b["path"].get<std::string>();
  ASSERT_TRUE(std::filesystem::exists(tar)) << out;
  EXPECT_GE(b["wal"]["shipped"].get<int>(), 1) << out;

  // Postgres' own checker agrees with supactl's: the tar, extracted, matches its manifest.
  const std::string db = name + "-db-1";
  ASSERT_EQ(test::run_shell("docker cp " + tar.string() + " " + db + ":/tmp/base.tar && docker exec -u root " + db +
                                " bash -c 'set -e; mkdir -p /tmp/base; tar -xf /tmp/base.tar -C /tmp/base; "
                                "v=$(ls /usr/lib/postgresql/*/bin/pg_verifybackup 2>/dev/null | head -1); "
                                "${v:-pg_verifybackup} -n /tmp/base; rm -rf /tmp/base /tmp/base.tar' 2>&1",
                            &out),
            0)
      << out;

  pause();
  sql("insert into public.events values ('A')");
  pause();
  const std::string t1 = utc_now();
  pause();
  sql("insert into public.events values ('B')");
  pause();
  const std::string t2 = utc_now();
  pause();
  sql("drop table public.events");

  const std::string at2 = name + "-t2";
  ASSERT_EQ(run("restore " + at2 + " --from " + name + " --to-time " + t2 + " --output json 2>&1", &out), 0) << out;
  nlohmann::json r = last_json(out);
  EXPECT_EQ(r["instance"], at2) << out;
  EXPECT_EQ(r["target"], t2) << out;
  EXPECT_TRUE(r["source_switched"].get<bool>()) << out;
  EXPECT_LE(r["recovered_to"].get<std::string>(), t2) << out;
  EXPECT_EQ(events_of(at2), "A,B") << "restored to " << t2;
  // The copy is a primary of its own that takes writes; the source still has no table.
  EXPECT_EQ(run("psql " + at2 + " -- -A -t -c \"insert into public.events values ('C')\" 2>&1", &out), 0) << out;
  EXPECT_EQ(sql("select coalesce(to_regclass('public.events')::text, 'none')"), "none");
  ASSERT_EQ(run("status " + at2 + " --output json", &out), 0) << out;
  r = last_json(out);
  EXPECT_TRUE(r["healthy"].get<bool>()) << out;
  EXPECT_TRUE(r["restoring_from"].is_null()) << out;
  run("down " + at2 + " --volumes --yes");

  const std::string at1 = name + "-t1";
  ASSERT_EQ(run("restore " + at1 + " --from " + name + " --to-time " + t1 + " --output json 2>&1", &out), 0) << out;
  EXPECT_EQ(events_of(at1), "A") << "restored to " << t1;
  run("down " + at1 + " --volumes --yes");

  // Before the base backup finished there is nothing to start from: exit 3, nothing made.
  EXPECT_EQ(run("restore " + name + "-early --from " + name + " --to-time 2020-01-01T00:00:00Z 2>&1", &out), 3) << out;
  EXPECT_FALSE(std::filesystem::exists(home.path() / "instances" / (name + "-early")));
}

TEST_F(PitrTest, ArchiveFailuresShowInStatusAndPruneKeepsTheWalTheKeptBaseNeeds) {
  std::string out;
  // The archive folder made unwritable: the archiver fails, and status says so.
  const std::string db = name + "-db-1";
  ASSERT_EQ(test::run_shell("docker exec -u root " + db + " chmod 000 /var/lib/supactl/wal-archive"), 0);
  sql("create table public.t (i int); insert into public.t values (1); select pg_switch_wal()");
  nlohmann::json wal;
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(run("status " + name + " --output json", &out), 0) << out;
    wal = last_json(out)["wal_archive"];
    if (wal.value("failing", false)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(wal.value("failing", false)) << wal.dump();
  EXPECT_GE(wal.value("failed", 0), 1) << wal.dump();
  EXPECT_NE(wal.value("last_failed_wal", ""), "") << wal.dump();
  ASSERT_EQ(run("status " + name, &out), 0) << out;
  EXPECT_NE(out.find("WAL      FAILING: "), std::string::npos) << out;
  ASSERT_EQ(test::run_shell("docker exec -u root " + db + " chmod 700 /var/lib/supactl/wal-archive"), 0);

  // Two base backups; prune --keep 1 removes the older and the WAL only it needed.
  ASSERT_EQ(run("backup " + name + " --base --output json 2>&1", &out), 0) << out;
  const nlohmann::json first = last_json(out)["base"];
  sql("insert into public.t select generate_series(1, 1000); select pg_switch_wal()");
  pause();
  ASSERT_EQ(run("backup " + name + " --base --output json 2>&1", &out), 0) << out;
  const nlohmann::json second = last_json(out)["base"];
  ASSERT_NE(first["file"], second["file"]);
  ASSERT_EQ(run("status " + name + " --output json", &out), 0) << out;
  wal = last_json(out)["wal_archive"];
  EXPECT_FALSE(wal.value("failing", true)) << "archiving again after the folder was fixed: " << wal.dump();
  EXPECT_EQ(wal.value("base_backups", 0), 2) << wal.dump();

  ASSERT_EQ(run("backup prune " + name + " --keep 1 --output json 2>&1", &out), 0) << out;
  const nlohmann::json p = last_json(out);
  EXPECT_EQ(p["base_removed"].size(), 1u) << out;
  EXPECT_GE(p["wal_removed"].get<int>(), 1) << out;
  EXPECT_FALSE(std::filesystem::exists(backups() / "base" / first["file"].get<std::string>()));
  EXPECT_TRUE(std::filesystem::exists(backups() / "base" / second["file"].get<std::string>()));
  // What is left: nothing older than the kept base's first segment, and that segment itself.
  const std::string start = second["start_lsn"];
  const std::uint64_t hi = std::stoull(start.substr(0, start.find('/')), nullptr, 16);
  const std::uint64_t lo = std::stoull(start.substr(start.find('/') + 1), nullptr, 16);
  const std::uint64_t first_segno = ((hi << 32) | lo) / (std::uint64_t{16} << 20);
  bool has_first = false;
  for (const auto& e : std::filesystem::directory_iterator(backups() / "wal")) {
    const std::string f = e.path().filename().string();
    if (f.size() < 24 || f.find(".history") != std::string::npos) continue;
    const std::uint64_t segno =
        std::stoull(f.substr(8, 8), nullptr, 16) * 256 + std::stoull(f.substr(16, 8), nullptr, 16);
    EXPECT_GE(segno, first_segno) << f << " is older than the kept base backup";
    has_first |= f.size() == 24 && segno == first_segno;
  }
  EXPECT_TRUE(has_first) << "the kept base backup's first segment was pruned";
}

// With backup.target, base backups and WAL go to the store too (PREFIX/NAME-base/, NAME-wal/),
// and a point-in-time restore on a host that lost every local copy takes them from there.
TEST_F(PitrTest, WithAnS3TargetBaseAndWalGoOffSiteAndARestoreUsesThemOnceTheLocalCopiesAreGone) {
  OffsiteStore store;
  ASSERT_NO_FATAL_FAILURE(use_store(store));
  test::S3Server& s3 = store.s3;
  std::string out;
  sql("create table public.events (v text); insert into public.events values ('A')");
  ASSERT_EQ(run("backup " + name + " --base --output json 2>&1", &out), 0) << out;
  const nlohmann::json made = last_json(out);
  const std::string file = made["base"]["file"];
  EXPECT_EQ(made["remote"], "s3://offsite/hosts/one/" + name + "-base/" + file) << out;
  EXPECT_GE(made["wal"]["uploaded"].get<int>(), 1) << out;
  // The store's copy is the checked tar, byte for byte, read by another S3 client.
  std::string remote_sum;
  ASSERT_EQ(test::run_shell(s3.rclone_env() + "rclone cat s3test:offsite/hosts/one/" + name + "-base/" + file +
                                " | sha256sum | cut -c1-64",
                            &remote_sum),
            0);
  EXPECT_EQ(remote_sum, made["base"]["sha256"].get<std::string>() + "\n");
  std::string listed;
  test::run_shell(s3.rclone_env() + "rclone lsf s3test:offsite/hosts/one/" + name + "-wal", &listed);
  EXPECT_NE(listed.find("000000010000000000000002\n"), std::string::npos) << listed;

  sql("insert into public.events values ('B')");
  std::filesystem::remove_all(backups());  // the host's backup disk is lost
  const std::string copy = name + "-s3";
  ASSERT_EQ(run("restore " + copy + " --from " + name + " --latest --output json 2>&1", &out), 0) << out;
  EXPECT_EQ(last_json(out)["base"], file) << out;
  EXPECT_EQ(events_of(copy), "A,B");
  run("down " + copy + " --volumes --yes");

  // A newer base; prune --keep 1 removes the older one from the store, and the WAL only it
  // needed, and keeps the newer one's.
  pause();
  ASSERT_EQ(run("backup " + name + " --base --output json 2>&1", &out), 0) << out;
  const std::string newer = last_json(out)["base"]["file"];
  ASSERT_EQ(run("backup prune " + name + " --keep 1 --output json 2>&1", &out), 0) << out;
  const nlohmann::json pruned = last_json(out);
  EXPECT_EQ(pruned["remote_base_removed"], nlohmann::json::array({"s3://offsite/hosts/one/" + name + "-base/" + file}))
      << out;
  EXPECT_GE(pruned["remote_wal_removed"].get<int>(), 1) << out;
  test::run_shell(s3.rclone_env() + "rclone lsf s3test:offsite/hosts/one/" + name + "-base", &listed);
  const std::string stem = newer.substr(0, newer.size() - 4);
  EXPECT_EQ(listed, stem + ".json\n" + newer + "\n");
}

}  // namespace
}  // namespace supactl

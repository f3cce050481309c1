// SPDX-License-Identifier: Apache-2.0
// create_backup and the data half of restore against the in-process fake Engine: every chunk
// of every dump stream lands in its own member, secrets stay out unless asked for, the storage
// member is the volume folder's tar, the archive is private; restore stages the dumps, loads
// them, removes them, extracts storage into the folder's parent and compares row counts.
// Expected bytes and paths are written out here, not taken from the code under test.
#include <supactl/backup/backup.hpp>
#include <supactl/compose/model.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/docker/tar.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <algorithm>
#include <fstream>
#include <mutex>

#include "support/fake_engine.hpp"
#include "support/temp_dir.hpp"

namespace supactl::backup {
namespace {

namespace fs = std::filesystem;

/// The fake pg_dump output of database `db`: 40 chunks, as the Engine's exec stream splits it.
std::vector<std::string> dump_chunks(const std::string& db) {
  std::vector<std::string> chunks;
  for (int i = 0; i < 40; ++i) chunks.push_back("PGDMP " + db + " chunk " + std::to_string(i) + "\n");
  return chunks;
}

std::string joined(const std::vector<std::string>& chunks) {
  std::string out;
  for (const std::string& c : chunks) out += c;
  return out;
}

docker::ContainerInfo running(const std::string& service) {
  docker::ContainerInfo c;
  c.id = "id-shop-" + service + "-1";
  c.name = "shop-" + service + "-1";
  c.image = "img/" + service;
  c.image_id = "sha256:" + service;
  c.labels = {
      {compose::k_label_project, "shop"}, {compose::k_label_instance, "shop"}, {compose::k_label_service, service}};
  c.state.status = "running";
  c.state.running = true;
  return c;
}

class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    inst.name = "shop";
    inst.dir = home.path() / "instances" / "shop";
    inst.spec.name = "shop";
    inst.spec.storage.backend = config::StorageBackend::minio;
    fs::create_directories(inst.rendered_dir());
    std::ofstream(inst.spec_file()) << "name: shop\n";
    std::ofstream(inst.secrets_file()) << "JWT_SECRET=top-secret\n";
    std::ofstream(inst.rendered_dir() / ".env") << "JWT_SECRET=top-secret\n";
    std::ofstream(inst.rendered_dir() / "docker-compose.yml") << "services: {}\n";
    // A function's secret, in the instance's settings and in the router's copy.
    fs::create_directories(inst.rendered_dir() / "function-settings");
    std::ofstream(inst.rendered_dir() / "function-settings" / "greet.json") << R"({"env":{"T":"top-secret"}})";
    std::ofstream(inst.function_settings_file()) << R"({"greet":{"secrets":{"T":"top-secret"}}})";
    engine.put_container(running("db"));
    engine.put_container(running("minio"));
    engine.archives[{"id-shop-minio-1", "/data"}] =
        docker::make_tar({{.path = "data/", .content = {}, .mode = 0755},
                          {.path = "data/stub/a.txt", .content = std::string(3000, 'a'), .mode = 0644},
                          {.path = "data/stub/b.txt", .content = "b", .mode = 0644}});
    engine.on_exec = [this](const std::string& id, const docker::ExecSpec& spec, const docker::OutputSink& sink) {
      return exec(id, spec, sink);
    };
  }

  docker::ExecResult exec(const std::string& id, const docker::ExecSpec& spec, const docker::OutputSink& sink) {
    {
      std::lock_guard<std::mutex> lock(m);
      execs.push_back(spec.cmd);
    }
    docker::ExecResult r;
    r.exit_code = 0;
    const std::string& tool = spec.cmd.front();
    const std::string all = [&] {
      std::string s;
      for (const std::string& a : spec.cmd) s += a + " ";
      return s;
    }();
    if (id != "id-shop-db-1") return r;
    if (tool == "pg_dump") {
      for (const std::string& c : dump_chunks(spec.cmd.back())) sink(docker::StreamKind::stdout_, c);
    } else if (tool == "pg_dumpall") {
      sink(docker::StreamKind::stdout_, "CREATE ROLE app;\n");
      sink(docker::StreamKind::stdout_, "ALTER ROLE app NOLOGIN;\n");
    } else if (tool == "psql" && all.find("from pg_database") != std::string::npos) {
      r.out = "postgres\nshop app\n";
    } else if (tool == "psql" && all.find("hashtextextended") != std::string::npos) {
      r.out = sums;
    } else if (tool == "psql" && all.find("query_to_xml") != std::string::npos) {
      r.out = rows;
    }
    return r;
  }

  fs::path backup(bool include_secrets) {
    const fs::path out = home.path() / "backups" / "shop" / "shop-19700102T000000Z.tar.gz";
    create_backup(
        engine, inst,
        BackupOptions{.out = out, .include_secrets = include_secrets, .supactl_version = "t", .key = std::nullopt},
        86400);
    return out;
  }

  std::vector<std::string> member_paths(const nlohmann::json& manifest) {
    std::vector<std::string> paths;
    for (const nlohmann::json& member : manifest.at("members")) paths.push_back(member.at("path").get<std::string>());
    return paths;
  }

  std::vector<std::vector<std::string>> exec_log() {
    std::lock_guard<std::mutex> lock(m);
    return execs;
  }

  test::TempDir home;
  config::Instance inst;
  test::FakeEngine engine;
  std::mutex m;
  std::vector<std::vector<std::string>> execs;
  std::string rows = "auth.users\t1\npublic.todos\t3\n";
  std::string sums = "auth.users\t-77\npublic.todos\t12345\n";
};

TEST_F(BackupTest, EveryChunkOfEveryDumpLandsInItsMemberAndSecretsStayOut) {
  const fs::path archive = backup(false);
  struct stat st {};
  ASSERT_EQ(::stat(archive.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  TempDir out(home.path(), ".x-");
  const nlohmann::json manifest = verify_archive(archive, out.path());
  EXPECT_EQ(member_paths(manifest),
            (std::vector<std::string>{"db/roles.sql", "db/00-postgres.dump", "db/01-shop_app.dump", "storage/minio.tar",
                                      "instance/instance.yaml", "instance/rendered/docker-compose.yml"}));
  EXPECT_EQ(core::read_file(out.path() / "m/db/roles.sql"), "CREATE ROLE app;\nALTER ROLE app NOLOGIN;\n");
  EXPECT_EQ(core::read_file(out.path() / "m/db/00-postgres.dump"), joined(dump_chunks("postgres")));
  EXPECT_EQ(core::read_file(out.path() / "m/db/01-shop_app.dump"), joined(dump_chunks("shop app")));
  EXPECT_EQ(core::read_file(out.path() / "m/storage/minio.tar"), (engine.archives[{"id-shop-minio-1", "/data"}]));
  EXPECT_EQ(core::read_file(out.path() / "m/instance/instance.yaml"), "name: shop\n");

  EXPECT_EQ(manifest["databases"], nlohmann::json::parse(R"([{"name":"postgres","member":"db/00-postgres.dump"},
                                                              {"name":"shop app","member":"db/01-shop_app.dump"}])"));
  EXPECT_EQ(manifest["storage"],
            nlohmann::json::parse(R"({"service":"minio","path":"/data","member":"storage/minio.tar","files":2})"));
  EXPECT_EQ(manifest["row_counts"], nlohmann::json::parse(R"({"auth.users":1,"public.todos":3})"));
  EXPECT_EQ(manifest["row_checksums"], nlohmann::json::parse(R"({"auth.users":"-77","public.todos":"12345"})"));
  EXPECT_EQ(manifest["created_at"], "1970-01-02T00:00:00Z");
  EXPECT_EQ(manifest["include_secrets"], false);
  // The archive holds no secret anywhere.
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(out.path())) {
    if (e.is_regular_file()) {
      EXPECT_EQ(core::read_file(e.path()).find("top-secret"), std::string::npos) << e.path();
    }
  }
  EXPECT_EQ(engine.calls_of("get_archive"), std::vector<std::string>{"get_archive id-shop-minio-1 /data"});
}

TEST_F(BackupTest, IncludeSecretsCarriesSecretsEnvTheRenderedEnvAndFunctionSecrets) {
  TempDir out(home.path(), ".x-");
  const nlohmann::json manifest = verify_archive(backup(true), out.path());
  const std::vector<std::string> paths = member_paths(manifest);
  EXPECT_NE(std::find(paths.begin(), paths.end(), "instance/secrets.env"), paths.end());
  EXPECT_NE(std::find(paths.begin(), paths.end(), "instance/rendered/.env"), paths.end());
  EXPECT_EQ(core::read_file(out.path() / "m/instance/secrets.env"), "JWT_SECRET=top-secret\n");
  EXPECT_NE(std::find(paths.begin(), paths.end(), "instance/functions.json"), paths.end());
  EXPECT_NE(std::find(paths.begin(), paths.end(), "instance/rendered/function-settings/greet.json"), paths.end());
}

TEST_F(BackupTest, RestoreStagesLoadsAndThenRemovesTheDumps) {
  TempDir dir(home.path(), ".r-");
  Extracted backup{.manifest = Manifest::from_json(verify_archive(this->backup(false), dir.path())), .dir = dir.path()};
  execs.clear();
  restore_databases(engine, "shop", backup);

  const std::vector<std::string> puts = engine.calls_of("put_archive");
  ASSERT_EQ(puts, std::vector<std::string>{"put_archive id-shop-db-1 /tmp"});
  const std::vector<std::vector<std::string>> log = exec_log();
  ASSERT_GE(log.size(), 3u);
  // Roles first, from the staged folder; then each database; the staged folder goes last.
  const std::string& roles = log.front().back();
  ASSERT_EQ(roles.rfind("/tmp/supactl-", 0), 0u) << roles;
  const std::string staged = roles.substr(0, roles.size() - std::string("/roles.sql").size());
  EXPECT_EQ(roles, staged + "/roles.sql");
  std::vector<std::string> restored;
  for (const auto& cmd : log) {
    if (cmd.front() == "pg_restore") restored.push_back(cmd.back());
  }
  EXPECT_EQ(restored, (std::vector<std::string>{staged + "/00-postgres.dump", staged + "/01-shop_app.dump"}));
  EXPECT_EQ(log.back(), (std::vector<std::string>{"rm", "-rf", "--", staged}));
}

TEST_F(BackupTest, StorageIsExtractedIntoTheParentOfTheVolumeFolder) {
  TempDir dir(home.path(), ".r-");
  Extracted backup{.manifest = Manifest::from_json(verify_archive(this->backup(false), dir.path())), .dir = dir.path()};
  restore_storage(engine, "shop", backup);
  EXPECT_EQ(engine.calls_of("put_archive"), std::vector<std::string>{"put_archive id-shop-minio-1 /"});
}

TEST_F(BackupTest, TheComparisonNamesATableWithFewerOrMoreRowsThanTheBackup) {
  TempDir dir(home.path(), ".r-");
  Extracted backup{.manifest = Manifest::from_json(verify_archive(this->backup(false), dir.path())), .dir = dir.path()};
  TempDir scratch(home.path(), ".s-");

  Comparison same = compare_with_manifest(engine, "shop", backup, scratch.path());
  EXPECT_TRUE(same.ok());
  EXPECT_EQ(same.tables, 2);
  EXPECT_EQ(same.files_expected, 2);
  EXPECT_EQ(same.files_now, 2);

  rows = "auth.users\t1\npublic.todos\t2\n";
  Comparison fewer = compare_with_manifest(engine, "shop", backup, scratch.path());
  EXPECT_FALSE(fewer.ok());
  EXPECT_EQ(fewer.row_diffs, std::vector<std::string>{"public.todos: 3 rows in the backup, 2 now"});

  rows = "auth.users\t5\n";
  Comparison other = compare_with_manifest(engine, "shop", backup, scratch.path());
  EXPECT_EQ(other.row_diffs, (std::vector<std::string>{"auth.users: 1 rows in the backup, 5 now",
                                                       "public.todos: 3 rows in the backup, table missing now"}));
}

TEST_F(BackupTest, TheComparisonNamesATableWhoseContentChangedWithTheSameRowCount) {
  TempDir dir(home.path(), ".r-");
  Extracted backup{.manifest = Manifest::from_json(verify_archive(this->backup(false), dir.path())), .dir = dir.path()};
  TempDir scratch(home.path(), ".s-");
  EXPECT_EQ(compare_with_manifest(engine, "shop", backup, scratch.path()).checksums, 2);

  sums = "auth.users\t-77\npublic.todos\t12346\n";  // a row changed, none added
  const Comparison changed = compare_with_manifest(engine, "shop", backup, scratch.path());
  EXPECT_FALSE(changed.ok());
  EXPECT_TRUE(changed.row_diffs.empty());
  ASSERT_EQ(changed.checksum_diffs.size(), 1U);
  EXPECT_EQ(changed.checksum_diffs[0].rfind("public.todos: content differs", 0), 0U) << changed.checksum_diffs[0];

  // A backup from before checksums: counts only, and no checksum query.
  backup.manifest.row_checksums.clear();
  const Comparison old = compare_with_manifest(engine, "shop", backup, scratch.path());
  EXPECT_TRUE(old.ok());
  EXPECT_EQ(old.checksums, 0);
}

TEST_F(BackupTest, ABackupNeedsTheDbContainerRunning) {
  test::FakeEngine empty;
  try {
    create_backup(
        empty, inst,
        BackupOptions{
            .out = home.path() / "b.tar.gz", .include_secrets = false, .supactl_version = "t", .key = std::nullopt},
        0);
    ADD_FAILURE() << "backed up an instance without a db container";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::not_found) << e.what();
  }
  EXPECT_FALSE(fs::exists(home.path() / "b.tar.gz"));
}

}  // namespace
}  // namespace supactl::backup

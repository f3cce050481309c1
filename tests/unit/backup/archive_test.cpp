// SPDX-License-Identifier: Apache-2.0
// The backup archive format without an Engine: members round-trip with their sha256, the
// manifest comes first, and any damage (a flipped byte anywhere past the gzip header, a
// truncation, a missing member) is refused. Also the migration file reader.
#include <supactl/backup/archive.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/stack/db.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sys/stat.h>

#include "support/temp_dir.hpp"

namespace supactl::backup {
namespace {

namespace fs = std::filesystem;

/// A small archive with three members, written to `dir`/b.tar.gz.
fs::path make_archive(const fs::path& dir) {
  TempDir staging(dir, ".stage-");
  ArchiveBuilder b(staging.path());
  b.add_bytes("db/roles.sql", "CREATE ROLE x;\n");
  b.add_stream("db/00-postgres.dump", [](const auto& out) {
    for (int i = 0; i < 200; ++i) out("chunk " + std::to_string(i) + "\n");
  });
  b.add_bytes("instance/instance.yaml", "name: shop\n");
  const fs::path out = dir / "b.tar.gz";
  b.write(out, {{"format", k_format}, {"instance", "shop"}}, 0600);
  return out;
}

std::string slurp(const fs::path& p) { return core::read_file(p); }

TEST(BackupArchive, RoundTripsMembersWithManifestFirstAndPrivateModes) {
  test::TempDir dir;
  const fs::path archive = make_archive(dir.path());
  struct stat st {};
  ASSERT_EQ(::stat(archive.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  TempDir out(dir.path(), ".x-");
  nlohmann::json m = verify_archive(archive, out.path());
  EXPECT_EQ(m["instance"], "shop");
  ASSERT_EQ(m["members"].size(), 3u);
  EXPECT_EQ(m["members"][0]["path"], "db/roles.sql");
  EXPECT_EQ(m["members"][0]["size"], 15);
  EXPECT_EQ(slurp(out.path() / "m" / "db/roles.sql"), "CREATE ROLE x;\n");
  EXPECT_EQ(slurp(out.path() / "m" / "instance/instance.yaml"), "name: shop\n");
  // No staging leftovers beside the archive.
  for (const auto& e : fs::directory_iterator(dir.path())) {
    EXPECT_TRUE(e.path() == archive || e.path() == out.path()) << e.path();
  }
}

TEST(BackupArchive, AFlippedByteIsRefusedUnlessTheContentIsExactlyTheSame) {
  test::TempDir dir;
  const fs::path archive = make_archive(dir.path());
  const std::string good = slurp(archive);
  TempDir reference(dir.path(), ".ref-");
  verify_archive(archive, reference.path());
  // Bytes 0-9 are the gzip header (magic, flags, mtime, OS). Past it, a flip is refused, or
  // it hit one of deflate's few don't-care bits and the stream (checked against the gzip
  // CRC-32 and every member's sha256) inflates to exactly the same bytes.
  size_t refused = 0;
  for (size_t i = 10; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x04);
    const fs::path p = dir.path() / "bad.tar.gz";
    core::write_file_atomic(p, bad);
    TempDir out(dir.path(), ".x-");
    try {
      verify_archive(p, out.path());
      for (const char* m : {"db/roles.sql", "db/00-postgres.dump", "instance/instance.yaml"}) {
        EXPECT_EQ(slurp(out.path() / "m" / m), slurp(reference.path() / "m" / m)) << "byte " << i << ", " << m;
      }
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::usage) << e.what();
      ++refused;
    }
  }
  EXPECT_GT(refused, (good.size() - 10) * 95 / 100);
}

TEST(BackupArchive, TruncatedArchiveIsRefusedWithAOneLineMessage) {
  test::TempDir dir;
  const fs::path archive = make_archive(dir.path());
  const std::string good = slurp(archive);
  for (size_t n : {size_t{0}, size_t{5}, good.size() / 2, good.size() - 1}) {
    const fs::path p = dir.path() / "cut.tar.gz";
    core::write_file_atomic(p, good.substr(0, n));
    TempDir out(dir.path(), ".x-");
    try {
      verify_archive(p, out.path());
      ADD_FAILURE() << "accepted an archive cut at " << n;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::usage);
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("nothing was changed"), std::string::npos) << e.what();
    }
  }
}

TEST(BackupArchive, MissingFileIsNotFoundAndUnsafeMemberPathsAreRejected) {
  test::TempDir dir;
  try {
    verify_archive(dir.path() / "nope.tar.gz", dir.path());
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::not_found);
  }
  TempDir staging(dir.path(), ".stage-");
  ArchiveBuilder b(staging.path());
  EXPECT_THROW(b.add_bytes("../escape", "x"), Error);
  EXPECT_THROW(b.add_bytes("/abs", "x"), Error);
  EXPECT_THROW(b.add_bytes("a//b", "x"), Error);
}

TEST(BackupArchive, ListsAnInstancesBackupsOldestFirst) {
  test::TempDir dir;
  for (const char* f : {"shop-20260102T000000Z.tar.gz", "shop-20260101T000000Z.tar.gz", "shopx-20260101T000000Z.tar.gz",
                        "shop-notes.txt"}) {
    std::ofstream(dir.path() / f) << "x";
  }
  std::vector<BackupFile> files = list_backups(dir.path(), "shop");
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].path.filename(), "shop-20260101T000000Z.tar.gz");
  EXPECT_EQ(files[1].path.filename(), "shop-20260102T000000Z.tar.gz");
  EXPECT_EQ(utc_stamp(0), "19700101T000000Z");
  EXPECT_EQ(utc_rfc3339(86400 + 61), "1970-01-02T00:01:01Z");
}

TEST(Migrations, AreReadInNameOrderWithVersionsAndDuplicateVersionsAreRefused) {
  test::TempDir dir;
  std::ofstream(dir.path() / "20240102_seed.sql") << "insert 2;";
  std::ofstream(dir.path() / "20240101_create_todos.sql") << "create 1;";
  std::ofstream(dir.path() / "extra.sql") << "x;";
  std::ofstream(dir.path() / "readme.md") << "no";
  std::vector<stack::Migration> m = stack::read_migrations(dir.path().string());
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].file, "20240101_create_todos.sql");
  EXPECT_EQ(m[0].version, "20240101");
  EXPECT_EQ(m[0].name, "create_todos");
  EXPECT_EQ(m[0].sql, "create 1;");
  EXPECT_EQ(m[2].version, "extra");

  std::ofstream(dir.path() / "20240101_other.sql") << "y;";
  try {
    stack::read_migrations(dir.path().string());
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
  }
  EXPECT_THROW(stack::read_migrations((dir.path() / "missing").string()), Error);
}

}  // namespace
}  // namespace supactl::backup

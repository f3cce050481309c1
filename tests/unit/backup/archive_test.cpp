// SPDX-License-Identifier: Apache-2.0
// The backup archive format without an Engine: members round-trip with their sha256, the
// manifest comes first, and any damage (a flipped byte anywhere past the gzip header, a
// truncation, a missing member) is refused. Also the migration file reader.
#include <supactl/backup/archive.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/stack/db.hpp>

#include <archive.h>
#include <archive_entry.h>
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

TEST(BackupArchive, AStreamedMemberKeepsEveryChunkInOrder) {
  test::TempDir dir;
  const fs::path archive = make_archive(dir.path());
  TempDir out(dir.path(), ".x-");
  nlohmann::json m = verify_archive(archive, out.path());
  std::string want;
  for (int i = 0; i < 200; ++i) want += "chunk " + std::to_string(i) + "\n";
  EXPECT_EQ(slurp(out.path() / "m" / "db/00-postgres.dump"), want);
  EXPECT_EQ(m["members"][1]["size"], 1890);
}

TEST(BackupArchive, ADamagedGzipTrailerIsRefused) {
  test::TempDir dir;
  const fs::path archive = make_archive(dir.path());
  const std::string good = slurp(archive);
  // The last 8 bytes are the CRC-32 and length of the whole stream; the tar reader never
  // reaches them, so only the trailer check can see the damage.
  for (size_t i = good.size() - 8; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    const fs::path p = dir.path() / "bad.tar.gz";
    core::write_file_atomic(p, bad);
    TempDir out(dir.path(), ".x-");
    EXPECT_THROW(verify_archive(p, out.path()), Error) << "byte " << i;
  }
}

/// A tar.gz written with libarchive directly: `members` in order, as given.
void write_targz(const fs::path& path, const std::vector<std::pair<std::string, std::string>>& members) {
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_add_filter_gzip(a);
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
  for (const auto& [name, content] : members) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0600);
    archive_entry_set_size(e, static_cast<la_int64_t>(content.size()));
    ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK);
    ASSERT_EQ(archive_write_data(a, content.data(), content.size()), static_cast<la_ssize_t>(content.size()));
    archive_entry_free(e);
  }
  ASSERT_EQ(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
}

TEST(BackupArchive, AMemberThatDoesNotMatchItsSha256OrIsMissingIsRefused) {
  test::TempDir dir;
  // sha256("abc"), a published test vector.
  const std::string manifest =
      R"({"format":"supactl-backup/1","members":[{"path":"a.txt","size":3,"sha256":)"
      R"("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}]})";
  const fs::path good = dir.path() / "good.tar.gz";
  write_targz(good, {{"manifest.json", manifest}, {"a.txt", "abc"}});
  {
    TempDir out(dir.path(), ".x-");
    EXPECT_NO_THROW(verify_archive(good, out.path()));
    EXPECT_EQ(slurp(out.path() / "m" / "a.txt"), "abc");
  }
  auto refused = [&](const std::vector<std::pair<std::string, std::string>>& members, const std::string& why) {
    const fs::path p = dir.path() / "bad.tar.gz";
    write_targz(p, members);
    TempDir out(dir.path(), ".x-");
    try {
      verify_archive(p, out.path());
      ADD_FAILURE() << "accepted an archive where " << why;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::usage) << e.what();
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
    }
  };
  refused({{"manifest.json", manifest}, {"a.txt", "abd"}}, "a.txt does not match its sha256");
  refused({{"manifest.json", manifest}}, "member a.txt is missing");
  refused({{"manifest.json", manifest}, {"a.txt", "abc"}, {"b.txt", "x"}}, "member b.txt is not in the manifest");
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

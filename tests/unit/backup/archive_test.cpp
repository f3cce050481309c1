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

#include <sys/stat.h>
#include <sys/wait.h>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>

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

/// One member of a tar stream as its 512-byte ustar header says, read by hand (POSIX
/// pax/ustar layout), so the check does not go through the library that wrote it.
struct RawMember {
  std::string name;
  unsigned mode = 0;
  char type = 0;
  std::string magic;
  long long mtime = 0;
  bool checksum_ok = false;
  std::string data;
};

unsigned long long octal(const std::string& block, size_t at, size_t len) {
  unsigned long long v = 0;
  for (size_t i = at; i < at + len && block[i] >= '0' && block[i] <= '7'; ++i)
    v = v * 8 + static_cast<unsigned>(block[i] - '0');
  return v;
}

std::string field(const std::string& block, size_t at, size_t len) {
  std::string f = block.substr(at, len);
  return f.substr(0, f.find('\0'));
}

/// The members of the uncompressed tar `tar`, in header order; stops at the zero blocks.
std::vector<RawMember> raw_members(const std::string& tar) {
  std::vector<RawMember> out;
  size_t at = 0;
  while (at + 512 <= tar.size()) {
    const std::string block = tar.substr(at, 512);
    if (block == std::string(512, '\0')) break;
    RawMember m;
    const std::string prefix = field(block, 345, 155);
    m.name = (prefix.empty() ? "" : prefix + "/") + field(block, 0, 100);
    m.mode = static_cast<unsigned>(octal(block, 100, 8));
    m.mtime = static_cast<long long>(octal(block, 136, 12));
    m.type = block[156];
    m.magic = block.substr(257, 8);
    unsigned long long sum = 0;
    for (size_t i = 0; i < 512; ++i) sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(block[i]);
    m.checksum_ok = sum == octal(block, 148, 8);
    const auto size = static_cast<size_t>(octal(block, 124, 12));
    m.data = tar.substr(at + 512, size);
    at += 512 + (size + 511) / 512 * 512;
    out.push_back(m);
  }
  return out;
}

/// `archive` decompressed by the system's gzip.
std::string gunzip(const fs::path& archive, const fs::path& scratch) {
  const fs::path tar = scratch / "plain.tar";
  const std::string cmd = "gzip -dc '" + archive.string() + "' > '" + tar.string() + "'";
  const int status = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << cmd;
  return slurp(tar);
}

/// What make_archive's streamed member holds: "chunk 0\n" ... "chunk 199\n" (1890 bytes).
constexpr const char* k_dump_sha256 = "bda73d3c854aa1ba0c2c9c85d065d252db4285468c84c48d77e3466b7c20ac1a";

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

TEST(BackupArchive, TheFileIsAGzipTarOfTheManifestThenEachMemberInOrderWithTheirBytesAndMode0600) {
  test::TempDir dir;
  const long long before = static_cast<long long>(std::time(nullptr));
  const fs::path archive = make_archive(dir.path());
  const long long after = static_cast<long long>(std::time(nullptr));
  test::TempDir scratch;
  const std::string tar = gunzip(archive, scratch.path());
  ASSERT_EQ(tar.size() % 512, 0u);
  const std::vector<RawMember> m = raw_members(tar);
  ASSERT_EQ(m.size(), 4u);
  const std::vector<std::string> names = {"manifest.json", "db/roles.sql", "db/00-postgres.dump",
                                          "instance/instance.yaml"};
  for (size_t i = 0; i < m.size(); ++i) {
    EXPECT_EQ(m[i].name, names[i]) << "member " << i;
    EXPECT_EQ(m[i].type, '0') << m[i].name;
    EXPECT_EQ(m[i].mode, 0600u) << m[i].name;
    EXPECT_EQ(m[i].magic, std::string("ustar\0"
                                      "00",
                                      8))
        << m[i].name;
    EXPECT_TRUE(m[i].checksum_ok) << m[i].name;
    EXPECT_GE(m[i].mtime, before) << m[i].name;
    EXPECT_LE(m[i].mtime, after) << m[i].name;
  }
  EXPECT_EQ(m[1].data, "CREATE ROLE x;\n");
  std::string dump;
  for (int i = 0; i < 200; ++i) dump += "chunk " + std::to_string(i) + "\n";
  EXPECT_EQ(dump.size(), 1890u);
  EXPECT_EQ(m[2].data, dump);
  EXPECT_EQ(m[3].data, "name: shop\n");

  nlohmann::json manifest = nlohmann::json::parse(m[0].data);
  const nlohmann::json expected = {
      {"format", "supactl-backup/1"},
      {"instance", "shop"},
      {"members",
       {{{"path", "db/roles.sql"},
         {"size", 15},
         {"sha256", "30c07fd375dd25ac38201809445e6d7e1f6c812ec5df0014d238f7d7bd884b52"}},
        {{"path", "db/00-postgres.dump"}, {"size", 1890}, {"sha256", k_dump_sha256}},
        {{"path", "instance/instance.yaml"},
         {"size", 11},
         {"sha256", "7a4a65b2ddace6a2fd36d3335884647c2c8501b770b31e81ef23b1b73126b630"}}}},
  };
  EXPECT_EQ(manifest, expected) << m[0].data;
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
  const std::string manifest = R"({"format":"supactl-backup/1","members":[{"path":"a.txt","size":3,"sha256":)"
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

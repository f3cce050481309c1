// SPDX-License-Identifier: Apache-2.0
// Point-in-time recovery without an Engine: WAL file names and which of them a base backup
// needs (what `backup prune` may delete), the base backup's check against its own manifest
// (a changed byte, a missing or extra file, a changed manifest are refused), recovery targets
// and the base backup chosen for them, and the archiver's row as `status` reads it.
#include <supactl/backup/pitr.hpp>
#include <supactl/backup/wal.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/sha256.hpp>
#include <supactl/docker/tar.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include <unistd.h>

#include "support/temp_dir.hpp"

namespace supactl::backup {
namespace {

namespace fs = std::filesystem;

TEST(WalNames, SegmentsHistoryBackupLabelsAndPartialsAreReadAndAnythingElseIsNot) {
  std::optional<WalName> w = parse_wal_name("000000010000000000000003");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->kind, WalName::Kind::segment);
  EXPECT_EQ(w->timeline, 1U);
  EXPECT_EQ(w->segno, 3U);
  // The low part runs 00..FF for 16 MiB segments: 0000000A000000FF follows 0000000A000000FE and precedes
  // 0000000B00000000.
  w = parse_wal_name("00000002000000010000002A");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->timeline, 2U);
  EXPECT_EQ(w->segno, 256U + 42U);
  w = parse_wal_name("00000002.history");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->kind, WalName::Kind::history);
  EXPECT_EQ(w->timeline, 2U);
  w = parse_wal_name("000000010000000000000002.00000028.backup");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->kind, WalName::Kind::backup_label);
  EXPECT_EQ(w->segno, 2U);
  w = parse_wal_name("000000010000000000000004.partial");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->kind, WalName::Kind::partial);
  for (const char* not_wal : {"000000010000000000000003.part", "00000001000000000000003", "archive_status",
                              "000000010000000000000003x", "0000000g0000000000000003", "README"}) {
    EXPECT_FALSE(parse_wal_name(not_wal)) << not_wal;
  }
  EXPECT_EQ(wal_segment_name(1, 3), "000000010000000000000003");
  EXPECT_EQ(wal_segment_name(2, 256 + 42), "00000002000000010000002A");
  EXPECT_EQ(segno_of(0x2000028), 2U);
  EXPECT_EQ(segno_of((std::uint64_t{1} << 32) + 0x2A000000), 256U + 42U);
}

TEST(WalNames, ABaseBackupNeedsEveryHistoryFileAndEverySegmentFromItsStartOnAnyTimeline) {
  const std::uint64_t start = 5 * k_wal_segment_bytes + 0x28;
  EXPECT_FALSE(wal_needed_from("000000010000000000000004", start));
  EXPECT_TRUE(wal_needed_from("000000010000000000000005", start));
  EXPECT_TRUE(wal_needed_from("000000020000000000000006", start));
  EXPECT_TRUE(wal_needed_from("00000002.history", start));
  EXPECT_FALSE(wal_needed_from("000000010000000000000004.00000028.backup", start));
  EXPECT_FALSE(wal_needed_from("something-else", start));
}

TEST(WalNames, PruneKeepsWhatTheOldestKeptBaseNeedsAndEverythingWhenNoBaseIsKept) {
  const std::vector<std::string> archived{"000000010000000000000001",
                                          "000000010000000000000002",
                                          "000000010000000000000002.00000028.backup",
                                          "000000010000000000000003",
                                          "00000002.history",
                                          "000000020000000000000004",
                                          "stray.txt"};
  EXPECT_TRUE(wal_to_prune(archived, {}).empty());
  // Two kept bases, starting in segments 3 and 4: only what precedes 3 goes.
  const std::vector<std::string> gone =
      wal_to_prune(archived, {4 * k_wal_segment_bytes + 0x28, 3 * k_wal_segment_bytes + 0x28});
  EXPECT_EQ(gone, (std::vector<std::string>{"000000010000000000000001", "000000010000000000000002",
                                            "000000010000000000000002.00000028.backup"}));
}

/// A backup_manifest over `files` (path → content), with its own checksum, as pg_basebackup
/// writes one (one entry per line, the checksum line last).
std::string manifest_of(const std::vector<std::pair<std::string, std::string>>& files,
                        const std::string& start = "0/2000028", const std::string& end = "0/2000100") {
  std::string m = "{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [\n";
  for (size_t i = 0; i < files.size(); ++i) {
    m += "{ \"Path\": \"" + files[i].first + "\", \"Size\": " + std::to_string(files[i].second.size()) +
         ", \"Last-Modified\": \"2026-12-01 02:00:00 GMT\", \"Checksum-Algorithm\": \"SHA256\", \"Checksum\": \"" +
         core::sha256_hex(files[i].second) + "\" }" + (i + 1 < files.size() ? "," : "") + "\n";
  }
  m += "],\n\"WAL-Ranges\": [\n{ \"Timeline\": 1, \"Start-LSN\": \"" + start + "\", \"End-LSN\": \"" + end +
       "\" }\n],\n";
  m += "\"Manifest-Checksum\": \"" + core::sha256_hex(m) + "\"}\n";
  return m;
}

const std::vector<std::pair<std::string, std::string>> k_files{
    {"backup_label",
     "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\nSTART TIME: 2026-12-01 02:00:00 "
     "UTC\nSTART TIMELINE: 1\n"},
    {"PG_VERSION", "15\n"},
    {"base/1/1259", std::string(20000, 'x')},
    {"global/pg_control", std::string(8192, '\1')}};

fs::path write_base(const fs::path& dir, const std::vector<std::pair<std::string, std::string>>& files,
                    const std::string& manifest) {
  std::vector<docker::TarFile> entries{{.path = "pg_wal/", .content = {}, .mode = 0700}};
  for (const auto& [path, content] : files) entries.push_back({.path = path, .content = content, .mode = 0600});
  entries.push_back({.path = "backup_manifest", .content = manifest, .mode = 0600});
  const fs::path tar = dir / "x.base.tar";
  std::ofstream(tar, std::ios::binary) << docker::make_tar(entries);
  return tar;
}

TEST(BaseBackupCheck, ATarThatMatchesItsManifestGivesItsWalRangeAndStartTime) {
  test::TempDir dir;
  const BaseCheck c = check_base_tar(write_base(dir.path(), k_files, manifest_of(k_files)));
  EXPECT_EQ(c.files, 4);
  EXPECT_EQ(c.timeline, 1U);
  EXPECT_EQ(c.start_lsn, 0x2000028U);
  EXPECT_EQ(c.end_lsn, 0x2000100U);
  EXPECT_EQ(c.start_time, "2026-12-01 02:00:00 UTC");
}

TEST(BaseBackupCheck, AChangedFileAMissingOneAnExtraOneOrAChangedManifestIsRefused) {
  test::TempDir dir;
  const std::string manifest = manifest_of(k_files);
  auto refused = [&](const std::vector<std::pair<std::string, std::string>>& files, const std::string& m,
                     const std::string& why) {
    try {
      check_base_tar(write_base(dir.path(), files, m));
      ADD_FAILURE() << "accepted: " << why;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::usage) << why;
      return std::string(e.what());
    }
    return std::string();
  };
  auto changed = k_files;
  changed[2].second[100] = 'y';  // same size, other bytes
  EXPECT_NE(refused(changed, manifest, "a changed byte").find("base/1/1259 does not match its checksum"),
            std::string::npos);
  auto missing = k_files;
  missing.pop_back();
  EXPECT_NE(refused(missing, manifest, "a missing file").find("global/pg_control is in backup_manifest but not"),
            std::string::npos);
  auto extra = k_files;
  extra.emplace_back("base/1/99999", "planted");
  EXPECT_NE(refused(extra, manifest, "an extra file").find("base/1/99999 is in the tar but not"), std::string::npos);
  std::string edited = manifest;
  edited.replace(edited.find("0/2000100"), 9, "0/2000200");  // a later end, checksum left alone
  EXPECT_NE(refused(k_files, edited, "an edited manifest").find("Manifest-Checksum"), std::string::npos);
  EXPECT_NE(refused(k_files, "", "no manifest").find("no backup_manifest"), std::string::npos);
}

/// check_base_stream over a pipe fed by another thread with the bytes of `tar` (1 MiB of
/// filler appended, as the end of a stream); the writer must always finish.
BaseCheck check_through_pipe(const fs::path& tar, bool* writer_finished) {
  std::string bytes;
  {
    std::ifstream in(tar, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  bytes.append(1 << 20, '\0');
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  std::thread writer([&] {
    std::string_view rest(bytes);
    while (!rest.empty()) {
      const ssize_t n = ::write(fds[1], rest.data(), rest.size());
      if (n <= 0) break;
      rest.remove_prefix(static_cast<size_t>(n));
    }
    ::close(fds[1]);
    *writer_finished = rest.empty();
  });
  struct Join {
    std::thread& t;
    int fd;
    ~Join() {
      t.join();
      ::close(fd);
    }
  } join{writer, fds[0]};
  return check_base_stream(fds[0]);
}

TEST(BaseBackupCheck, AStreamIsCheckedAsItArrivesAndItsWriterNeverBlocksOnAFailure) {
  test::TempDir dir;
  bool finished = false;
  const BaseCheck c = check_through_pipe(write_base(dir.path(), k_files, manifest_of(k_files)), &finished);
  EXPECT_TRUE(finished);
  EXPECT_EQ(c.files, 4);
  EXPECT_EQ(c.end_lsn, 0x2000100U);
  auto changed = k_files;
  changed[2].second[7] = 'q';
  finished = false;
  EXPECT_THROW(check_through_pipe(write_base(dir.path(), changed, manifest_of(k_files)), &finished), Error);
  EXPECT_TRUE(finished) << "the writer was left blocked on a full pipe";
}

TEST(RecoveryTargets, TimesNeedAZoneAndBecomeUtcForPostgres) {
  RecoveryTarget t = parse_target_time("2026-11-29T18:00:00Z");
  EXPECT_EQ(t.kind, RecoveryTarget::Kind::time);
  EXPECT_EQ(t.time, 1795975200);
  EXPECT_EQ(t.time_text, "2026-11-29 18:00:00+00");
  EXPECT_EQ(t.describe(), "2026-11-29T18:00:00Z");
  t = parse_target_time("2026-11-29T19:30:00.250+01:30");
  EXPECT_EQ(t.time, 1795975200);
  EXPECT_EQ(t.time_text, "2026-11-29 18:00:00.250+00");
  EXPECT_EQ(parse_target_time("2026-03-01T00:00:00-02:00").time_text, "2026-03-01 02:00:00+00");
  for (const char* bad : {"2026-11-29T18:00:00", "2026-11-29", "yesterday", "2026-13-01T00:00:00Z",
                          "2026-11-29T24:00:00Z", "2026-11-29T18:00:00Z; DROP TABLE x"}) {
    try {
      parse_target_time(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::usage) << bad;
      EXPECT_NE(std::string(e.hint()).find("2026-11-29T18:00:00Z"), std::string::npos);
    }
  }
  EXPECT_EQ(parse_target_lsn("0/3000060").lsn, 0x3000060U);
  EXPECT_THROW(parse_target_lsn("3000060"), Error);
}

TEST(RecoveryTargets, SettingsReplayToTheTargetThenPromoteWithNoReadsBefore) {
  const std::string s = recovery_settings(parse_target_time("2026-11-29T18:00:00Z"), "/data/wal");
  EXPECT_NE(s.find("restore_command = 'cp /data/wal/%f %p'\n"), std::string::npos) << s;
  EXPECT_NE(s.find("recovery_target_time = '2026-11-29 18:00:00+00'\n"), std::string::npos) << s;
  EXPECT_NE(s.find("recovery_target_action = 'promote'\n"), std::string::npos) << s;
  EXPECT_NE(s.find("hot_standby = 'off'\n"), std::string::npos) << s;
  EXPECT_NE(recovery_settings(parse_target_lsn("0/3000060"), "/w").find("recovery_target_lsn = '0/3000060'"),
            std::string::npos);
  const std::string latest = recovery_settings(RecoveryTarget{}, "/w");
  EXPECT_EQ(latest.find("recovery_target_time ="), std::string::npos);
  EXPECT_EQ(latest.find("recovery_target_lsn"), std::string::npos);
}

TEST(RecoveryTargets, TheNewestBaseThatFinishedBeforeTheTargetIsChosen) {
  std::vector<BaseInfo> bases(3);
  for (int i = 0; i < 3; ++i) {
    bases[i].file = "b" + std::to_string(i);
    bases[i].finished = 1000 + i * 100;
    bases[i].end_lsn = 0x1000000U * static_cast<unsigned>(i + 2);
  }
  RecoveryTarget t;
  t.kind = RecoveryTarget::Kind::time;
  t.time = 1150;
  EXPECT_EQ(choose_base(bases, t)->file, "b1");
  t.time = 1100;  // finished exactly at the target: usable
  EXPECT_EQ(choose_base(bases, t)->file, "b1");
  t.time = 999;
  EXPECT_FALSE(choose_base(bases, t));
  EXPECT_EQ(choose_base(bases, RecoveryTarget{})->file, "b2");
  EXPECT_EQ(choose_base(bases, parse_target_lsn("0/3000000"))->file, "b1");
  EXPECT_FALSE(choose_base({}, RecoveryTarget{}));
}

TEST(RecoveryTargets, ABaseRecordRoundTripsAndABrokenOneIsNamed) {
  BaseInfo b;
  b.instance = "shop";
  b.file = "shop-20261201T020000Z.base.tar";
  b.started_at = "2026-12-01 02:00:00 UTC";
  b.finished_at = "2026-12-01T02:00:02Z";
  b.finished = 1795917602;
  b.timeline = 2;
  b.start_lsn = 0x2000028;
  b.end_lsn = 0x2000100;
  b.size = 123;
  b.sha256 = "ab";
  b.files = 9;
  const BaseInfo back = BaseInfo::from_json(b.to_json());
  EXPECT_EQ(back.to_json(), b.to_json());
  EXPECT_EQ(b.to_json()["start_lsn"], "0/2000028");
  nlohmann::json broken = b.to_json();
  broken["end_lsn"] = "nope";
  try {
    BaseInfo::from_json(broken);
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("end_lsn"), std::string::npos);
  }
}

TEST(ArchiverState, AFailureAfterTheLastSuccessIsFailing) {
  const ArchiverState s = parse_archiver_row(
      "7\t000000010000000000000006\t2026-12-01T02:16:31Z\t8\t000000010000000000000007\t2026-12-01T02:17:27Z\tt\t1\t-1"
      "\n");
  EXPECT_EQ(s.archived, 7);
  EXPECT_EQ(s.failed, 8);
  EXPECT_TRUE(s.failing);
  EXPECT_EQ(s.last_failed_wal, "000000010000000000000007");
  EXPECT_EQ(s.waiting, 1);
  EXPECT_EQ(s.in_volume, -1);
  EXPECT_FALSE(parse_archiver_row("3\tx\t\t0\t\t\tf\t0\t2\n").failing);
}

}  // namespace
}  // namespace supactl::backup

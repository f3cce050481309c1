// SPDX-License-Identifier: Apache-2.0
// Private folders of a killed supactl (backup staging, restore scratch) are removed by the next
// one; a live process's folders and anything else are left alone.
#include <supactl/backup/archive.hpp>
#include <supactl/core/fs.hpp>

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

namespace supactl::backup {
namespace {

namespace fs = std::filesystem;

TEST(TempDir, TheNextOneRemovesTheFoldersOfAKilledProcessOnly) {
  test::TempDir parent;
  const std::string prefix = ".supactl-backup-";
  // A child makes a staging folder with a member in it and is killed without clean-up.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto* dir = new TempDir(parent.path(), prefix);  // never destroyed: the process dies
    core::write_file_atomic(dir->path() / "db.dump", "partial dump", 0600);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  std::vector<fs::path> left;
  for (const auto& e : fs::directory_iterator(parent.path())) left.push_back(e.path());
  ASSERT_EQ(left.size(), 1u) << "the killed process's folder is there";

  // Things that are not a dead TempDir of this prefix stay.
  fs::create_directory(parent.path() / ".supactl-backup-too-long-name");
  core::write_file_atomic(parent.path() / ".supactl-backup-ABCDEF", "a file, not a folder");
  fs::create_directory(parent.path() / ".restore-ABCDEF");

  TempDir live(parent.path(), prefix);
  EXPECT_FALSE(fs::exists(left.front())) << "removed by the next TempDir of the same prefix";
  EXPECT_TRUE(fs::exists(parent.path() / ".supactl-backup-too-long-name"));
  EXPECT_TRUE(fs::exists(parent.path() / ".supactl-backup-ABCDEF"));
  EXPECT_TRUE(fs::exists(parent.path() / ".restore-ABCDEF"));

  // A live one is never taken for a dead one.
  EXPECT_EQ(TempDir::remove_stale(parent.path(), prefix), 0u);
  EXPECT_TRUE(fs::exists(live.path()));
  TempDir second(parent.path(), prefix);
  EXPECT_TRUE(fs::exists(live.path()));
  EXPECT_TRUE(fs::exists(second.path()));
}

}  // namespace
}  // namespace supactl::backup

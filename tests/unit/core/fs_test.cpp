// SPDX-License-Identifier: Apache-2.0
#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <filesystem>

#include "support/temp_dir.hpp"

namespace supactl::core {
namespace {

TEST(WriteFileAtomic, WritesContentWithRequestedModeAndCreatesParents) {
  test::TempDir dir;
  auto path = dir.path() / "a" / "b" / "secret.env";
  write_file_atomic(path, "K=v\n", 0600);
  EXPECT_EQ(read_file(path), "K=v\n");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(WriteFileAtomic, ReplacesExistingFileAndLeavesNoTemporaries) {
  test::TempDir dir;
  auto path = dir.path() / "f";
  write_file_atomic(path, "one");
  write_file_atomic(path, "two");
  EXPECT_EQ(read_file(path), "two");
  int entries = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(ReadFile, MissingFileThrowsErrorNamingThePath) {
  try {
    read_file("/nonexistent/supactl-test");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/supactl-test"), std::string::npos);
  }
}

}  // namespace
}  // namespace supactl::core

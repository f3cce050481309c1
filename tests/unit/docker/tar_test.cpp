// SPDX-License-Identifier: Apache-2.0
// write_tar_file streams host files into a tar that libarchive reads back byte for byte.
#include <supactl/core/error.hpp>
#include <supactl/docker/tar.hpp>

#include <gtest/gtest.h>

#include <archive.h>
#include <archive_entry.h>

#include <sys/stat.h>
#include <filesystem>
#include <fstream>
#include <map>

#include "support/temp_dir.hpp"

namespace supactl::docker {
namespace {

std::map<std::string, std::pair<std::string, int>> read_back(const std::filesystem::path& tar) {
  std::map<std::string, std::pair<std::string, int>> out;
  struct archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  EXPECT_EQ(archive_read_open_filename(a, tar.c_str(), 65536), ARCHIVE_OK);
  struct archive_entry* e = nullptr;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    std::string data(static_cast<size_t>(archive_entry_size(e)), '\0');
    if (!data.empty()) archive_read_data(a, data.data(), data.size());
    out[archive_entry_pathname(e)] = {data, static_cast<int>(archive_entry_perm(e))};
  }
  archive_read_free(a);
  return out;
}

TEST(WriteTarFile, StreamsHostFilesAndFoldersIntoAPrivateTar) {
  test::TempDir dir;
  std::string big(3 * 1024 * 1024 + 5, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 7919) % 251);
  std::ofstream(dir.path() / "big.dump", std::ios::binary) << big;
  std::ofstream(dir.path() / "roles.sql") << "CREATE ROLE x;\n";
  const auto tar = dir.path() / "out.tar";
  write_tar_file(tar, {{.path = "stage/", .source = {}, .mode = 0700},
                       {.path = "stage/roles.sql", .source = dir.path() / "roles.sql", .mode = 0600},
                       {.path = "stage/big.dump", .source = dir.path() / "big.dump", .mode = 0600}});
  struct stat sb {};
  ASSERT_EQ(::stat(tar.c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0600u);
  auto got = read_back(tar);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got["stage/"].second, 0700);
  EXPECT_EQ(got["stage/roles.sql"].first, "CREATE ROLE x;\n");
  EXPECT_TRUE(got["stage/big.dump"].first == big);
  EXPECT_EQ(got["stage/big.dump"].second, 0600);
}

TEST(WriteTarFile, AMissingSourceIsAnErrorNamingIt) {
  test::TempDir dir;
  try {
    write_tar_file(dir.path() / "out.tar", {{.path = "a", .source = dir.path() / "nope", .mode = 0600}});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace supactl::docker

// SPDX-License-Identifier: Apache-2.0
#pragma once

// Golden-file comparison: `expect_golden("plan/fresh.txt", text)` compares with
// tests/golden/plan/fresh.txt. Rewriting the golden files is a separate, explicit command,
// scripts/update-golden (it sets SUPACTL_UPDATE_GOLDEN=1); scripts/test unsets that variable
// and fails when a run changed anything under tests/golden.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace supactl::test {

inline void expect_golden(const std::string& relative, const std::string& actual) {
  std::filesystem::path path = std::filesystem::path(SUPACTL_SOURCE_DIR) / "tests" / "golden" / relative;
  const char* update = std::getenv("SUPACTL_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "missing golden file " << path << " (run with SUPACTL_UPDATE_GOLDEN=1)";
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), actual) << "golden file " << path << " differs (SUPACTL_UPDATE_GOLDEN=1 rewrites it)";
}

}  // namespace supactl::test

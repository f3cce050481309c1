// SPDX-License-Identifier: Apache-2.0
#pragma once

// Writes compose files into a temporary folder and loads them, for the compose tests.

#include "support/temp_dir.hpp"

#include <supactl/compose/model.hpp>
#include <supactl/core/error.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <string>

namespace supactl::test {

class ComposeFiles {
 public:
  /// Writes `content` to `relative` inside the folder and returns its full path.
  std::filesystem::path write(const std::string& relative, const std::string& content) {
    std::filesystem::path path = m_dir.path() / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  /// Loads compose.yml (and `override_text` as compose.override.yml when not empty).
  compose::Project load(const std::string& compose_text, const std::string& override_text = {},
                        std::map<std::string, std::string> variables = {}) {
    compose::LoadOptions options;
    options.project_name = "shop";
    options.files.push_back(write("compose.yml", compose_text));
    if (!override_text.empty()) options.files.push_back(write("compose.override.yml", override_text));
    options.variables = std::move(variables);
    return compose::load(options);
  }

  /// The message of the supactl::Error that loading throws, or "" when it loads.
  std::string load_error(const std::string& compose_text, const std::string& override_text = {},
                         std::map<std::string, std::string> variables = {}) {
    try {
      load(compose_text, override_text, std::move(variables));
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::usage);
      return e.what();
    }
    return {};
  }

  const std::filesystem::path& dir() const { return m_dir.path(); }

 private:
  TempDir m_dir;
};

}  // namespace supactl::test

// SPDX-License-Identifier: Apache-2.0
#pragma once

// supactl's command line run in this process (cli::run) on a given Engine, usually the fake
// one, with stdout and stderr captured: what the unit tests of commands use to run a command
// as a person would type it, without a Docker Engine.

#include <supactl/cli/app.hpp>
#include <supactl/docker/engine.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace supactl::test {

struct CliResult {
  int code = -1;
  std::string out;
  std::string err;
};

/// Runs `supactl --home HOME ARGS...` against `engine`.
inline CliResult run_cli(const std::filesystem::path& home, docker::Engine& engine, std::vector<std::string> args) {
  args.insert(args.begin(), {"supactl", "--home", home.string()});
  std::vector<char*> argv;
  argv.reserve(args.size());
  for (std::string& a : args) argv.push_back(a.data());
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  CliResult r;
  r.code = cli::run(static_cast<int>(argv.size()), argv.data(), [&engine]() -> docker::Engine& { return engine; });
  r.out = testing::internal::GetCapturedStdout();
  r.err = testing::internal::GetCapturedStderr();
  return r;
}

}  // namespace supactl::test

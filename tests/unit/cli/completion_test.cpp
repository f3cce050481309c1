// SPDX-License-Identifier: Apache-2.0
//
// `supactl completion`: the bash script the real binary prints is loaded into a real bash,
// which is then asked to complete command lines the way bash does on Tab (COMP_WORDS,
// COMP_CWORD, the completion function, COMPREPLY). Instance and service names come from a
// temporary home (report names from `inspect db`, keys from the loader's key list) through the
// hidden `supactl __complete`. The zsh and fish scripts
// are checked for syntax with `zsh -n` / `fish -n` when those shells are installed.
#include <supactl/core/fs.hpp>

#include "support/supactl_binary.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace supactl {
namespace {

namespace fs = std::filesystem;

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

/// Runs `command` with /bin/sh; returns its exit code and fills `out` with its stdout.
int sh(const std::string& command, std::string* out = nullptr) {
  std::FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return -1;
  std::string text;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) text.append(buf, n);
  const int status = ::pclose(p);
  if (out != nullptr) *out = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool has_shell(const std::string& shell) { return sh("command -v " + shell + " >/dev/null 2>&1") == 0; }

class Completion : public ::testing::Test {
 protected:
  void SetUp() override {
    env = "SUPACTL_HOME=" + quote(home.path().string()) + " SUPACTL_PORT_RANGE=24000-24999 ";
    std::string out;
    ASSERT_EQ(sh(env + quote(supactl::test::supactl_binary()) + " init shop 2>&1", &out), 0) << out;
    ASSERT_EQ(
        sh(env + quote(supactl::test::supactl_binary()) + " completion bash > " + quote(script().string()) + " 2>&1",
           &out),
        0)
        << out;
  }

  fs::path script() const { return scratch.path() / "supactl.bash"; }

  /// What bash offers for the command line `words` (the last word is the one being completed).
  std::vector<std::string> complete(const std::vector<std::string>& words) {
    std::string array = quote(supactl::test::supactl_binary());
    for (const std::string& w : words) array += " " + quote(w);
    const std::string program = "source " + quote(script().string()) + " && COMP_WORDS=(" + array +
                                ") && COMP_CWORD=" + std::to_string(words.size()) +
                                " && _supactl && printf '%s\\n' \"${COMPREPLY[@]}\"";
    std::string out;
    EXPECT_EQ(sh(env + "bash -c " + quote(program) + " 2>&1", &out), 0) << out;
    std::vector<std::string> lines;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) lines.push_back(line);
    }
    std::sort(lines.begin(), lines.end());
    return lines;
  }

  static bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  }

  test::TempDir home;
  test::TempDir scratch;
  std::string env;
};

TEST_F(Completion, BashCompletesCommandsFromTheCommandTable) {
  EXPECT_EQ(complete({"u"}), (std::vector<std::string>{"up", "upgrade"}));
  EXPECT_EQ(complete({"r"}), (std::vector<std::string>{"render", "restore", "rm"}));
  const std::vector<std::string> all = complete({""});
  EXPECT_TRUE(contains(all, "completion"));
  EXPECT_FALSE(contains(all, "__complete")) << "the helper is hidden";
  EXPECT_EQ(complete({"backup", "p"}), (std::vector<std::string>{"prune"}));
  EXPECT_EQ(complete({"secrets", ""}), (std::vector<std::string>{"rotate"}));
}

TEST_F(Completion, BashCompletesFlagsOfTheCommandAndTheGlobalOnes) {
  const std::vector<std::string> up = complete({"up", "--"});
  EXPECT_TRUE(contains(up, "--dry-run"));
  EXPECT_TRUE(contains(up, "--output")) << "global options follow the subcommand too";
  EXPECT_FALSE(contains(up, "--dry-parse")) << "hidden flags stay hidden";
  EXPECT_FALSE(contains(up, "--purge-backups"));
  EXPECT_EQ(complete({"rm", "shop", "--p"}), (std::vector<std::string>{"--purge-backups"}));
  EXPECT_EQ(complete({"down", "--vol"}), (std::vector<std::string>{"--volumes"}));
}

TEST_F(Completion, BashCompletesInstanceAndServiceNamesFromTheHome) {
  EXPECT_EQ(complete({"up", "s"}), (std::vector<std::string>{"shop"}));
  EXPECT_EQ(complete({"--output", "json", "status", ""}), (std::vector<std::string>{"shop"}));
  EXPECT_EQ(complete({"backup", "ls", "sh"}), (std::vector<std::string>{"shop"}));
  EXPECT_TRUE(complete({"init", "s"}).empty()) << "init takes a new name";
  EXPECT_EQ(complete({"logs", "shop", "res"}), (std::vector<std::string>{"rest"}));
  EXPECT_EQ(complete({"logs", "shop", "rest", "au"}), (std::vector<std::string>{"auth"}));
  EXPECT_EQ(complete({"exec", "shop", "d"}), (std::vector<std::string>{"db"}));
  EXPECT_EQ(complete({"inspect", "db", "shop", "lo"}), (std::vector<std::string>{"locks", "long-running"}));
  EXPECT_EQ(complete({"config", "set", "shop", "ports.h"}), (std::vector<std::string>{"ports.http", "ports.https"}));
  EXPECT_EQ(complete({"config", "get", "shop", "services.st"}),
            (std::vector<std::string>{"services.storage", "services.studio"}));
  EXPECT_EQ(complete({"config", "set", "shop", "auth.providers.github.e"}),
            (std::vector<std::string>{"auth.providers.github.enabled"}));
  EXPECT_TRUE(complete({"psql", "shop", "--", "-"}).empty()) << "psql's own arguments are left alone";
  // A value of an option is not taken for a command or an argument.
  EXPECT_EQ(complete({"-o", "json", "u"}), (std::vector<std::string>{"up", "upgrade"}));
}

TEST_F(Completion, ZshAndFishScriptsAreValidAndComeFromTheSameTable) {
  std::string zsh;
  std::string fish;
  ASSERT_EQ(sh(env + quote(supactl::test::supactl_binary()) + " completion zsh", &zsh), 0);
  ASSERT_EQ(sh(env + quote(supactl::test::supactl_binary()) + " completion fish", &fish), 0);
  EXPECT_EQ(zsh.rfind("#compdef supactl", 0), 0u);
  EXPECT_NE(zsh.find("bashcompinit"), std::string::npos);
  EXPECT_NE(fish.find("-a 'rm'"), std::string::npos) << fish;
  EXPECT_NE(fish.find("-l purge-backups"), std::string::npos) << fish;
  EXPECT_NE(fish.find("__complete instances"), std::string::npos) << fish;
  core::write_file_atomic(scratch.path() / "supactl.zsh", zsh);
  core::write_file_atomic(scratch.path() / "supactl.fish", fish);
  std::string out;
  if (has_shell("zsh")) {
    EXPECT_EQ(sh("zsh -n " + quote((scratch.path() / "supactl.zsh").string()) + " 2>&1", &out), 0) << out;
  }
  if (has_shell("fish")) {
    EXPECT_EQ(sh("fish -n " + quote((scratch.path() / "supactl.fish").string()) + " 2>&1", &out), 0) << out;
    // fish itself, asked to complete: commands and instance names.
    const std::string complete_cmd = "function supactl; " + quote(supactl::test::supactl_binary()) +
                                     " $argv; end; source " + quote((scratch.path() / "supactl.fish").string()) +
                                     "; complete -C 'supactl u'; complete -C 'supactl up s'";
    ASSERT_EQ(sh(env + "fish -c " + quote(complete_cmd) + " 2>&1", &out), 0) << out;
    EXPECT_NE(out.find("upgrade\t"), std::string::npos) << out;
    EXPECT_NE(out.find("shop"), std::string::npos) << out;
  }
  EXPECT_EQ(sh(env + quote(supactl::test::supactl_binary()) + " completion tcsh >/dev/null 2>&1"), 2);
}

}  // namespace
}  // namespace supactl

// SPDX-License-Identifier: Apache-2.0
//
// The documentation is checked against the code, so it cannot drift:
// - every command and long flag the real binary's `--help` shows is documented in
//   docs/API_REFERENCE.md, and every command and flag documented there still exists;
// - every instance.yaml key the loader accepts (config::spec_key_paths) is documented there,
//   and every key documented there is accepted;
// - every `supactl ...` line of a shell example in README.md and docs/SETUP.md parses with the
//   real binary (hidden `--dry-parse`: argv is parsed, nothing runs, no Engine is needed).
//
// Markup conventions in docs/API_REFERENCE.md that these tests read:
// - a command is a heading `### supactl NAME` (`### supactl NAME SUB` for a nested one); its
//   section runs to the next `##`/`###` heading and has a flags table whose first cell names
//   the flags in backticks (| `-f`, `--follow` | ...);
// - global options are in the section `## Global options`, in the same kind of table;
// - instance.yaml keys are in the section `## instance.yaml`, as table rows whose first cell is
//   the key path in backticks (| `auth.site_url` | ...).
#include <supactl/config/spec.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>

#include "support/supactl_binary.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace supactl {
namespace {

namespace fs = std::filesystem;

const fs::path k_source_dir = SUPACTL_SOURCE_DIR;

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

struct ShellResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// Runs `command` with /bin/sh, stdout and stderr captured apart, in an empty home.
ShellResult run_shell(const std::string& command) {
  test::TempDir scratch;
  const fs::path out = scratch.path() / "out";
  const fs::path err = scratch.path() / "err";
  std::string cmd = "SUPACTL_HOME=" + shell_quote((scratch.path() / "home").string()) + " " + command + " >" +
                    shell_quote(out.string()) + " 2>" + shell_quote(err.string()) + " </dev/null";
  int status = std::system(cmd.c_str());
  ShellResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = core::read_file(out);
  r.err = core::read_file(err);
  return r;
}

/// `supactl ARGS --help` of the real binary.
std::string help_of(const std::vector<std::string>& command) {
  std::string cmd = shell_quote(supactl::test::supactl_binary());
  for (const std::string& word : command) cmd += " " + shell_quote(word);
  ShellResult r = run_shell(cmd + " --help");
  EXPECT_EQ(r.exit_code, 0) << cmd << " --help\n" << r.err;
  return r.out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

/// What one `--help` page shows: the long flags of its Options section and the names of its
/// Subcommands section.
struct HelpPage {
  std::vector<std::string> flags;
  std::vector<std::string> subcommands;
};

HelpPage parse_help(const std::string& text) {
  static const std::regex k_flag(R"(^  (?:-[A-Za-z0-9],)?(--[a-z0-9][a-z0-9-]*))");
  static const std::regex k_sub(R"(^  ([a-z][a-z0-9-]*)\s)");
  HelpPage page;
  std::string section;
  for (const std::string& line : lines_of(text)) {
    if (!line.empty() && line[0] != ' ') {
      section = line;
      continue;
    }
    std::smatch m;
    if (section.rfind("Options", 0) == 0 && std::regex_search(line, m, k_flag)) page.flags.push_back(m[1]);
    if (section.rfind("Subcommands", 0) == 0 && std::regex_search(line, m, k_sub)) page.subcommands.push_back(m[1]);
  }
  return page;
}

/// Every command of the binary (nested ones as "a b"), with its long flags.
std::map<std::string, std::vector<std::string>> binary_commands() {
  std::map<std::string, std::vector<std::string>> out;
  std::vector<std::vector<std::string>> todo;
  for (const std::string& sub : parse_help(help_of({})).subcommands) todo.push_back({sub});
  while (!todo.empty()) {
    std::vector<std::string> command = todo.back();
    todo.pop_back();
    HelpPage page = parse_help(help_of(command));
    std::string name;
    for (const std::string& word : command) name += (name.empty() ? "" : " ") + word;
    out[name] = page.flags;
    for (const std::string& sub : page.subcommands) {
      std::vector<std::string> deeper = command;
      deeper.push_back(sub);
      todo.push_back(deeper);
    }
  }
  return out;
}

std::string api_reference() { return core::read_file(k_source_dir / "docs" / "API_REFERENCE.md"); }

/// The text below heading `heading` (a whole line) up to the next heading of level 2 or 3.
std::string section(const std::string& doc, const std::string& heading) {
  std::string out;
  bool in = false;
  for (const std::string& line : lines_of(doc)) {
    bool is_heading = line.rfind("## ", 0) == 0 || line.rfind("### ", 0) == 0;
    if (in && is_heading) break;
    if (in) out += line + "\n";
    if (line == heading) in = true;
  }
  return out;
}

/// Command names documented as `### supactl NAME`.
std::vector<std::string> documented_commands(const std::string& doc) {
  std::vector<std::string> out;
  for (const std::string& line : lines_of(doc)) {
    if (line.rfind("### supactl ", 0) == 0) out.push_back(line.substr(12));
  }
  return out;
}

/// Long flags named in the first cell of the table rows of `text`.
std::vector<std::string> table_flags(const std::string& text) {
  static const std::regex k_flag(R"(`(--[a-z0-9][a-z0-9-]*))");
  std::vector<std::string> out;
  for (const std::string& line : lines_of(text)) {
    if (line.rfind("| ", 0) != 0) continue;
    std::string cell = line.substr(2, line.find(" |", 1) - 2);
    for (std::sregex_iterator it(cell.begin(), cell.end(), k_flag), end; it != end; ++it) out.push_back((*it)[1]);
  }
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(DocsApiReference, DocumentsEveryCommandAndFlagOfTheBinary) {
  const std::string doc = api_reference();
  const std::map<std::string, std::vector<std::string>> commands = binary_commands();
  ASSERT_FALSE(commands.empty()) << "no subcommands found in `supactl --help`";
  const std::vector<std::string> documented = documented_commands(doc);

  for (const auto& [name, flags] : commands) {
    if (!contains(documented, name)) {
      ADD_FAILURE() << "command `supactl " << name
                    << "` is missing from docs/API_REFERENCE.md (add a heading `### supactl " << name << "`)";
      continue;
    }
    const std::vector<std::string> in_table = table_flags(section(doc, "### supactl " + name));
    for (const std::string& flag : flags) {
      if (flag == "--help") continue;  // documented once, under Global options
      EXPECT_TRUE(contains(in_table, flag))
          << "flag " << flag << " of `supactl " << name << "` is missing from its flags table in docs/API_REFERENCE.md";
    }
    for (const std::string& flag : in_table) {
      EXPECT_TRUE(contains(flags, flag)) << "docs/API_REFERENCE.md documents " << flag << " for `supactl " << name
                                         << "`, which has no such flag";
    }
  }
  for (const std::string& name : documented) {
    EXPECT_EQ(commands.count(name), 1U) << "docs/API_REFERENCE.md documents `supactl " << name
                                        << "`, which `supactl --help` does not list";
  }
}

TEST(DocsApiReference, DocumentsEveryGlobalOption) {
  const std::string doc = api_reference();
  const std::vector<std::string> in_table = table_flags(section(doc, "## Global options"));
  ASSERT_FALSE(in_table.empty()) << "docs/API_REFERENCE.md needs a `## Global options` section with a flags table";
  const std::vector<std::string> flags = parse_help(help_of({})).flags;
  for (const std::string& flag : flags) {
    EXPECT_TRUE(contains(in_table, flag)) << "global option " << flag << " is missing from `## Global options`";
  }
  for (const std::string& flag : in_table) {
    if (flag == "--dry-parse") continue;  // hidden from --help on purpose, documented anyway
    EXPECT_TRUE(contains(flags, flag)) << "`## Global options` documents " << flag
                                       << ", which `supactl --help` does not list";
  }
}

TEST(DocsApiReference, DocumentsEveryInstanceYamlKeyTheLoaderAccepts) {
  const std::string yaml_section = section(api_reference(), "## instance.yaml");
  ASSERT_FALSE(yaml_section.empty()) << "docs/API_REFERENCE.md needs a `## instance.yaml` section";
  static const std::regex k_key(R"(^\| `([a-z_<>.-]+)`)");
  std::set<std::string> documented;
  for (const std::string& line : lines_of(yaml_section)) {
    std::smatch m;
    if (std::regex_search(line, m, k_key)) documented.insert(m[1]);
  }
  const std::vector<std::string>& keys = config::spec_key_paths();
  ASSERT_FALSE(keys.empty());
  for (const std::string& key : keys) {
    EXPECT_EQ(documented.count(key), 1U) << "instance.yaml key `" << key
                                         << "` (accepted by the loader) is not a row of `## instance.yaml`";
  }
  for (const std::string& key : documented) {
    EXPECT_TRUE(contains(keys, key)) << "`## instance.yaml` documents `" << key << "`, which the loader rejects";
  }
  for (const std::string& service : config::optional_services()) {
    EXPECT_NE(yaml_section.find("`" + service + "`"), std::string::npos)
        << "optional service `" << service << "` (a `services.<service>` key) is not named in `## instance.yaml`";
  }
  for (const std::string& provider : config::oauth_providers()) {
    EXPECT_NE(yaml_section.find("`" + provider + "`"), std::string::npos)
        << "OAuth provider `" << provider << "` is not named in `## instance.yaml`";
  }
}

TEST(DocsApiReference, KeyListAgreesWithTheLoader) {
  // Each documented key, set on its own, is accepted; a key beside them is refused.
  const std::string base = "name: shop\nports:\n  http: 8000\n  https: 8443\n";
  EXPECT_NO_THROW(config::parse_spec(base + "kong:\n  rate_limit:\n    per_second: 5\n", "instance.yaml"));
  EXPECT_NO_THROW(config::parse_spec(base + "auth:\n  providers:\n    github:\n      client_id: x\n", "instance.yaml"));
  EXPECT_NO_THROW(config::parse_spec(base + "resources:\n  db:\n    memory: 2g\n", "instance.yaml"));
  EXPECT_THROW(config::parse_spec(base + "kong:\n  replica: 2\n", "instance.yaml"), Error);
  EXPECT_THROW(config::parse_spec(base + "auth:\n  providers:\n    gitlab: {}\n", "instance.yaml"), Error);
  EXPECT_THROW(config::parse_spec(base + "resources:\n  db:\n    disk: 2g\n", "instance.yaml"), Error);
  EXPECT_THROW(config::parse_spec(base + "colour: blue\n", "instance.yaml"), Error);
  EXPECT_NO_THROW(config::parse_spec(base + "engine:\n  mode: swarm\nplacement:\n  db: node-1\n", "instance.yaml"));
  EXPECT_THROW(config::parse_spec(base + "engine:\n  mode: kubernetes\n", "instance.yaml"), Error);
  EXPECT_THROW(config::parse_spec(base + "placement:\n  nosuch: node-1\n", "instance.yaml"), Error);
  EXPECT_EQ(config::spec_child_keys(""),
            (std::vector<std::string>{"name",      "release",  "domain", "public_url", "edge",     "engine",
                                      "placement", "registry", "images", "ports",      "services", "kong",
                                      "scale",     "auth",     "rest",   "storage",    "tls",      "resources",
                                      "wait",      "logs",     "backup", "functions",  "db",       "overrides"}));
  EXPECT_TRUE(config::spec_child_keys("services").empty());
}

/// The `supactl ...` commands of the shell examples of a Markdown file: fenced blocks marked
/// sh, bash, shell, console or unmarked; continuation lines joined; each line split at `&&`,
/// `||`, `|` and `;`; comments, redirections (`< file`, `> file`), leading `VAR=value`
/// assignments and a `$ ` prompt removed.
std::vector<std::string> shell_example_commands(const std::string& markdown) {
  std::vector<std::string> out;
  bool in_fence = false;
  bool shell = false;
  std::string pending;
  for (std::string line : lines_of(markdown)) {
    if (line.rfind("```", 0) == 0) {
      if (!in_fence) {
        std::string lang = line.substr(3);
        shell = lang.empty() || lang == "sh" || lang == "bash" || lang == "shell" || lang == "console";
      }
      in_fence = !in_fence;
      pending.clear();
      continue;
    }
    if (!in_fence || !shell) continue;
    if (!line.empty() && line.back() == '\\') {
      pending += line.substr(0, line.size() - 1) + " ";
      continue;
    }
    line = pending + line;
    pending.clear();
    // Drop a comment: a # that starts a word, outside quotes.
    char quote = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
      char c = line[i];
      if (quote != 0) {
        if (c == quote) quote = 0;
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
        line.resize(i);
        break;
      }
    }
    static const std::regex k_split(R"(\s*(?:&&|\|\|?|;)\s*)");
    static const std::regex k_redirect(R"(\s+[0-9]?(?:<|>>?)\s*\S+)");
    line = std::regex_replace(line, k_redirect, "");
    for (std::sregex_token_iterator it(line.begin(), line.end(), k_split, -1), end; it != end; ++it) {
      std::string part = *it;
      part.erase(0, part.find_first_not_of(" \t"));
      if (part.rfind("$ ", 0) == 0) part.erase(0, 2);
      static const std::regex k_assignment(R"(^(?:[A-Z_][A-Z0-9_]*=\S*\s+)+)");
      part = std::regex_replace(part, k_assignment, "");  // `VAR=value supactl ...`
      part.erase(part.find_last_not_of(" \t") + 1);
      if (part.rfind("supactl ", 0) == 0 || part.rfind("build/supactl ", 0) == 0 || part == "supactl") {
        out.push_back(part);
      }
    }
  }
  return out;
}

TEST(DocsExamples, FinderReadsFencesChainsAndComments) {
  const std::string md =
      "text supactl ls\n"
      "```sh\n"
      "scripts/setup && build/supactl init demo --registry 127.0.0.1:5000 && build/supactl up demo\n"
      "supactl up shop --dry-run   # the plan\n"
      "supactl logs shop \\\n  -f\n"
      "```\n"
      "```yaml\nsupactl: no\n```\n"
      "```\n$ supactl ls; echo done\n"
      "supactl psql shop < schema.sql\n"
      "supactl -o json status shop | jq .healthy\n"
      "SUPACTL_REGISTRY=127.0.0.1:5000 supactl up demo\n```\n";
  EXPECT_EQ(shell_example_commands(md),
            (std::vector<std::string>{"build/supactl init demo --registry 127.0.0.1:5000", "build/supactl up demo",
                                      "supactl up shop --dry-run", "supactl logs shop    -f", "supactl ls",
                                      "supactl psql shop", "supactl -o json status shop", "supactl up demo"}));
}

void expect_examples_parse(const fs::path& file, std::size_t at_least) {
  const std::vector<std::string> commands = shell_example_commands(core::read_file(file));
  EXPECT_GE(commands.size(), at_least) << file << ": expected more `supactl` examples";
  for (const std::string& command : commands) {
    std::string args = command.substr(command.find("supactl") + 7);
    // Shell words as written (quotes and all); --dry-parse parses argv and runs nothing.
    ShellResult r = run_shell(shell_quote(supactl::test::supactl_binary()) + " --dry-parse" + args);
    EXPECT_EQ(r.exit_code, 0) << file.filename().string() << ": `" << command << "` does not parse:\n" << r.err;
  }
}

TEST(DocsExamples, ReadmeShellExamplesParse) { expect_examples_parse(k_source_dir / "README.md", 5); }

TEST(DocsExamples, SetupShellExamplesParse) { expect_examples_parse(k_source_dir / "docs" / "SETUP.md", 5); }

TEST(DocsExamples, DryParseRejectsWhatTheCliRejects) {
  // The check above means something only if a bad line fails it.
  ShellResult bad = run_shell(shell_quote(supactl::test::supactl_binary()) + " --dry-parse up shop --no-such-flag");
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  ShellResult unknown = run_shell(shell_quote(supactl::test::supactl_binary()) + " --dry-parse frobnicate");
  EXPECT_EQ(unknown.exit_code, 2) << unknown.err;
  ShellResult good = run_shell(shell_quote(supactl::test::supactl_binary()) + " --dry-parse up shop --dry-run");
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_EQ(good.out, "");
}

}  // namespace
}  // namespace supactl

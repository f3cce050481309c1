// SPDX-License-Identifier: Apache-2.0
#pragma once

// Private to src/cli: the options every command shares, and the helpers command files use to
// register themselves in the table of src/cli/app.cpp.

#include <supactl/core/error.hpp>
#include <supactl/docker/engine.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

namespace supactl::cli {

enum class OutputFormat { text, json };

/// Global options, parsed before any subcommand runs.
struct Globals {
  OutputFormat output = OutputFormat::text;
  std::string home;           ///< --home / SUPACTL_HOME (resolved lazily by config::home_dir)
  std::string templates_dir;  ///< --templates DIR: override the embedded templates
  std::string host;           ///< --host: Docker Engine endpoint (else DOCKER_HOST, contexts, ...)
  int verbosity = 0;          ///< -v count
  bool dry_parse = false;     ///< hidden --dry-parse: parse argv, run nothing (docs tests)
  int exit_code = 0;          ///< set by the command that ran
  /// Set by a command that printed its own JSON result before failing (`up`, `down`,
  /// `restore`): the error report then adds no second JSON object to stdout.
  mutable bool json_printed = false;
  /// The process's one Engine connection, made on first use (tests hand over a fake Engine).
  std::function<docker::Engine&()> engine_source;

  docker::Engine& engine() const { return engine_source(); }

  bool json() const { return output == OutputFormat::json; }
};

/// One row of the command table.
struct Command {
  const char* name;
  const char* summary;
  /// Adds the subcommand's options to `sub` and sets its action with `set_action`.
  void (*setup)(CLI::App& sub, Globals& globals);
};

/// Sets `fn` as the action of `sub`; it runs once argv is parsed (unless --dry-parse) and its
/// return value becomes the process exit code.
inline void set_action(CLI::App& sub, Globals& globals, std::function<int()> fn) {
  sub.callback([&globals, fn = std::move(fn)] {
    if (globals.dry_parse) return;
    globals.exit_code = fn();
  });
}

/// --lock-timeout, as every command that takes the instance lock registers it.
inline void add_lock_timeout(CLI::App& sub, int& seconds) {
  sub.add_option("--lock-timeout", seconds, "Seconds to wait for another supactl working on this instance")
      ->check(CLI::Range(0, 86400));
}

/// The Error of a run whose operations failed: the first distinct error as the message, the
/// others as details (several operations stopped by one cause report it once).
inline Error run_failure(const std::vector<std::string>& errors, ExitCode code, const std::string& fallback,
                         std::string hint) {
  std::vector<std::string> distinct;
  for (const std::string& e : errors) {
    if (std::find(distinct.begin(), distinct.end(), e) == distinct.end()) distinct.push_back(e);
  }
  Error failure(distinct.empty() ? fallback : distinct.front(), code, std::move(hint));
  for (size_t i = 1; i < distinct.size(); ++i) failure.add_detail(distinct[i]);
  return failure;
}

/// Asks the person at the terminal to type `name` after `prompt` (which says what is deleted
/// for good). Without a terminal on standard input, or with --output json, throws
/// supactl::Error(usage) with `refusal` and `hint` (which names `--yes`) before anything
/// changed; a different answer throws Error(usage) too.
void confirm_by_name(const Globals& g, const std::string& name, const std::string& prompt, const std::string& refusal,
                     const std::string& hint);

/// Prints `j` on stdout (pretty when stdout is a terminal, one line otherwise).
void print_json(const nlohmann::json& j);

}  // namespace supactl::cli

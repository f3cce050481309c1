// SPDX-License-Identifier: Apache-2.0
//
// The command line: a table of subcommands (name, one-line summary, setup function), global
// options, and the single place where errors become messages and exit codes. Command files
// (src/cli/cmd_*.cpp) only translate options into calls on the library.
#include <supactl/cli/app.hpp>

#include "cli/globals.hpp"

#include <supactl/config/home.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/core/cancel.hpp>
#include <supactl/core/fd.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/core/log.hpp>
#include <supactl/docker/engine.hpp>
#include <supactl/swarm/relay.hpp>
#include <supactl/swarm/swarm.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <unistd.h>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>

namespace supactl::cli {

// Each cmd_*.cpp defines its setup function.
void setup_init(CLI::App&, Globals&);
void setup_ls(CLI::App&, Globals&);
void setup_render(CLI::App&, Globals&);
void setup_doctor(CLI::App&, Globals&);
void setup_up(CLI::App&, Globals&);
void setup_down(CLI::App&, Globals&);
void setup_status(CLI::App&, Globals&);
void setup_logs(CLI::App&, Globals&);
void setup_scale(CLI::App&, Globals&);
void setup_secrets(CLI::App&, Globals&);
void setup_upgrade(CLI::App&, Globals&);
void setup_functions(CLI::App&, Globals&);
void setup_backup(CLI::App&, Globals&);
void setup_restore(CLI::App&, Globals&);
void setup_psql(CLI::App&, Globals&);
void setup_exec(CLI::App&, Globals&);
void setup_db(CLI::App&, Globals&);
void setup_ca(CLI::App&, Globals&);
void setup_edge(CLI::App&, Globals&);
void setup_rm(CLI::App&, Globals&);
void setup_completion(CLI::App&, Globals&);
void setup_inspect(CLI::App&, Globals&);
void setup_config(CLI::App&, Globals&);
void setup_gen(CLI::App&, Globals&);
void setup_metrics(CLI::App&, Globals&);
void setup_complete_helper(CLI::App&, Globals&);

namespace {

const Command k_commands[] = {
    {"init", "Create an instance: spec, secrets and host ports", setup_init},
    {"ls", "List the instances of this home", setup_ls},
    {"render", "Write an instance's compose.yml, kong.yml, Caddyfile and SQL", setup_render},
    {"up", "Create or converge an instance's containers until healthy", setup_up},
    {"down", "Stop and remove an instance's containers (data volumes stay)", setup_down},
    {"rm", "Delete an instance for good: containers, volumes, networks and its folder (backups stay)", setup_rm},
    {"status", "Show the state and health of one instance or all", setup_status},
    {"logs", "Show or follow the logs of an instance's services", setup_logs},
    {"scale", "Set the replicas of stateless services (rest=3 ...) and converge", setup_scale},
    {"upgrade", "Move an instance to another release's images (backup first) and converge", setup_upgrade},
    {"functions", "Deploy and list Edge Functions (functions deploy NAME DIR, functions ls NAME)", setup_functions},
    {"secrets", "Rotate an instance's secrets (secrets rotate NAME --jwt|--postgres|--dashboard)", setup_secrets},
    {"doctor", "Show which Docker Engine is used, why, and its versions", setup_doctor},
    {"backup", "Back up an instance (database dump, storage files, spec) to one archive; ls, prune", setup_backup},
    {"restore", "Restore a backup into a new instance, or over one with --yes", setup_restore},
    {"psql", "Run psql in an instance's db container (interactive on a terminal)", setup_psql},
    {"exec", "Run a command in a running service container of an instance", setup_exec},
    {"db", "Database tasks: `db migrate NAME DIR`", setup_db},
    {"ca", "Print the root certificate (PEM) of an instance's private CA, or the shared edge's (`ca edge`)", setup_ca},
    {"edge", "The shared front door on 80/443 for instances made with --edge shared: edge up|down|status", setup_edge},
    {"config", "Read or change one instance.yaml key: `config get NAME [KEY]`, `config set NAME KEY VALUE...`",
     setup_config},
    {"inspect", "Database reports: `inspect db NAME REPORT` (table-sizes, locks, blocking, ...)", setup_inspect},
    {"gen", "Generate code from the database: `gen types NAME [--lang typescript] [--schema public,...]`", setup_gen},
    {"metrics", "Print Prometheus metrics of every instance (or one); `metrics serve` serves them over HTTP",
     setup_metrics},
    {"completion", "Print a shell completion script: completion bash|zsh|fish", setup_completion},
};

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t prev = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cur = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1)});
      prev = cur;
    }
  }
  return row[b.size()];
}

/// "did you mean `status`?" for a mistyped command, or empty.
std::string suggest(const std::string& word) {
  std::string best;
  size_t best_d = 3;
  for (const Command& c : k_commands) {
    size_t d = edit_distance(word, c.name);
    if (d < best_d) {
      best_d = d;
      best = c.name;
    }
  }
  return best;
}

int report(const Globals& g, const std::string& message, const std::string& hint, ExitCode code,
           const std::vector<std::string>& details = {}) {
  std::fprintf(stderr, "supactl: error: %s\n", message.c_str());
  for (const std::string& d : details) std::fprintf(stderr, "supactl: error: %s\n", d.c_str());
  if (!hint.empty()) std::fprintf(stderr, "supactl: hint: %s\n", hint.c_str());
  if (g.json() && !g.json_printed) {
    nlohmann::json j = {{"error", message}, {"exit_code", static_cast<int>(code)}};
    if (!details.empty()) j["details"] = details;
    if (!hint.empty()) j["hint"] = hint;
    std::cout << j.dump() << std::endl;
  }
  return static_cast<int>(code);
}

}  // namespace

void print_json(const nlohmann::json& j) {
  if (::isatty(STDOUT_FILENO)) {
    std::cout << j.dump(2) << std::endl;
  } else {
    std::cout << j.dump() << std::endl;
  }
}

void confirm_by_name(const Globals& g, const std::string& name, const std::string& prompt, const std::string& refusal,
                     const std::string& hint) {
  if (!::isatty(STDIN_FILENO) || g.json()) throw Error(refusal, ExitCode::usage, hint);
  std::cerr << prompt << "\nType the instance name to confirm: ";
  std::string answer;
  std::getline(std::cin, answer);
  if (answer != name) throw Error("not confirmed; nothing was changed", ExitCode::usage);
}

int run(int argc, char** argv, std::function<docker::Engine&()> engine) {
  Globals g;
  std::unique_ptr<docker::Engine> connection;
  std::unique_ptr<swarm::NodeRelay> relay;
  // The Engine, behind a relay that reaches a swarm instance's task containers on the other
  // nodes through the manager (swarm/relay.hpp); standalone instances pass straight through.
  g.engine_source = engine ? std::move(engine) : [&g, &connection, &relay]() -> docker::Engine& {
    if (!connection) {
      connection = docker::connect(docker::resolve_endpoint(g.host));
      relay = std::make_unique<swarm::NodeRelay>(*connection, [&g](const std::string& project) -> std::string {
        try {
          const std::filesystem::path home = config::home_dir(g.home);
          if (!config::is_swarm_instance(home, project)) return {};
          return swarm::rendered_db_image(config::instance_dir(home, project));
        } catch (const Error& e) {
          spdlog::debug("instance {}: {}", project, e.what());
          return {};
        }
      });
    }
    return *relay;
  };
  // The relay jobs' containers on other nodes go once the command is done (with what they answered).
  const core::ScopeExit sweep([&relay] {
    if (relay) relay->finish();
  });
  // SUPACTL_STATS=1: `supactl-stats: requests=N` on stderr when the command ends (benchmarks).
  core::ScopeExit stats([&connection] {
    if (connection && core::env_or("SUPACTL_STATS") == "1") {
      std::fprintf(stderr, "supactl-stats: requests=%llu\n",
                   static_cast<unsigned long long>(connection->request_count()));
    }
  });
  CLI::App app{"supactl: provision and run self-hosted Supabase stacks on Docker", "supactl"};
  app.set_version_flag("--version", SUPACTL_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the subcommand: `supactl up shop -o json`
  std::string output = "text";
  app.add_option("-o,--output", output, "Output format: text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->envname("SUPACTL_OUTPUT");
  app.add_option("--home", g.home, "supactl's data folder (default $XDG_DATA_HOME/supactl)")->envname("SUPACTL_HOME");
  app.add_option("--templates", g.templates_dir, "Use templates from DIR instead of the built-in ones")
      ->envname("SUPACTL_TEMPLATES");
  app.add_option("-H,--host", g.host, "Docker Engine endpoint (unix:///path or tcp://host:port)");
  app.add_flag("-v,--verbose", g.verbosity, "More log output on stderr (-vv for debug)");
  app.add_flag("--dry-parse", g.dry_parse, "Parse the command line only")->group("");

  for (const Command& c : k_commands) {
    CLI::App* sub = app.add_subcommand(c.name, c.summary);
    c.setup(*sub, g);
  }
  // Hidden: what the completion scripts ask (`__complete instances`, `__complete services NAME`).
  setup_complete_helper(*app.add_subcommand("__complete", "")->group(""), g);
  app.parse_complete_callback([&] {
    g.output = output == "json" ? OutputFormat::json : OutputFormat::text;
    core::init_logging(g.verbosity);
  });

  core::install_cancel_handler();
  try {
    app.parse(argc, argv);
    return g.exit_code;
  } catch (const CLI::CallForHelp&) {
    return app.exit(CLI::CallForHelp());
  } catch (const CLI::CallForAllHelp&) {
    return app.exit(CLI::CallForAllHelp());
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string hint;
    std::string message = e.what();
    if (argc > 1) {
      std::string first;
      for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "-o" || arg == "--output" || arg == "--home" || arg == "--templates" || arg == "-H" ||
            arg == "--host") {
          ++i;  // a global option's value is not the command
          continue;
        }
        if (arg[0] != '-') {
          first = arg;
          break;
        }
      }
      bool known =
          std::any_of(std::begin(k_commands), std::end(k_commands), [&](const Command& c) { return first == c.name; });
      if (!first.empty() && !known) {
        message = fmt::format("unknown command `{}`", first);
        std::string s = suggest(first);
        hint =
            s.empty() ? "run `supactl --help` for the list of commands" : fmt::format("did you mean `supactl {}`?", s);
      }
    }
    if (hint.empty()) hint = "run `supactl --help` or `supactl COMMAND --help`";
    return report(g, message, hint, ExitCode::usage);
  } catch (const Error& e) {
    return report(g, e.what(), e.hint(), e.code(), e.details());
  } catch (const std::exception& e) {
    return report(g, fmt::format("unexpected: {}", e.what()), "", ExitCode::failure);
  }
}

}  // namespace supactl::cli

// SPDX-License-Identifier: Apache-2.0
//
// `supactl psql NAME [-- ARGS]` and `supactl exec NAME SERVICE -- CMD...`: run a command in a
// running container of the instance through the Engine's exec API, print its output as it
// arrives (stdout to stdout, stderr to stderr) and exit with its exit code.
//
// Non-interactive: no TTY is attached and the process gets no standard input. A script piped
// into `supactl psql` is copied into the db container (put_archive, private folder) and run
// with `psql -f`, so `supactl psql shop < schema.sql` works.
#include "cli/engine.hpp"
#include "cli/globals.hpp"

#include <supactl/config/home.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/stack/db.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <unistd.h>

namespace supactl::cli {
namespace {

struct ExecOptions {
  std::string name;
  std::string service;
  std::string user;
  std::string database = "postgres";
  std::vector<std::string> args;
};

/// Streams exec output to our stdout/stderr; returns the command's exit code.
int exec_streamed(docker::Engine& engine, const std::string& container, const std::vector<std::string>& cmd,
                  const std::string& user = {}) {
  docker::ExecResult r = engine.exec(container, docker::ExecSpec{.cmd = cmd, .env = {}, .user = user, .working_dir = {}, .tty = false},
                                     [](docker::StreamKind k, std::string_view data) {
                                       std::FILE* f = k == docker::StreamKind::stderr_ ? stderr : stdout;
                                       std::fwrite(data.data(), 1, data.size(), f);
                                       std::fflush(f);
                                       return true;
                                     });
  return r.exit_code < 0 ? static_cast<int>(ExitCode::failure) : r.exit_code;
}

bool has_input_option(const std::vector<std::string>& args) {
  for (const std::string& a : args) {
    if (a == "-c" || a == "-f" || a == "--command" || a == "--file" || a.rfind("--command=", 0) == 0 ||
        a.rfind("--file=", 0) == 0 || a == "-l" || a == "--list" || a == "--version" || a == "-V" || a == "--help") {
      return true;
    }
  }
  return false;
}

int run_psql(const Globals& g, const ExecOptions& o) {
  const std::filesystem::path home = config::home_dir(g.home);
  config::Instance inst = config::load_instance(home, o.name);
  EngineHandle engine(g);
  stack::PgTarget target{.container = stack::running_container(*engine, inst.name, "db"),
                         .user = o.user.empty() ? "postgres" : o.user,
                         .database = o.database};
  std::vector<std::string> args = o.args;
  std::string staged;
  if (!has_input_option(args)) {
    if (::isatty(STDIN_FILENO)) {
      throw Error("interactive psql is not supported yet (supactl attaches no terminal)", ExitCode::usage,
                  fmt::format("pass SQL with `supactl psql {} -- -c 'select 1'` or pipe a script: `supactl psql {} < file.sql`",
                              inst.name, inst.name));
    }
    std::string script((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    if (script.empty()) {
      throw Error("no SQL given: standard input was empty", ExitCode::usage,
                  fmt::format("pass SQL with `supactl psql {} -- -c 'select 1'` or pipe a script into it", inst.name));
    }
    staged = stack::stage_files(*engine, target.container, {{.path = "stdin.sql", .content = script, .mode = 0600}});
    args.insert(args.begin(), {"-v", "ON_ERROR_STOP=1", "-f", staged + "/stdin.sql"});
  }
  int code = exec_streamed(*engine, target.container, stack::psql_argv(target, args));
  if (!staged.empty()) stack::remove_staged(*engine, target.container, staged);
  return code;
}

int run_exec(const Globals& g, const ExecOptions& o) {
  const std::filesystem::path home = config::home_dir(g.home);
  config::Instance inst = config::load_instance(home, o.name);
  if (o.args.empty()) {
    throw Error("exec needs a command", ExitCode::usage, fmt::format("run `supactl exec {} {} -- CMD ARGS...`", o.name, o.service));
  }
  EngineHandle engine(g);
  const std::string container = stack::running_container(*engine, inst.name, o.service);
  return exec_streamed(*engine, container, o.args, o.user);
}

}  // namespace

void setup_psql(CLI::App& sub, Globals& g) {
  auto o = std::make_shared<ExecOptions>();
  sub.add_option("name", o->name, "Instance name")->required();
  sub.add_option("args", o->args, "psql arguments, after `--` (e.g. -- -c 'select 1')");
  sub.add_option("-U,--user", o->user, "Database role (default postgres)");
  sub.add_option("-d,--database", o->database, "Database (default postgres)");
  set_action(sub, g, [&g, o]() { return run_psql(g, *o); });
}

void setup_exec(CLI::App& sub, Globals& g) {
  auto o = std::make_shared<ExecOptions>();
  sub.add_option("name", o->name, "Instance name")->required();
  sub.add_option("service", o->service, "Service, e.g. db, auth, storage")->required();
  sub.add_option("cmd", o->args, "Command and arguments, after `--`");
  sub.add_option("-u,--user", o->user, "User in the container (default the image's)");
  set_action(sub, g, [&g, o]() { return run_exec(g, *o); });
}

}  // namespace supactl::cli

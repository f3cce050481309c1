// SPDX-License-Identifier: Apache-2.0
//
// `supactl psql NAME [-- ARGS]` and `supactl exec NAME SERVICE -- CMD...`: run a command in a
// running container of the instance through the Engine's exec API, print its output as it
// arrives (stdout to stdout, stderr to stderr) and exit with its exit code.
//
// On a terminal (stdin and stdout both TTYs, and for psql no -c/-f), the command runs
// interactively: a TTY is allocated in the container, our terminal goes into raw mode, and
// keystrokes and output flow through the Engine's upgraded exec stream. Otherwise no TTY is
// attached; a script piped into `supactl psql` is copied into the db container (put_archive,
// private folder) and run with `psql -f`, so `supactl psql shop < schema.sql` works and its
// errors name file and line.
#include "cli/globals.hpp"

#include <supactl/config/home.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/core/fd.hpp>
#include <supactl/stack/db.hpp>
#include <supactl/stack/exec.hpp>

#include <fmt/format.h>

#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>

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
  return stack::exec_streamed(engine, stack::ExecRequest{.container = container, .cmd = cmd, .user = user},
                              [](docker::StreamKind k, std::string_view data) {
                                std::FILE* f = k == docker::StreamKind::stderr_ ? stderr : stdout;
                                std::fwrite(data.data(), 1, data.size(), f);
                                std::fflush(f);
                                return true;
                              });
}

/// Raw mode on our terminal for the life of the object (restored on every way out).
class RawTerminal {
 public:
  RawTerminal() {
    if (::tcgetattr(STDIN_FILENO, &m_saved) == 0) {
      termios raw = m_saved;
      ::cfmakeraw(&raw);
      m_active = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
    }
  }
  ~RawTerminal() {
    if (m_active) ::tcsetattr(STDIN_FILENO, TCSANOW, &m_saved);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  termios m_saved{};
  bool m_active = false;
};

bool interactive() { return ::isatty(STDIN_FILENO) != 0 && ::isatty(STDOUT_FILENO) != 0; }

/// Runs `cmd` with a TTY, attached to our terminal; returns its exit code.
int exec_on_terminal(docker::Engine& engine, const std::string& container, const std::vector<std::string>& cmd,
                     const std::string& user = {}) {
  winsize ws{};
  ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws);
  const char* term = std::getenv("TERM");
  std::fflush(stdout);
  RawTerminal raw;
  return stack::exec_on_tty(
      engine, stack::ExecRequest{.container = container, .cmd = cmd, .user = user}, term != nullptr ? term : "xterm",
      STDIN_FILENO, [](docker::StreamKind, std::string_view data) { return core::write_all(STDOUT_FILENO, data); },
      ws.ws_row, ws.ws_col);
}

/// Whether a cluster of short options (`-tAc`, as psql's getopt reads it) holds -c, -f, -l or
/// -V. An option that takes a value (-d, -U, -v, ...) ends the cluster: the rest is its value.
bool short_cluster_has_input(const std::string& a) {
  if (a.size() < 3 || a[0] != '-' || a[1] == '-') return false;
  for (std::size_t i = 1; i < a.size(); ++i) {
    const char c = a[i];
    if (c == 'c' || c == 'f' || c == 'l' || c == 'V') return true;
    if (std::string_view("dhLoOpPRTUvF").find(c) != std::string_view::npos) return false;
  }
  return false;
}

bool has_input_option(const std::vector<std::string>& args) {
  for (const std::string& a : args) {
    if (short_cluster_has_input(a)) return true;
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
  docker::Engine& engine = g.engine();
  stack::PgTarget target{.container = stack::running_primary(engine, inst.name),
                         .user = o.user.empty() ? "postgres" : o.user,
                         .database = o.database};
  std::vector<std::string> args = o.args;
  std::string staged;
  if (!has_input_option(args)) {
    if (interactive()) return exec_on_terminal(engine, target.container, stack::psql_argv(target, args));
    if (::isatty(STDIN_FILENO)) {
      throw Error(
          "interactive psql needs a terminal on standard output too", ExitCode::usage,
          fmt::format("pass SQL with `supactl psql {} -- -c 'select 1'` or pipe a script: `supactl psql {} < file.sql`",
                      inst.name, inst.name));
    }
    std::string script((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    if (script.empty()) {
      throw Error("no SQL given: standard input was empty", ExitCode::usage,
                  fmt::format("pass SQL with `supactl psql {} -- -c 'select 1'` or pipe a script into it", inst.name));
    }
    staged = stack::stage_files(engine, target.container, {{.path = "stdin.sql", .content = script, .mode = 0600}});
    args.insert(args.begin(), {"-v", "ON_ERROR_STOP=1", "-f", staged + "/stdin.sql"});
  }
  int code = exec_streamed(engine, target.container, stack::psql_argv(target, args));
  if (!staged.empty()) stack::remove_staged(engine, target.container, staged);
  return code;
}

int run_exec(const Globals& g, const ExecOptions& o) {
  const std::filesystem::path home = config::home_dir(g.home);
  config::Instance inst = config::load_instance(home, o.name);
  if (o.args.empty()) {
    throw Error("exec needs a command", ExitCode::usage,
                fmt::format("run `supactl exec {} {} -- CMD ARGS...`", o.name, o.service));
  }
  docker::Engine& engine = g.engine();
  const std::string container = stack::running_container(engine, inst.name, o.service);
  if (interactive()) return exec_on_terminal(engine, container, o.args, o.user);
  return exec_streamed(engine, container, o.args, o.user);
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

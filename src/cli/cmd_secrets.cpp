// SPDX-License-Identifier: Apache-2.0
//
// `supactl secrets rotate NAME [--jwt] [--postgres] [--dashboard] [--all]`: new values from
// OpenSSL, the database role passwords changed in place (inside the running db container; the
// new password travels in the exec environment, never on a command line the Engine's events
// show), the old secrets.env kept as a timestamped 0600 copy, then the `up` flow re-renders
// and recreates exactly the services whose configuration read a rotated value.
#include "cli/globals.hpp"
#include "cli/up_flow.hpp"

#include <supactl/core/error.hpp>
#include <supactl/instance/changes.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <iostream>

namespace supactl::cli {
namespace {

struct RotateOptions {
  std::string name;
  bool jwt = false;
  bool postgres = false;
  bool dashboard = false;
  bool all = false;
  UpOptions up;
};

int run_rotate(const Globals& g, RotateOptions& o) {
  if (o.all) o.jwt = o.postgres = o.dashboard = true;
  if (!o.jwt && !o.postgres && !o.dashboard) {
    throw Error("secrets rotate: say what to rotate", ExitCode::usage, "add --jwt, --postgres, --dashboard or --all");
  }
  o.up.name = o.name;
  instance::Session session = open_for_converge(g, o.up);
  const instance::RotateResult r = instance::rotate_secrets(
      session, instance::RotateRequest{.jwt = o.jwt, .postgres = o.postgres, .dashboard = o.dashboard},
      std::chrono::system_clock::now());
  std::cerr << fmt::format("rotated {} of {}; the old values are kept in {} (mode 0600)\n", fmt::join(r.rotated, ", "),
                           o.name, r.kept.string());
  return converge_and_report(g, session, o.up);
}

}  // namespace

void setup_secrets(CLI::App& sub, Globals& g) {
  sub.require_subcommand(1);
  auto o = std::make_shared<RotateOptions>();
  CLI::App* rotate = sub.add_subcommand("rotate", "Replace secrets with new random ones and recreate what reads them");
  rotate->add_option("name", o->name, "Instance name")->required();
  rotate->add_flag("--jwt", o->jwt, "New JWT_SECRET, ANON_KEY and SERVICE_ROLE_KEY (every issued token stops working)");
  rotate->add_flag("--postgres", o->postgres, "New POSTGRES_PASSWORD, changed in the database for every service role");
  rotate->add_flag("--dashboard", o->dashboard, "New DASHBOARD_PASSWORD for Studio's login");
  rotate->add_flag("--all", o->all, "All of the above");
  add_wait_options(*rotate, o->up);
  set_action(*rotate, g, [&g, o]() { return run_rotate(g, *o); });
}

}  // namespace supactl::cli

// SPDX-License-Identifier: Apache-2.0
//
// `supactl upgrade NAME [--to RELEASE] [--no-backup] [--dry-run]`: image sets are pinned per
// release in one place (templates/images/RELEASE.yaml). upgrade prints the image diff, takes a
// backup first (unless --no-backup), sets the instance's release and converges with the `up`
// flow, which pulls before creating anything and recreates only the services whose image or
// configuration changed, in dependency order, waiting for health. On failure it says how to go
// back: restore the pre-upgrade backup.
#include "cli/globals.hpp"
#include "cli/up_flow.hpp"

#include <supactl/config/instance.hpp>
#include <supactl/instance/changes.hpp>

#include <fmt/format.h>

#include <ctime>
#include <filesystem>
#include <iostream>

namespace supactl::cli {
namespace {

struct UpgradeOptions {
  std::string name;
  std::string to = config::k_default_release;
  bool no_backup = false;
  UpOptions up;
};

int run_upgrade(const Globals& g, UpgradeOptions& o) {
  o.up.name = o.name;
  instance::Session session = open_for_converge(g, o.up);
  config::Instance& inst = session.instance();
  const std::vector<instance::ImageChange> changes = instance::image_changes(inst.spec, o.to, g.templates_dir);
  const std::string from = inst.spec.release;
  std::cerr << fmt::format("upgrade {}: release {} -> {}\n", inst.name, from, o.to);
  for (const instance::ImageChange& c : changes) {
    std::cerr << fmt::format("  {:<11} {} -> {}\n", c.service, c.from.empty() ? "(none)" : c.from, c.to);
  }
  if (changes.empty()) std::cerr << "  no image changes\n";

  std::filesystem::path backup;
  if (!o.up.dry_run) {
    if (!o.no_backup && !changes.empty()) {
      backup = instance::backup_before_upgrade(session, o.to, std::time(nullptr));
      std::cerr << fmt::format("  backup written to {}\n", backup.string());
    }
    inst.spec.release = o.to;
    config::save_spec(inst.spec_file(), inst.spec);
  } else {
    inst.spec.release = o.to;  // the plan shows what would change; nothing is written
  }

  const int rc = converge_and_report(g, session, o.up);
  if (rc != 0 && !o.up.dry_run) {
    std::cerr << fmt::format("supactl: upgrade of {} to {} did not finish healthy.\n", o.name, o.to);
    if (!backup.empty()) {
      std::cerr << fmt::format(
          "supactl: hint: to go back: `supactl upgrade {} --to {} --no-backup`; if the data was "
          "already migrated, `supactl restore {} {} --yes`\n",
          o.name, from, o.name, backup.string());
    } else {
      std::cerr << fmt::format("supactl: hint: to go back: `supactl upgrade {} --to {} --no-backup`\n", o.name, from);
    }
  }
  return rc;
}

}  // namespace

void setup_upgrade(CLI::App& sub, Globals& g) {
  auto o = std::make_shared<UpgradeOptions>();
  sub.add_option("name", o->name, "Instance name")->required();
  sub.add_option("--to", o->to, "Release to run (an image table in templates/images/); default: this supactl's newest")
      ->capture_default_str();
  sub.add_flag("--no-backup", o->no_backup, "Do not take a backup before changing images");
  sub.add_flag("--dry-run", o->up.dry_run, "Print the image diff and the plan; change nothing");
  add_wait_options(sub, o->up);
  set_action(sub, g, [&g, o]() { return run_upgrade(g, *o); });
}

}  // namespace supactl::cli

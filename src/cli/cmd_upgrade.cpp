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

#include <supactl/backup/backup.hpp>
#include <supactl/config/home.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/core/error.hpp>
#include <supactl/render/render.hpp>

#include <fmt/format.h>

#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>

namespace supactl::cli {
namespace {

struct UpgradeOptions {
  std::string name;
  std::string to = config::k_default_release;
  bool no_backup = false;
  UpOptions up;
};

struct Outcome {
  std::string from;
  std::filesystem::path backup;
};

int run_upgrade(const Globals& g, UpgradeOptions& o) {
  auto outcome = std::make_shared<Outcome>();
  o.up.name = o.name;
  o.up.edit_spec = [&g, &o, outcome](config::Instance& inst, docker::Engine& engine) {
    // A usage error listing the known releases when --to names none of them.
    render::release_images(o.to, g.templates_dir);
    config::InstanceSpec next = inst.spec;
    next.release = o.to;
    const auto before = render::instance_images(inst.spec, g.templates_dir);
    const auto after = render::instance_images(next, g.templates_dir);
    outcome->from = inst.spec.release;

    std::cerr << fmt::format("upgrade {}: release {} -> {}\n", inst.name, inst.spec.release, o.to);
    int changed = 0;
    for (const auto& [service, image] : after) {
      auto old = before.find(service);
      if (old != before.end() && old->second == image) continue;
      ++changed;
      std::cerr << fmt::format("  {:<11} {} -> {}\n", service, old == before.end() ? "(none)" : old->second, image);
    }
    if (changed == 0) std::cerr << "  no image changes\n";
    if (o.up.dry_run) {
      inst.spec = next;  // the plan shows what would change; nothing is written
      return;
    }
    if (!o.no_backup && changed > 0) {
      const std::time_t now = std::time(nullptr);
      const std::filesystem::path home = config::home_dir(g.home);
      std::filesystem::path out = backup::backup_dir(home, inst.name) /
                                  fmt::format("{}-{}-before-{}.tar.gz", inst.name, backup::utc_stamp(now), o.to);
      try {
        backup::create_backup(engine, inst,
                              backup::BackupOptions{.out = out, .include_secrets = false, .supactl_version = SUPACTL_VERSION},
                              now);
      } catch (const Error& e) {
        throw Error(fmt::format("upgrade: the backup before upgrading failed: {}", e.what()), e.code(),
                    fmt::format("start the instance first (`supactl up {}`), or pass --no-backup", inst.name));
      }
      outcome->backup = out;
      std::cerr << fmt::format("  backup written to {}\n", out.string());
    }
    inst.spec = next;
    config::save_spec(inst.spec_file(), inst.spec);
  };
  int rc = run_up(g, o.up);
  if (rc != 0 && !o.up.dry_run && !outcome->from.empty()) {
    std::cerr << fmt::format("supactl: upgrade of {} to {} did not finish healthy.\n", o.name, o.to);
    if (!outcome->backup.empty()) {
      std::cerr << fmt::format("supactl: hint: to go back: `supactl upgrade {} --to {} --no-backup`; if the data was "
                               "already migrated, `supactl restore {} {} --yes`\n",
                               o.name, outcome->from, o.name, outcome->backup.string());
    } else {
      std::cerr << fmt::format("supactl: hint: to go back: `supactl upgrade {} --to {} --no-backup`\n", o.name,
                               outcome->from);
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

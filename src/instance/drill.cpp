// SPDX-License-Identifier: Apache-2.0
//
// Restore drills (see drill.hpp).
#include <supactl/instance/drill.hpp>

#include <supactl/config/home.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/instance/remove.hpp>
#include <supactl/instance/restore.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>

namespace supactl::instance {
namespace fs = std::filesystem;

namespace {

constexpr const char* k_drill_marker = ".drill";
constexpr const char* k_suffix = "-drill";

/// Removes the throwaway instance `drill` (its lock held meanwhile). Returns whether it is gone.
bool remove_drill_instance(docker::Engine& engine, const fs::path& home, const std::string& drill,
                           plan::Progress& progress) {
  const RemoveResult r = remove_instance(engine, home, drill, RemoveOptions{}, progress);
  if (!r.folder_removed) {
    spdlog::warn("the drill's instance {} was not removed completely ({}); `supactl rm {} --yes` finishes it", drill,
                 r.down.report.errors.empty() ? "unknown error" : r.down.report.errors.front(), drill);
  }
  return r.folder_removed;
}

}  // namespace

std::string drill_name(const std::string& name) {
  std::string base = name.substr(0, config::k_max_name_length - std::string(k_suffix).size());
  while (!base.empty() && base.back() == '-') base.pop_back();
  return base + k_suffix;
}

bool is_drill_instance(const fs::path& home, const std::string& name) {
  std::error_code ec;
  return fs::exists(config::instance_dir(home, name) / k_drill_marker, ec);
}

DrillReport run_drill(const fs::path& home, const std::string& name, const EngineSource& engine,
                      const DrillOptions& options, plan::Progress& progress) {
  const auto started = std::chrono::steady_clock::now();
  DrillReport report;
  report.instance = name;
  report.drill_instance = drill_name(name);
  report.archive = fs::absolute(options.archive).lexically_normal().string();
  const std::string& drill = report.drill_instance;

  // 1. The archive, decrypted and verified into a private folder before anything is made.
  backup::TempDir scratch(home, ".drill-");
  const backup::Extracted ex = backup::open_backup(options.archive, scratch.path(), options.key);
  report.created_at = ex.manifest.created_at;
  if (!ex.has("instance/instance.yaml")) {
    throw Error(fmt::format("backup {} holds no instance.yaml; nothing was changed", report.archive), ExitCode::usage);
  }
  config::InstanceSpec spec =
      config::parse_spec(core::read_file(ex.member("instance/instance.yaml")), "backup instance.yaml");

  // 2. The throwaway instance's name: one a killed drill left goes first; anyone else's stops
  // the drill.
  std::error_code ec;
  if (fs::exists(config::instance_dir(home, drill), ec)) {
    if (!is_drill_instance(home, drill)) {
      throw Error(fmt::format("instance {} exists and is not a drill's; nothing was changed", drill),
                  ExitCode::conflict,
                  fmt::format("rename or remove {} (the drill of {} restores into it)", drill, name));
    }
    spdlog::info("removing {}, left by an earlier drill that did not finish", drill);
    const core::FileLock lock = config::lock_instance(config::instance_dir(home, drill), drill, 0);
    if (!remove_drill_instance(engine(), home, drill, progress)) {
      throw Error(fmt::format("instance {}, left by an earlier drill, could not be removed", drill), ExitCode::failure,
                  fmt::format("run `supactl rm {} --yes`, then the drill again", drill));
    }
  }

  // 3. Restore into it, compare, remove it: the removal happens whatever the restore did.
  std::string secrets_from;
  create_from_backup(home, drill, spec, ex, report.archive, &secrets_from);
  core::write_file_atomic(config::instance_dir(home, drill) / k_drill_marker,
                          fmt::format("drill of {} from {}\n", name, report.archive), 0600);
  {
    Session session(home, drill, engine,
                    SessionOptions{.lock = true, .lock_timeout_s = 0, .converging = false, .registry = {}});
    try {
      report.comparison =
          restore_data(session, ex, report.archive, scratch.path(), options.converge, progress).comparison;
    } catch (const Error& e) {
      report.error = e.what();
    }
    if (!options.keep) report.removed = remove_drill_instance(session.engine(), home, drill, progress);
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace supactl::instance

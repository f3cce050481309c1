// SPDX-License-Identifier: Apache-2.0
//
// `down` for one compose project, driven by labels alone: the containers' depends_on labels
// give the stop order, so an instance whose files are gone can still be taken down. Volumes
// are only touched when the caller asked for exactly that.
#include <supactl/stack/stack.hpp>

#include <supactl/core/log.hpp>
#include <supactl/plan/journal.hpp>

#include <algorithm>

namespace supactl::stack {

DownResult down(docker::Engine& engine, const std::string& project, const plan::DownOptions& options,
                plan::Progress& progress, bool dry_run, const std::filesystem::path& journal) {
  DownResult result;
  if (!dry_run) plan::finish_interrupted(engine, journal);
  plan::ObservedState observed;
  {
    core::PhaseTimer t("observe");
    observed = plan::observe(engine, project, {});
  }
  result.plan = plan::reconcile_down(observed, options);
  if (dry_run) return result;
  core::PhaseTimer t("execute");
  plan::ExecuteOptions exec;
  exec.journal = journal;
  result.report = plan::execute(engine, result.plan, progress, exec);
  return result;
}

void stop_services(docker::Engine& engine, const std::string& project, const std::vector<std::string>& keep,
                   int timeout_s) {
  for (const docker::ContainerSummary& c : list_stack_containers(engine, project)) {
    const std::string svc = docker::label_of(c.labels, compose::k_label_service);
    if (c.run_state() != docker::RunState::running || svc.empty()) continue;
    if (std::find(keep.begin(), keep.end(), svc) != keep.end()) continue;
    engine.stop_container(c.id, timeout_s);
  }
}

std::vector<std::string> project_volumes(docker::Engine& engine, const std::string& project) {
  docker::Filters f;
  f.label(compose::k_label_project, project);
  std::vector<std::string> out;
  for (const docker::VolumeInfo& v : engine.list_volumes(f)) out.push_back(v.name);
  return out;
}

}  // namespace supactl::stack

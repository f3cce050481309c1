// SPDX-License-Identifier: Apache-2.0
//
// Edge Functions: collecting a folder of functions, deploying them into a project's functions
// volume through the archive API, and listing what the volume holds.
#include <supactl/stack/functions.hpp>

#include <supactl/compose/model.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/plan/readiness.hpp>
#include <supactl/plan/swarm_ops.hpp>
#include <supactl/stack/stack.hpp>
#include <supactl/swarm/swarm.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <regex>
#include <sstream>

namespace supactl::stack {

namespace fs = std::filesystem;

namespace {

/// The label the Engine puts on a swarm task's container: its service's name.
constexpr const char* k_label_swarm_service = "com.docker.swarm.service.name";

/// The running functions containers of the instance, lowest number first.
std::vector<docker::ContainerSummary> functions_containers(docker::Engine& engine, const std::string& instance) {
  std::vector<docker::ContainerSummary> out;
  for (const auto& c : stack::list_stack_containers(engine, instance)) {
    if (docker::label_of(c.labels, compose::k_label_service) == "functions" &&
        c.run_state() == docker::RunState::running) {
      out.push_back(c);
    }
  }
  if (out.empty()) {
    throw Error(fmt::format("the functions service of {} is not running", instance), ExitCode::not_found,
                fmt::format("run `supactl up {}` (with the functions service enabled)", instance));
  }
  return out;
}

}  // namespace

void validate_function_name(const std::string& name, const std::string& command) {
  static const std::regex k_name("^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$");
  if (!std::regex_match(name, k_name)) {
    throw Error(fmt::format("{}: `{}` is not a function name", command, name), ExitCode::usage,
                "use letters, digits, '-' and '_'");
  }
}

/// The functions of DIR (sub-folders with an index.ts/js/tsx/mjs) and their files.
std::map<std::string, std::vector<docker::TarFile>> collect_functions(const fs::path& dir) {
  if (!fs::is_directory(dir)) {
    throw Error(fmt::format("functions deploy: {} is not a folder", dir.string()), ExitCode::usage,
                "give the folder that holds one sub-folder per function, e.g. supabase/functions");
  }
  std::map<std::string, std::vector<docker::TarFile>> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_directory()) continue;
    const std::string fn = entry.path().filename().string();
    if (fn.front() == '.') continue;
    const bool shared = fn == "_shared";  // imported by the functions, deployed with them
    if (!shared) validate_function_name(fn, "functions deploy");
    if (fn == "main" || fn == "hello") {
      throw Error(fmt::format("functions deploy: `{}` is supactl's own function (mounted read-only)", fn),
                  ExitCode::usage, "rename your function");
    }
    bool has_index = shared;
    std::vector<docker::TarFile> files;
    for (const auto& f : fs::recursive_directory_iterator(entry.path())) {
      if (!f.is_regular_file()) continue;
      const fs::path rel = fs::relative(f.path(), dir);
      const std::string leaf = f.path().filename().string();
      if (f.path().parent_path() == entry.path() &&
          (leaf == "index.ts" || leaf == "index.js" || leaf == "index.tsx" || leaf == "index.mjs")) {
        has_index = true;
      }
      const auto perms = f.status().permissions();
      const bool exec = (perms & fs::perms::owner_exec) != fs::perms::none;
      files.push_back({rel.string(), core::read_file(f.path()), exec ? 0755 : 0644});
    }
    if (!has_index) {
      throw Error(fmt::format("functions deploy: {} has no index.ts (or .js)", entry.path().string()), ExitCode::usage,
                  "each function is a folder with an index.ts");
    }
    out[fn] = std::move(files);
  }
  if (out.empty()) {
    throw Error(fmt::format("functions deploy: {} holds no function folders", dir.string()), ExitCode::usage,
                "put each function in DIR/<name>/index.ts");
  }
  return out;
}

DeployResult deploy_functions(docker::Engine& engine, const std::string& project,
                              std::map<std::string, std::vector<docker::TarFile>> functions, int ready_timeout_s) {
  auto containers = functions_containers(engine, project);
  // The volume is shared by every replica: write once, through the first container.
  const std::string target = containers.front().id;
  std::vector<std::string> rm = {"rm", "-rf", "--"};
  std::vector<docker::TarFile> files;
  DeployResult result;
  for (auto& [fn, list] : functions) {
    rm.push_back(std::string(k_functions_dir) + "/" + fn);
    result.deployed.push_back(fn);
    for (auto& f : list) files.push_back(std::move(f));
  }
  docker::ExecSpec spec;
  spec.cmd = rm;
  docker::ExecResult r = engine.exec(target, spec);
  if (r.exit_code != 0) {
    throw Error(fmt::format("functions deploy: removing the old versions failed: {}", r.err), ExitCode::failure);
  }
  engine.put_archive(target, k_functions_dir, docker::make_tar(files));
  result.files = files.size();

  // A swarm task's container is not restarted (Swarm would take its stop for the end of the
  // task and start another beside it): the service rolls its tasks instead.
  const std::string swarm_service = docker::label_of(containers.front().labels, k_label_swarm_service);
  if (!swarm_service.empty()) {
    const int tasks = swarm::force_update(engine, swarm_service);
    const plan::ReadyResult ready =
        plan::wait_service(engine, swarm_service, tasks, false, std::max(ready_timeout_s, 120));
    if (!ready.ready) {
      throw Error(
          fmt::format("{} is not healthy after the deploy: {} {}", swarm_service, ready.reason, ready.last_output),
          ExitCode::unhealthy, fmt::format("see `supactl logs {} functions`", project));
    }
    result.restarted = static_cast<size_t>(tasks);
    return result;
  }
  for (const auto& c : containers) engine.restart_container(c.id, 10);
  for (const auto& c : containers) {
    plan::ReadyResult ready =
        plan::wait_ready(engine, nullptr, c.name, engine.inspect_container(c.id).healthcheck, ready_timeout_s, 200);
    if (!ready.ready) {
      throw Error(fmt::format("{} is not healthy after the deploy: {} {}", c.name, ready.reason, ready.last_output),
                  ExitCode::unhealthy, fmt::format("see `supactl logs {} functions`", project));
    }
  }
  result.restarted = containers.size();
  return result;
}

std::vector<std::string> list_functions(docker::Engine& engine, const std::string& project) {
  auto containers = functions_containers(engine, project);
  docker::ExecSpec spec;
  spec.cmd = {"find", k_functions_dir, "-mindepth", "1", "-maxdepth", "1", "-type", "d"};
  docker::ExecResult r = engine.exec(containers.front().id, spec);
  if (r.exit_code != 0) throw Error(fmt::format("functions ls: {}", r.err), ExitCode::failure);
  std::vector<std::string> names;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) names.push_back(fs::path(line).filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace supactl::stack

// SPDX-License-Identifier: Apache-2.0
//
// `supactl functions deploy NAME DIR` and `supactl functions ls NAME`. Edge Functions live in
// the instance's `functions` volume, mounted at /home/deno/functions in the functions
// container; `main` (the router) and `hello` are supactl's own, mounted read-only over it.
// deploy copies DIR/<function>/... into the volume through the archive API (no host bind
// mount, so it works against a remote Engine too), replacing each deployed function whole,
// then restarts the functions containers and waits until they answer their health test.
#include "cli/engine.hpp"
#include "cli/globals.hpp"

#include <supactl/compose/model.hpp>
#include <supactl/config/home.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/core/lock.hpp>
#include <supactl/docker/tar.hpp>
#include <supactl/plan/readiness.hpp>
#include <supactl/render/render.hpp>
#include <supactl/stack/stack.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <regex>
#include <sstream>

namespace supactl::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* k_functions_dir = "/home/deno/functions";

struct FunctionsOptions {
  std::string name;
  std::string dir;
  int lock_timeout = 0;
};

/// The functions of DIR (sub-folders with an index.ts/js/tsx/mjs) and their files.
std::map<std::string, std::vector<docker::TarFile>> collect(const fs::path& dir) {
  if (!fs::is_directory(dir)) {
    throw Error(fmt::format("functions deploy: {} is not a folder", dir.string()), ExitCode::usage,
                "give the folder that holds one sub-folder per function, e.g. supabase/functions");
  }
  static const std::regex k_name("^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$");
  std::map<std::string, std::vector<docker::TarFile>> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_directory()) continue;
    const std::string fn = entry.path().filename().string();
    if (fn.front() == '.') continue;
    const bool shared = fn == "_shared";  // imported by the functions, deployed with them
    if (!shared && !std::regex_match(fn, k_name)) {
      throw Error(fmt::format("functions deploy: `{}` is not a function name", fn), ExitCode::usage,
                  "use letters, digits, '-' and '_'");
    }
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

/// The running functions containers of the instance, lowest number first.
std::vector<docker::ContainerSummary> functions_containers(docker::Engine& engine, const std::string& instance) {
  std::vector<docker::ContainerSummary> out;
  for (const auto& c : stack::list_stack_containers(engine, instance)) {
    auto s = c.labels.find(compose::k_label_service);
    if (s != c.labels.end() && s->second == "functions" && c.state == "running") out.push_back(c);
  }
  if (out.empty()) {
    throw Error(fmt::format("the functions service of {} is not running", instance), ExitCode::not_found,
                fmt::format("run `supactl up {}` (with the functions service enabled)", instance));
  }
  return out;
}

int run_deploy(const Globals& g, const FunctionsOptions& o) {
  const fs::path home = config::home_dir(g.home);
  config::Instance inst = config::load_instance(home, o.name);
  auto functions = collect(fs::absolute(o.dir));
  core::FileLock lock(inst.dir / ".lock", fmt::format("instance {}", inst.name), o.lock_timeout);
  EngineHandle engine(g);
  auto containers = functions_containers(*engine, inst.name);

  // The volume is shared by every replica: write once, through the first container.
  const std::string target = containers.front().id;
  std::vector<std::string> rm = {"rm", "-rf", "--"};
  std::vector<docker::TarFile> files;
  std::vector<std::string> names;
  for (auto& [fn, list] : functions) {
    rm.push_back(std::string(k_functions_dir) + "/" + fn);
    names.push_back(fn);
    for (auto& f : list) files.push_back(std::move(f));
  }
  docker::ExecSpec spec;
  spec.cmd = rm;
  docker::ExecResult r = engine->exec(target, spec);
  if (r.exit_code != 0) {
    throw Error(fmt::format("functions deploy: removing the old versions failed: {}", r.err), ExitCode::failure);
  }
  engine->put_archive(target, k_functions_dir, docker::make_tar(files));

  for (const auto& c : containers) engine->restart_container(c.id, 10);
  for (const auto& c : containers) {
    plan::ReadyResult ready =
        plan::wait_ready(*engine, nullptr, c.name, engine->inspect_container(c.id).healthcheck, 30, 200);
    if (!ready.ready) {
      throw Error(fmt::format("{} is not healthy after the deploy: {} {}", c.name, ready.reason, ready.last_output),
                  ExitCode::unhealthy, fmt::format("see `supactl logs {} functions`", inst.name));
    }
  }

  if (g.json()) {
    print_json({{"instance", inst.name}, {"deployed", names}, {"files", files.size()}, {"restarted", containers.size()}});
  } else {
    std::cout << fmt::format("deployed {} to {} ({} files); restarted {} functions container{}\n", fmt::join(names, ", "),
                             inst.name, files.size(), containers.size(), containers.size() == 1 ? "" : "s");
    std::cout << fmt::format("  call them at {}/functions/v1/<name>\n", render::instance_endpoints(inst.spec).api_url);
  }
  return 0;
}

int run_ls(const Globals& g, const FunctionsOptions& o) {
  const fs::path home = config::home_dir(g.home);
  config::Instance inst = config::load_instance(home, o.name);
  EngineHandle engine(g);
  auto containers = functions_containers(*engine, inst.name);
  docker::ExecSpec spec;
  spec.cmd = {"find", k_functions_dir, "-mindepth", "1", "-maxdepth", "1", "-type", "d"};
  docker::ExecResult r = engine->exec(containers.front().id, spec);
  if (r.exit_code != 0) throw Error(fmt::format("functions ls: {}", r.err), ExitCode::failure);
  std::vector<std::string> names;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) names.push_back(fs::path(line).filename().string());
  }
  std::sort(names.begin(), names.end());
  if (g.json()) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& n : names) list.push_back({{"name", n}, {"builtin", n == "main" || n == "hello"}});
    print_json({{"instance", inst.name}, {"functions", list}});
  } else {
    for (const auto& n : names) std::cout << n << (n == "main" || n == "hello" ? "  (supactl's own)" : "") << "\n";
  }
  return 0;
}

}  // namespace

void setup_functions(CLI::App& sub, Globals& g) {
  sub.require_subcommand(1);
  auto o = std::make_shared<FunctionsOptions>();
  CLI::App* deploy = sub.add_subcommand("deploy", "Copy DIR/<function>/ into the instance and restart the functions service");
  deploy->add_option("name", o->name, "Instance name")->required();
  deploy->add_option("dir", o->dir, "Folder with one sub-folder per function (each with an index.ts)")->required();
  deploy->add_option("--lock-timeout", o->lock_timeout, "Seconds to wait for another supactl working on this instance")
      ->check(CLI::Range(0, 86400));
  set_action(*deploy, g, [&g, o]() { return run_deploy(g, *o); });
  CLI::App* ls = sub.add_subcommand("ls", "List the functions the instance serves");
  ls->add_option("name", o->name, "Instance name")->required();
  set_action(*ls, g, [&g, o]() { return run_ls(g, *o); });
}

}  // namespace supactl::cli

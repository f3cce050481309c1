// SPDX-License-Identifier: Apache-2.0
//
// `supactl functions deploy NAME DIR` and `supactl functions ls NAME`: see stack/functions.hpp
// for where functions live and how a deploy replaces them.
#include "cli/globals.hpp"

#include <supactl/config/home.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/render/render.hpp>
#include <supactl/stack/functions.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <iostream>

namespace supactl::cli {
namespace {

namespace fs = std::filesystem;

struct FunctionsOptions {
  std::string name;
  std::string dir;
  int lock_timeout = 0;
};

int run_deploy(const Globals& g, const FunctionsOptions& o) {
  const fs::path home = config::home_dir(g.home);
  config::Instance inst = config::load_instance(home, o.name);
  auto functions = stack::collect_functions(fs::absolute(o.dir));
  const core::FileLock lock = config::lock_instance(inst.dir, inst.name, o.lock_timeout);
  const stack::DeployResult r = stack::deploy_functions(g.engine(), inst.name, std::move(functions));
  if (g.json()) {
    print_json({{"instance", inst.name}, {"deployed", r.deployed}, {"files", r.files}, {"restarted", r.restarted}});
  } else {
    std::cout << fmt::format("deployed {} to {} ({} files); restarted {} functions container{}\n",
                             fmt::join(r.deployed, ", "), inst.name, r.files, r.restarted, r.restarted == 1 ? "" : "s");
    std::cout << fmt::format("  call them at {}/functions/v1/<name>\n", render::instance_endpoints(inst.spec).api_url);
  }
  return 0;
}

int run_ls(const Globals& g, const FunctionsOptions& o) {
  const fs::path home = config::home_dir(g.home);
  config::Instance inst = config::load_instance(home, o.name);
  const std::vector<std::string> names = stack::list_functions(g.engine(), inst.name);
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
  CLI::App* deploy =
      sub.add_subcommand("deploy", "Copy DIR/<function>/ into the instance and restart the functions service");
  deploy->add_option("name", o->name, "Instance name")->required();
  deploy->add_option("dir", o->dir, "Folder with one sub-folder per function (each with an index.ts)")->required();
  add_lock_timeout(*deploy, o->lock_timeout);
  set_action(*deploy, g, [&g, o]() { return run_deploy(g, *o); });
  CLI::App* ls = sub.add_subcommand("ls", "List the functions the instance serves");
  ls->add_option("name", o->name, "Instance name")->required();
  set_action(*ls, g, [&g, o]() { return run_ls(g, *o); });
}

}  // namespace supactl::cli

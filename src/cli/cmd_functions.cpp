// SPDX-License-Identifier: Apache-2.0
//
// `supactl functions deploy NAME DIR`, `supactl functions ls NAME` and `supactl functions
// secrets set|ls|rm NAME FUNCTION`: see stack/functions.hpp for where functions live and how a
// deploy replaces them, instance/functions.hpp for per-function settings. Secret values are
// never printed.
#include "cli/globals.hpp"

#include <supactl/config/home.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/instance/functions.hpp>
#include <supactl/render/render.hpp>
#include <supactl/secrets/secrets_file.hpp>
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
  std::string function;
  std::vector<std::string> pairs;  ///< KEY=VALUE (set) or KEY (rm)
  std::string env_file;
};

int run_deploy(const Globals& g, const FunctionsOptions& o) {
  const fs::path home = config::home_dir(g.home);
  config::Instance inst = config::load_instance(home, o.name);
  const core::FileLock lock = config::lock_instance(inst.dir, inst.name, o.lock_timeout);
  const instance::FunctionsDeployResult deployed = instance::deploy_functions(g.engine(), inst, fs::absolute(o.dir));
  const stack::DeployResult& r = deployed.deploy;
  if (g.json()) {
    print_json({{"instance", inst.name},
                {"deployed", r.deployed},
                {"files", r.files},
                {"restarted", r.restarted},
                {"with_settings", deployed.with_settings}});
  } else {
    std::cout << fmt::format("deployed {} to {} ({} files); restarted {} functions container{}\n",
                             fmt::join(r.deployed, ", "), inst.name, r.files, r.restarted, r.restarted == 1 ? "" : "s");
    if (!deployed.with_settings.empty()) {
      std::cout << fmt::format("  settings from function.yaml: {}\n", fmt::join(deployed.with_settings, ", "));
    }
    std::cout << fmt::format("  call them at {}/functions/v1/<name>\n", render::instance_endpoints(inst.spec).api_url);
  }
  return 0;
}

/// The KEY=VALUE pairs of the command line and of --env-file (0600), the command line winning.
std::map<std::string, secrets::Secret> secret_values(const FunctionsOptions& o) {
  std::map<std::string, secrets::Secret> values;
  if (!o.env_file.empty()) {
    const fs::path file = fs::absolute(o.env_file);
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) {
      throw Error(fmt::format("functions secrets set: {} does not exist", file.string()), ExitCode::usage,
                  "give a file of KEY=value lines (chmod 600)");
    }
    values = secrets::read_secrets_file(file);
  }
  for (const std::string& pair : o.pairs) {
    const size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw Error("functions secrets set: expected KEY=VALUE", ExitCode::usage,
                  "write each secret as KEY=VALUE, or put them in a file for --env-file");
    }
    values[pair.substr(0, eq)] = secrets::Secret(pair.substr(eq + 1));
  }
  if (values.empty()) {
    throw Error("functions secrets set: no secret given", ExitCode::usage, "add KEY=VALUE or --env-file FILE");
  }
  return values;
}

int run_secrets_set(const Globals& g, const FunctionsOptions& o) {
  const config::Instance inst = config::load_instance(config::home_dir(g.home), o.name);
  const std::map<std::string, secrets::Secret> values = secret_values(o);
  const core::FileLock lock = config::lock_instance(inst.dir, inst.name, o.lock_timeout);
  instance::set_function_secrets(inst, o.function, values);
  std::vector<std::string> names;
  names.reserve(values.size());
  for (const auto& [name, value] : values) names.push_back(name);
  if (g.json()) {
    print_json({{"instance", inst.name}, {"function", o.function}, {"set", names}});
  } else {
    std::cout << fmt::format("set {} for {} of {}; the router passes them from the next request\n",
                             fmt::join(names, ", "), o.function, inst.name);
  }
  return 0;
}

int run_secrets_ls(const Globals& g, const FunctionsOptions& o) {
  const config::Instance inst = config::load_instance(config::home_dir(g.home), o.name);
  const std::vector<std::string> names = instance::function_secret_names(inst, o.function);
  if (g.json()) {
    print_json({{"instance", inst.name}, {"function", o.function}, {"secrets", names}});
  } else {
    for (const std::string& n : names) std::cout << n << "\n";
  }
  return 0;
}

int run_secrets_rm(const Globals& g, const FunctionsOptions& o) {
  const config::Instance inst = config::load_instance(config::home_dir(g.home), o.name);
  const core::FileLock lock = config::lock_instance(inst.dir, inst.name, o.lock_timeout);
  const std::vector<std::string> removed = instance::remove_function_secrets(inst, o.function, o.pairs);
  if (removed.size() != o.pairs.size()) {
    std::vector<std::string> missing;
    for (const std::string& n : o.pairs) {
      if (std::find(removed.begin(), removed.end(), n) == removed.end()) missing.push_back(n);
    }
    throw Error(fmt::format("functions secrets rm: {} has no secret {}", o.function, fmt::join(missing, ", ")),
                ExitCode::not_found,
                fmt::format("`supactl functions secrets ls {} {}` lists them", inst.name, o.function));
  }
  if (g.json()) {
    print_json({{"instance", inst.name}, {"function", o.function}, {"removed", removed}});
  } else {
    std::cout << fmt::format("removed {} from {} of {}\n", fmt::join(removed, ", "), o.function, inst.name);
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

  CLI::App* sec = sub.add_subcommand("secrets", "Per-function secrets: set, ls, rm (values are never printed)");
  sec->require_subcommand(1);
  CLI::App* set = sec->add_subcommand("set", "Set secrets of one function: KEY=VALUE... or --env-file FILE");
  set->add_option("name", o->name, "Instance name")->required();
  set->add_option("function", o->function, "Function name")->required();
  set->add_option("pairs", o->pairs, "KEY=VALUE pairs");
  set->add_option("--env-file", o->env_file, "File of KEY=value lines (mode 0600)");
  add_lock_timeout(*set, o->lock_timeout);
  set_action(*set, g, [&g, o]() { return run_secrets_set(g, *o); });
  CLI::App* sls = sec->add_subcommand("ls", "List the names of one function's secrets");
  sls->add_option("name", o->name, "Instance name")->required();
  sls->add_option("function", o->function, "Function name")->required();
  set_action(*sls, g, [&g, o]() { return run_secrets_ls(g, *o); });
  CLI::App* rm = sec->add_subcommand("rm", "Remove secrets of one function by name");
  rm->add_option("name", o->name, "Instance name")->required();
  rm->add_option("function", o->function, "Function name")->required();
  rm->add_option("keys", o->pairs, "Names of the secrets")->required();
  add_lock_timeout(*rm, o->lock_timeout);
  set_action(*rm, g, [&g, o]() { return run_secrets_rm(g, *o); });
}

}  // namespace supactl::cli

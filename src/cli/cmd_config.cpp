// SPDX-License-Identifier: Apache-2.0
//
// `supactl config get NAME [KEY]` and `supactl config set NAME KEY VALUE...`: one key of
// instance.yaml read or changed with the loader's key list and checks (config/spec_edit.cpp).
// A set takes the instance lock, refuses a host port another instance has, writes the file
// atomically in its canonical form, and changes nothing else: `supactl up NAME` applies it.
// `--dry-run` shows the change and writes nothing.
#include "cli/globals.hpp"

#include <supactl/config/edit.hpp>
#include <supactl/config/home.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/core/fs.hpp>
#include <supactl/core/lock.hpp>

#include <fmt/format.h>

#include <iostream>
#include <optional>

namespace supactl::cli {
namespace {

struct ConfigOptions {
  std::string name;
  std::string key;
  std::vector<std::string> values;
  bool dry_run = false;
  int lock_timeout = 0;
};

int run_get(const Globals& g, const ConfigOptions& o) {
  const std::filesystem::path home = config::home_dir(g.home);
  const config::Instance inst = config::load_instance(home, o.name);
  const config::SpecValue v = config::get_spec_value(inst.spec, o.key);
  if (g.json()) {
    print_json({{"instance", inst.name}, {"key", o.key}, {"value", nlohmann::json::parse(v.json)}});
  } else {
    std::cout << v.text << (v.text.empty() || v.text.back() != '\n' ? "\n" : "");
  }
  return 0;
}

/// Refuses a host port that another instance of the home has in its instance.yaml.
void check_port_not_reserved(const std::filesystem::path& home, const std::string& name, const std::string& key,
                             const config::InstanceSpec& spec) {
  if (key.rfind("ports.", 0) != 0) return;
  const ports::ReservedPorts reserved = config::reserved_ports(home, name);
  for (int port :
       {spec.ports.http, spec.ports.https, spec.ports.db, spec.ports.pooler_session, spec.ports.pooler_transaction}) {
    auto it = reserved.find(port);
    if (port != 0 && it != reserved.end()) {
      throw Error(fmt::format("port {} belongs to instance {}", port, it->second), ExitCode::conflict,
                  "choose another port; nothing was written");
    }
  }
}

int run_set(const Globals& g, const ConfigOptions& o) {
  const std::filesystem::path home = config::home_dir(g.home);
  config::validate_name(o.name);
  config::check_spec_key(o.key, false);
  const config::Instance inst = config::load_instance(home, o.name);
  std::optional<core::FileLock> lock;
  if (!o.dry_run) lock.emplace(config::lock_instance(inst.dir, inst.name, o.lock_timeout));

  // Read again under the lock, change, check as the loader does.
  const std::string text = core::read_file(inst.spec_file());
  const config::InstanceSpec before = config::parse_spec(text, "instance.yaml");
  const config::InstanceSpec after = config::set_spec_value(text, o.key, o.values);
  check_port_not_reserved(home, inst.name, o.key, after);
  if (o.key == "domain") config::refuse_taken_domain(home, inst.name, after.domain, "choose another domain");
  // Moving the primary by hand would point every service at a standby still in recovery and
  // leave the former primary unfenced.
  if (o.key == "db.primary" && after.db_primary != before.db_primary) {
    throw Error("db.primary is not set by hand: the standby must be promoted and the former primary fenced first",
                ExitCode::usage,
                fmt::format("`supactl db failover {}` does both and sets it; nothing was written", inst.name));
  }
  config::SpecValue old_value{.text = "(not set)", .json = "null"};
  try {
    old_value = config::get_spec_value(before, o.key);
  } catch (const Error& e) {
    if (e.code() != ExitCode::not_found) throw;  // a `<service>` entry not set yet
  }
  const config::SpecValue new_value = config::get_spec_value(after, o.key);
  const std::string new_text = config::set_spec_text(text, o.key, after);
  const bool changed = new_text != text;
  if (changed && !o.dry_run) core::write_file_atomic(inst.spec_file(), new_text, 0644);

  if (g.json()) {
    print_json({{"instance", inst.name},
                {"key", o.key},
                {"old", nlohmann::json::parse(old_value.json)},
                {"new", nlohmann::json::parse(new_value.json)},
                {"dry_run", o.dry_run},
                {"written", changed && !o.dry_run}});
    return 0;
  }
  std::cout << fmt::format("{}: {}: {} -> {}{}\n", inst.name, o.key, old_value.text, new_value.text,
                           o.dry_run ? " (dry run: nothing written)"
                           : changed ? fmt::format("; run `supactl up {}` to apply it", inst.name)
                                     : " (instance.yaml unchanged)");
  return 0;
}

}  // namespace

void setup_config(CLI::App& sub, Globals& g) {
  auto o = std::make_shared<ConfigOptions>();
  sub.require_subcommand(1);
  CLI::App* get = sub.add_subcommand("get", "Print an instance.yaml key (or group, or the whole file) as loaded");
  get->add_option("name", o->name, "Instance name")->required();
  get->add_option("key", o->key, "Key, e.g. ports.http or auth (default: the whole file)");
  set_action(*get, g, [&g, o]() { return run_get(g, *o); });

  CLI::App* set = sub.add_subcommand("set", "Change one instance.yaml key, checked as the loader checks it");
  set->add_option("name", o->name, "Instance name")->required();
  set->add_option("key", o->key, "Key, e.g. ports.http, services.studio, auth.additional_redirect_urls")->required();
  set->add_option("values", o->values, "Value (several, or [], for a list)")->required();
  set->add_flag("--dry-run", o->dry_run, "Show the change and write nothing");
  add_lock_timeout(*set, o->lock_timeout);
  set_action(*set, g, [&g, o]() { return run_set(g, *o); });
}

}  // namespace supactl::cli

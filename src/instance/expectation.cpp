// SPDX-License-Identifier: Apache-2.0
#include <supactl/instance/expectation.hpp>

#include <supactl/instance/session.hpp>

#include <supactl/compose/model.hpp>
#include <supactl/core/fs.hpp>

#include <filesystem>
#include <set>

namespace supactl::instance {

Expectation expectation_of(const config::Instance& inst) {
  Expectation e;
  const std::filesystem::path compose_file = inst.rendered_dir() / "compose.yml";
  const std::filesystem::path env_file = inst.rendered_dir() / ".env";
  if (!std::filesystem::exists(compose_file) || !std::filesystem::exists(env_file)) {
    e.services = inst.spec.enabled_services();
    return e;
  }
  compose::Project p =
      compose::load(compose_options(inst, compose_file, compose::parse_env_file(core::read_file(env_file))));
  std::set<std::string> jobs;
  for (const auto& [name, s] : p.services) {
    e.services.push_back(name);
    if (s.spec.healthcheck) e.health[name] = *s.spec.healthcheck;
    for (const compose::Dependency& d : s.depends_on) {
      if (d.condition == compose::DependsCondition::completed_successfully) jobs.insert(d.service);
    }
  }
  e.jobs.assign(jobs.begin(), jobs.end());
  return e;
}

}  // namespace supactl::instance

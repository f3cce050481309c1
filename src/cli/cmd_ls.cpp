// SPDX-License-Identifier: Apache-2.0
//
// `supactl ls`: the instances of this home with their mode, domain, host ports and services, from
// their instance.yaml only (no Engine call, no secrets read). A broken instance.yaml is shown
// with its error instead of hiding the others.
#include "cli/globals.hpp"

#include <supactl/config/home.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/core/fs.hpp>

#include <fmt/format.h>

#include <iostream>

namespace supactl::cli {

namespace {

nlohmann::json port_json(int port) { return port == 0 ? nlohmann::json(nullptr) : nlohmann::json(port); }

int run_ls(const Globals& g) {
  const std::filesystem::path home = config::home_dir(g.home);
  nlohmann::json rows = nlohmann::json::array();
  for (const std::string& name : config::list_instances(home)) {
    nlohmann::json row = {{"name", name}};
    try {
      config::InstanceSpec spec =
          config::parse_spec(core::read_file(config::instance_dir(home, name) / "instance.yaml"), "instance.yaml");
      row["mode"] = spec.swarm() ? "swarm" : "standalone";
      row["domain"] = spec.domain;
      row["ports"] = {{"http", spec.ports.http}, {"https", spec.ports.https}, {"db", port_json(spec.ports.db)}};
      row["services"] = spec.enabled_services();
    } catch (const Error& e) {
      row["error"] = e.what();
    }
    rows.push_back(row);
  }
  if (g.json()) {
    print_json(rows);
    return 0;
  }
  if (rows.empty()) {
    std::cout << fmt::format("no instances in {} (create one with `supactl init NAME`)\n", home.string());
    return 0;
  }
  std::cout << fmt::format("{:<20} {:<24} {:>6} {:>6} {:>6}  {}\n", "NAME", "DOMAIN", "HTTP", "HTTPS", "DB",
                           "SERVICES");
  for (const nlohmann::json& row : rows) {
    if (row.contains("error")) {
      std::cout << fmt::format("{:<20} error: {}\n", row["name"].get<std::string>(), row["error"].get<std::string>());
      continue;
    }
    const nlohmann::json& p = row["ports"];
    std::cout << fmt::format("{:<20} {:<24} {:>6} {:>6} {:>6}  {}\n",
                             row["name"].get<std::string>() + (row["mode"] == "swarm" ? " (swarm)" : ""),
                             row["domain"].get<std::string>(), p["http"].get<int>(), p["https"].get<int>(),
                             p["db"].is_null() ? std::string("-") : std::to_string(p["db"].get<int>()),
                             fmt::join(row["services"].get<std::vector<std::string>>(), ","));
  }
  return 0;
}

}  // namespace

void setup_ls(CLI::App& sub, Globals& g) {
  set_action(sub, g, [&g]() { return run_ls(g); });
}

}  // namespace supactl::cli

// SPDX-License-Identifier: Apache-2.0
//
// `supactl doctor`: which Docker Engine supactl would use, why, and what it speaks. The first
// thing to run when `up` cannot reach the Engine; exits 5 with the reason when none answers.
#include "cli/globals.hpp"

#include <supactl/stack/exec.hpp>

#include <fmt/format.h>

#include <iostream>

namespace supactl::cli {
namespace {

int run_doctor(const Globals& g) {
  docker::Endpoint endpoint = docker::resolve_endpoint(g.host);
  const stack::EngineReport report = stack::describe_engine(g.engine());
  const docker::VersionInfo& v = report.version;
  if (g.json()) {
    print_json({{"endpoint", endpoint.host},
                {"source", endpoint.source},
                {"tls", endpoint.tls},
                {"engine_version", v.version},
                {"api_version", report.api_version},
                {"engine_api_version", v.api_version},
                {"engine_min_api_version", v.min_api_version},
                {"supactl_api_range", {docker::k_min_api_version, docker::k_max_api_version}},
                {"os", v.os},
                {"arch", v.arch},
                {"swarm", report.swarm}});
    return 0;
  }
  std::cout << fmt::format("endpoint     {} ({})\n", endpoint.host, endpoint.source);
  if (endpoint.tls)
    std::cout << fmt::format("tls          certificates from {}, verify {}\n", endpoint.cert_path,
                             endpoint.tls_verify ? "on" : "off");
  std::cout << fmt::format("engine       Docker {} on {}/{}\n", v.version, v.os, v.arch);
  std::cout << fmt::format("API          {} in use (Engine {}..{}, supactl {}..{}){}\n", report.api_version,
                           v.min_api_version, v.api_version, docker::k_min_api_version, docker::k_max_api_version,
                           endpoint.api_version_pin.empty() ? "" : ", pinned by DOCKER_API_VERSION");
  std::cout << fmt::format("swarm        {}\n", report.swarm.empty() ? "unknown" : report.swarm);
  return 0;
}

}  // namespace

void setup_doctor(CLI::App& sub, Globals& g) {
  set_action(sub, g, [&g]() { return run_doctor(g); });
}

}  // namespace supactl::cli

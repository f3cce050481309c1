// SPDX-License-Identifier: Apache-2.0
//
// `supactl ca NAME` (or `supactl ca edge`, the shared edge's): prints the root certificate (PEM) of the private CA an
// instance's Caddy signs with under `tls.mode: internal`, for trust stores (`supactl ca shop > shop-ca.pem`).
#include "cli/globals.hpp"

#include <supactl/config/home.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/edge/edge.hpp>
#include <supactl/stack/stack.hpp>

#include <fmt/format.h>

#include <iostream>

namespace supactl::cli {
namespace {

int run_ca(const Globals& g, const std::string& name) {
  if (name == "edge") {
    // The shared edge's CA signs every internal name it routes (*.localhost, *.test, IPs).
    std::string pem;
    try {
      pem = stack::caddy_root_ca(g.engine(), edge::k_project);
    } catch (const Error& e) {
      if (e.code() != ExitCode::not_found) throw;
      throw Error(fmt::format("the shared edge has no private CA: {}", e.what()), ExitCode::not_found,
                  "start it with `supactl edge up`; its CA is made with the first route to an internal name "
                  "(*.localhost, *.test, an IP address)");
    }
    if (g.json()) {
      print_json({{"edge", edge::k_project}, {"root_ca_pem", pem}});
    } else {
      std::cout << pem;
      if (!pem.empty() && pem.back() != '\n') std::cout << '\n';
    }
    return 0;
  }
  const config::Instance inst = config::load_instance(config::home_dir(g.home), name);
  if (inst.spec.shared_edge()) {
    throw Error(fmt::format("instance {} has no Caddy of its own: the shared edge signs its certificate", name),
                ExitCode::usage, "print the edge's root certificate with `supactl ca edge`");
  }
  if (inst.spec.tls.mode != config::TlsMode::internal) {
    throw Error(
        fmt::format("instance {} uses tls.mode {}: it has no private CA", name, config::to_string(inst.spec.tls.mode)),
        ExitCode::usage,
        fmt::format("set `tls.mode: internal` in {} and run `supactl up {}`", inst.spec_file().string(), name));
  }
  docker::Engine& engine = g.engine();
  const std::string pem = stack::caddy_root_ca(engine, inst.name);
  if (g.json()) {
    print_json({{"instance", inst.name}, {"root_ca_pem", pem}});
  } else {
    std::cout << pem;
    if (!pem.empty() && pem.back() != '\n') std::cout << '\n';
  }
  return 0;
}

}  // namespace

void setup_ca(CLI::App& sub, Globals& g) {
  auto name = std::make_shared<std::string>();
  sub.add_option("name", *name, "Instance name")->required();
  set_action(sub, g, [&g, name]() { return run_ca(g, *name); });
}

}  // namespace supactl::cli

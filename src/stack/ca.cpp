// SPDX-License-Identifier: Apache-2.0
//
// The root certificate of an instance's private CA, read from its Caddy through the Engine's
// archive endpoint (no docker cp, no shell in the container).
#include <supactl/core/error.hpp>
#include <supactl/docker/tar.hpp>
#include <supactl/stack/db.hpp>
#include <supactl/stack/stack.hpp>

#include <fmt/format.h>

namespace supactl::stack {

std::string caddy_root_ca(docker::Engine& engine, const std::string& project) {
  const std::string caddy = running_container(engine, project, "caddy");
  std::string tar;
  try {
    engine.get_archive(caddy, k_caddy_root_ca, [&](std::string_view chunk) { tar.append(chunk); });
  } catch (const docker::EngineError& e) {
    if (e.kind() != docker::ErrorKind::not_found) throw;
    throw Error(fmt::format("{}'s Caddy has no private CA yet ({} is missing)", project, k_caddy_root_ca),
                ExitCode::not_found,
                fmt::format("set `tls.mode: internal` in instance.yaml, run `supactl up {}`, then try again", project));
  }
  std::string pem = docker::first_file_in_tar(tar);
  if (pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    throw Error(fmt::format("{} in {}'s Caddy is not a PEM certificate", k_caddy_root_ca, project));
  }
  return pem;
}

}  // namespace supactl::stack

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <supactl/config/instance.hpp>
#include <supactl/docker/types.hpp>

#include <map>
#include <string>
#include <vector>

namespace supactl::instance {

/// What an instance should be running: its services, its one-shot jobs and their health
/// tests, from its rendered compose file when there is one (so overrides count), else from
/// its spec (services only).
struct Expectation {
  std::vector<std::string> services;
  std::vector<std::string> jobs;
  std::map<std::string, docker::Healthcheck> health;
};

Expectation expectation_of(const config::Instance& inst);

}  // namespace supactl::instance

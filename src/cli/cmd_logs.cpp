// SPDX-License-Identifier: Apache-2.0
//
// `supactl logs NAME [SERVICE...]`: the instance's container logs, demultiplexed, each line
// prefixed with its service (coloured on a terminal); `-f` follows every container at once.
#include "cli/globals.hpp"

#include <supactl/config/home.hpp>
#include <supactl/config/instance.hpp>
#include <supactl/stack/stack.hpp>
#include <supactl/swarm/swarm.hpp>

#include <unistd.h>
#include <ctime>
#include <filesystem>
#include <iostream>

namespace supactl::cli {
namespace {

struct LogsOptions {
  std::string name;
  std::vector<std::string> services;
  bool follow = false;
  std::string tail = "all";
  std::string since;
  bool timestamps = false;
  bool no_color = false;
};

int run_logs(const Globals& g, const LogsOptions& o) {
  config::validate_name(o.name);
  stack::LogsRequest req;
  req.project = o.name;
  req.services = o.services;
  req.options.follow = o.follow;
  req.options.tail = o.tail;
  req.options.timestamps = o.timestamps;
  req.options.since = stack::parse_since(o.since, static_cast<int64_t>(std::time(nullptr)));
  req.color = !o.no_color && ::isatty(STDOUT_FILENO);
  docker::Engine& engine = g.engine();
  if (config::is_swarm_instance(config::home_dir(g.home), o.name)) {
    swarm::logs(engine, o.name, o.services, req.options, [](std::string_view text) {
      std::cout.write(text.data(), static_cast<std::streamsize>(text.size()));
      std::cout.flush();
    });
    return 0;
  }
  stack::logs(engine, req, [](std::string_view text) {
    std::cout.write(text.data(), static_cast<std::streamsize>(text.size()));
    std::cout.flush();
  });
  return 0;
}

}  // namespace

void setup_logs(CLI::App& sub, Globals& g) {
  auto o = std::make_shared<LogsOptions>();
  sub.add_option("name", o->name, "Instance name")->required();
  sub.add_option("services", o->services, "Services to show (default: all)");
  sub.add_flag("-f,--follow", o->follow, "Keep streaming new lines");
  sub.add_option("-n,--tail", o->tail, "Lines from the end of each log, or `all`")->check([](const std::string& v) {
    if (v == "all") return std::string();
    if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos) {
      return std::string("must be a number of lines (0 or more) or `all`");
    }
    return std::string();
  });
  sub.add_option("--since", o->since, "Only lines since: unix seconds, RFC 3339, or a duration (10m, 2h)");
  sub.add_flag("-t,--timestamps", o->timestamps, "Prefix each line with its timestamp");
  sub.add_flag("--no-color", o->no_color, "No colours even on a terminal");
  set_action(sub, g, [&g, o]() { return run_logs(g, *o); });
}

}  // namespace supactl::cli

// SPDX-License-Identifier: Apache-2.0
#pragma once

// Running a person's command in a service container (`supactl psql`, `supactl exec`), and
// what `supactl doctor` reports of the Engine.

#include <supactl/docker/engine.hpp>

#include <string>
#include <vector>

namespace supactl::stack {

struct ExecRequest {
  std::string container;
  std::vector<std::string> cmd;
  std::string user;  ///< "" = the image's
};

/// Runs the command without a TTY, passing its output to `out` as it arrives. Returns its
/// exit code (ExitCode::failure when the Engine reports none).
int exec_streamed(docker::Engine& engine, const ExecRequest& request, const docker::OutputSink& out);

/// Runs the command with a TTY of `rows` x `cols` (TERM=`term`), its input read from
/// `input_fd`, its output to `out`. Returns its exit code (ExitCode::failure when none).
int exec_on_tty(docker::Engine& engine, const ExecRequest& request, const std::string& term, int input_fd,
                const docker::OutputSink& out, unsigned rows, unsigned cols);

/// The Engine as `doctor` shows it.
struct EngineReport {
  docker::VersionInfo version;
  std::string api_version;  ///< negotiated, in use
  std::string swarm;        ///< inactive, active, pending, ... or "" when unknown
};

/// Asks the Engine for its versions and swarm state (from /_ping, else /info for Engines
/// before 23 that send no Swarm header).
EngineReport describe_engine(docker::Engine& engine);

}  // namespace supactl::stack

// SPDX-License-Identifier: Apache-2.0
#include <supactl/stack/exec.hpp>

#include <supactl/core/error.hpp>

namespace supactl::stack {

int exec_streamed(docker::Engine& engine, const ExecRequest& request, const docker::OutputSink& out) {
  const docker::ExecResult r = engine.exec(
      request.container,
      docker::ExecSpec{.cmd = request.cmd, .env = {}, .user = request.user, .working_dir = {}, .tty = false}, out);
  return r.exit_code < 0 ? static_cast<int>(ExitCode::failure) : r.exit_code;
}

int exec_on_tty(docker::Engine& engine, const ExecRequest& request, const std::string& term, int input_fd,
                const docker::OutputSink& out, unsigned rows, unsigned cols) {
  const docker::ExecSpec spec{
      .cmd = request.cmd, .env = {"TERM=" + term}, .user = request.user, .working_dir = {}, .tty = true};
  const int code = engine.exec_attached(request.container, spec, input_fd, out, rows, cols);
  return code < 0 ? static_cast<int>(ExitCode::failure) : code;
}

EngineReport describe_engine(docker::Engine& engine) {
  EngineReport r{.version = engine.version(), .api_version = engine.api_version(), .swarm = engine.ping().swarm};
  if (r.swarm.empty()) {  // Engines before 23 do not send the Swarm header
    const nlohmann::json info = engine.info();
    if (info.contains("Swarm") && info["Swarm"].is_object()) r.swarm = info["Swarm"].value("LocalNodeState", "");
  }
  return r;
}

}  // namespace supactl::stack

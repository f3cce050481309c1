// SPDX-License-Identifier: Apache-2.0
//
// Defaults of the Engine interface that other operations can express.
#include <supactl/core/fs.hpp>
#include <supactl/docker/engine.hpp>

namespace supactl::docker {

void Engine::put_archive_file(const std::string& id, const std::string& path, const std::filesystem::path& tar_file) {
  put_archive(id, path, core::read_file(tar_file));
}

nlohmann::json Engine::call_json(const std::string&, const std::string&, const nlohmann::json&,
                                 const std::string& what) {
  throw EngineError(ErrorKind::unsupported, 0, what + ": this Engine connection does not speak the swarm API");
}

void Engine::service_logs(const std::string& service, const LogOptions&, const OutputSink&) {
  throw EngineError(ErrorKind::unsupported, 0,
                    "read the logs of service " + service + ": this Engine connection does not speak the swarm API");
}

}  // namespace supactl::docker

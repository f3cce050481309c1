// SPDX-License-Identifier: Apache-2.0
//
// Defaults of the Engine interface that other operations can express.
#include <supactl/core/fs.hpp>
#include <supactl/docker/engine.hpp>

namespace supactl::docker {

void Engine::put_archive_file(const std::string& id, const std::string& path, const std::filesystem::path& tar_file) {
  put_archive(id, path, core::read_file(tar_file));
}

}  // namespace supactl::docker

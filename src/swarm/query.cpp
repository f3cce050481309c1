// SPDX-License-Identifier: Apache-2.0
#include "swarm/query.hpp"

#include <supactl/swarm/swarm.hpp>

#include "docker/transport.hpp"

#include <chrono>
#include <thread>

namespace supactl::swarm::detail {

std::string filters_query(const nlohmann::json& filters) { return "filters=" + docker::url_encode(filters.dump()); }

std::string namespace_query(const std::string& project) {
  return filters_query({{"label", {std::string(k_label_namespace) + "=" + project}}});
}

bool remove_patiently(const std::function<void()>& remove, int seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  for (;;) {
    try {
      remove();
      return true;
    } catch (const docker::EngineError& e) {
      if (e.kind() == docker::ErrorKind::not_found) return false;
      if (std::chrono::steady_clock::now() >= deadline) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }
}

}  // namespace supactl::swarm::detail

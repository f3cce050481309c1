// SPDX-License-Identifier: Apache-2.0
//
// Kill points for crash tests (see fault.hpp).
#include <supactl/core/fault.hpp>

#include <csignal>
#include <cstdlib>

namespace supactl::core {

void fault_point(std::string_view point) {
  const char* armed = std::getenv(k_kill_at_env);
  if (armed != nullptr && *armed != '\0' && point == armed) std::raise(SIGKILL);
}

}  // namespace supactl::core

// SPDX-License-Identifier: Apache-2.0
#pragma once

// Kill points for crash tests. A multi-step operation (a recreate, a restore) calls
// fault_point() at each of its boundaries; when the environment variable SUPACTL_TEST_KILL_AT
// names that boundary, the process sends itself SIGKILL there, exactly as `kill -9` would.
// Tests use it to interrupt at every boundary in turn and check that the next run repairs
// what was left. Without the variable a kill point costs one getenv.

#include <string_view>

namespace supactl::core {

/// The environment variable that names the kill point.
inline constexpr const char* k_kill_at_env = "SUPACTL_TEST_KILL_AT";

/// Dies by SIGKILL when SUPACTL_TEST_KILL_AT equals `point`.
void fault_point(std::string_view point);

}  // namespace supactl::core

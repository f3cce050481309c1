// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdlib>
#include <string>

namespace supactl::test {

/// The supactl binary the unit tests run as a process: the one this build made
/// (SUPACTL_BUILT_BINARY), or SUPACTL_UNDER_TEST when set. The mutation run
/// (tests/mutation/run) links each seeded fault into a supactl and a supactl_tests of its own,
/// beside the build, and points this at its supactl.
inline std::string supactl_binary() {
  const char* other = std::getenv("SUPACTL_UNDER_TEST");
  if (other != nullptr && *other != '\0') return other;
  return SUPACTL_BUILT_BINARY;
}

}  // namespace supactl::test

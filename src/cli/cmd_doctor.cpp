// SPDX-License-Identifier: Apache-2.0
// PLACEHOLDER: replaced by the real `doctor` command.
#include "cli/globals.hpp"

namespace supactl::cli {
void setup_doctor(CLI::App& sub, Globals& g) {
  set_action(sub, g, []() -> int { throw Error("`doctor` is not built yet", ExitCode::failure); });
}
}  // namespace supactl::cli

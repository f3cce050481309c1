// SPDX-License-Identifier: Apache-2.0
// PLACEHOLDER: replaced by the real `down` command.
#include "cli/globals.hpp"

namespace supactl::cli {
void setup_down(CLI::App& sub, Globals& g) {
  set_action(sub, g, []() -> int { throw Error("`down` is not built yet", ExitCode::failure); });
}
}  // namespace supactl::cli

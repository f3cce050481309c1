// SPDX-License-Identifier: Apache-2.0
// PLACEHOLDER: replaced by the real `init` command.
#include "cli/globals.hpp"

namespace supactl::cli {
void setup_init(CLI::App& sub, Globals& g) {
  set_action(sub, g, []() -> int { throw Error("`init` is not built yet", ExitCode::failure); });
}
}  // namespace supactl::cli

// SPDX-License-Identifier: Apache-2.0
// PLACEHOLDER: replaced by the real `render` command.
#include "cli/globals.hpp"

namespace supactl::cli {
void setup_render(CLI::App& sub, Globals& g) {
  set_action(sub, g, []() -> int { throw Error("`render` is not built yet", ExitCode::failure); });
}
}  // namespace supactl::cli

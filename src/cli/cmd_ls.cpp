// SPDX-License-Identifier: Apache-2.0
// PLACEHOLDER: replaced by the real `ls` command.
#include "cli/globals.hpp"

namespace supactl::cli {
void setup_ls(CLI::App& sub, Globals& g) {
  set_action(sub, g, []() -> int { throw Error("`ls` is not built yet", ExitCode::failure); });
}
}  // namespace supactl::cli

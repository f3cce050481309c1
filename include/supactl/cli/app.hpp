// SPDX-License-Identifier: Apache-2.0
#pragma once

namespace supactl::cli {

/// The whole program: parses argv, runs one command, maps every error to an exit code.
/// Never throws.
int run(int argc, char** argv);

}  // namespace supactl::cli

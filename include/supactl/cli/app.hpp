// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>

namespace supactl::docker {
class Engine;
}

namespace supactl::cli {

/// The whole program: parses argv, runs one command, maps every error to an exit code.
/// Never throws. Commands reach the Docker Engine found by the usual discovery (--host,
/// DOCKER_HOST, contexts, rootless and default sockets), connected once on first use, or,
/// when `engine` is given, the Engine it returns (tests pass a fake one).
int run(int argc, char** argv, std::function<docker::Engine&()> engine = {});

}  // namespace supactl::cli

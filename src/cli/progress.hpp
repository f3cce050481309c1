// SPDX-License-Identifier: Apache-2.0
#pragma once

// Progress output for commands that run a Plan: live per-service lines on a terminal,
// timestamped lines otherwise (both on stderr), or one JSON event per line on stdout with
// --output json.

#include "cli/globals.hpp"

#include <supactl/plan/execute.hpp>

#include <memory>

namespace supactl::cli {

/// Picks the printer for `globals` (json → JSON lines; stderr a TTY → live; else plain).
std::unique_ptr<plan::Progress> make_progress(const Globals& globals);

/// One-line description of an operation for people: "db-1 create", "pull kong/kong:3.9.3".
std::string describe(const plan::Operation& op);

}  // namespace supactl::cli

// SPDX-License-Identifier: Apache-2.0
//
// Logging: spdlog to stderr, so that stdout stays clean for tables and `--output json`.
#include <supactl/core/log.hpp>

#include <supactl/core/fs.hpp>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace supactl::core {

void init_logging(int verbosity) {
  // Once per process; a second command run in the same process (tests) reuses it.
  std::shared_ptr<spdlog::logger> logger = spdlog::get("supactl");
  if (!logger) logger = spdlog::stderr_color_mt("supactl");
  logger->set_pattern("%^%l%$ %v");
  spdlog::set_default_logger(logger);
  spdlog::level::level_enum level = spdlog::level::warn;
  if (verbosity == 1) level = spdlog::level::info;
  if (verbosity == 2) level = spdlog::level::debug;
  if (verbosity >= 3) level = spdlog::level::trace;
  std::string env = env_or("SUPACTL_LOG");
  if (!env.empty()) level = spdlog::level::from_str(env);
  spdlog::set_level(level);
}

}  // namespace supactl::core

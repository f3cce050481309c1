// SPDX-License-Identifier: Apache-2.0
#pragma once

// Private to src/cli: connecting to the Docker Engine the way every command does, and the
// optional request statistics (SUPACTL_STATS=1 prints `supactl-stats: requests=N` on stderr
// when the command ends; the benchmarks read it).

#include "cli/globals.hpp"

#include <supactl/docker/engine.hpp>

#include <memory>

namespace supactl::cli {

class EngineHandle {
 public:
  explicit EngineHandle(const Globals& globals);
  ~EngineHandle();
  EngineHandle(const EngineHandle&) = delete;
  EngineHandle& operator=(const EngineHandle&) = delete;

  docker::Engine& operator*() { return *m_engine; }
  docker::Engine* operator->() { return m_engine.get(); }

 private:
  std::unique_ptr<docker::Engine> m_engine;
};

}  // namespace supactl::cli

// SPDX-License-Identifier: Apache-2.0
//
// One way for every command to reach the Engine: --host, else the usual discovery
// (DOCKER_HOST, contexts, rootless and default sockets), negotiated once per process.
#include "cli/engine.hpp"

#include <supactl/core/fs.hpp>

#include <cstdio>

namespace supactl::cli {

EngineHandle::EngineHandle(const Globals& globals)
    : m_engine(docker::connect(docker::resolve_endpoint(globals.host))) {}

EngineHandle::~EngineHandle() {
  if (m_engine && core::env_or("SUPACTL_STATS") == "1") {
    std::fprintf(stderr, "supactl-stats: requests=%llu\n",
                 static_cast<unsigned long long>(m_engine->request_count()));
  }
}

}  // namespace supactl::cli

// SPDX-License-Identifier: Apache-2.0
#pragma once

// The executor's swarm operations (plan::OpType create_config ... wait_service): each one
// Engine call, or one wait. Kept apart from execute.cpp so that the container path reads as
// it did; the executor calls these for the swarm op types and decides nothing here either.

#include <supactl/docker/engine.hpp>
#include <supactl/plan/plan.hpp>
#include <supactl/plan/readiness.hpp>

#include <atomic>
#include <string>

namespace supactl::plan {

/// Performs one swarm write operation (create/update/remove of a service, config, secret,
/// node label). A create that finds its object there already (made meanwhile) succeeds; so
/// does a removal of what is gone.
void perform_swarm(docker::Engine& engine, const Operation& op);

/// Waits until service `name` has `replicas` tasks running and no update under way (Swarm
/// counts a task of a service with a health check as running only once it is healthy), or,
/// for a job, until a task of its current run completed. `reason` tells why not: a rolled
/// back update, or the last task error at the timeout.
ReadyResult wait_service(docker::Engine& engine, const std::string& name, int replicas, bool job, int timeout_s,
                         const std::atomic<bool>* abort = nullptr);

}  // namespace supactl::plan

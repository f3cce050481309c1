// SPDX-License-Identifier: Apache-2.0
#pragma once

// Small helpers shared by the swarm module's files: list queries by label, and removal that
// waits while the Engine still says "in use".

#include <supactl/docker/engine.hpp>

#include <nlohmann/json.hpp>

#include <functional>
#include <string>

namespace supactl::swarm::detail {

/// `filters=...` (URL-encoded JSON) for a list call.
std::string filters_query(const nlohmann::json& filters);

/// `filters=` selecting the objects labelled com.docker.stack.namespace=`project`.
std::string namespace_query(const std::string& project);

/// Calls `remove` until it succeeds, the object is gone (not found), or `seconds` pass while
/// the Engine refuses (a network or volume stays in use until the tasks' containers are
/// gone). Returns whether `remove` succeeded; throws the last refusal at the deadline.
bool remove_patiently(const std::function<void()>& remove, int seconds);

}  // namespace supactl::swarm::detail

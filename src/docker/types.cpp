// SPDX-License-Identifier: Apache-2.0
//
// Decoding Docker's container state words and the list endpoint's Status text: the one place
// in supactl that reads them.
#include <supactl/docker/types.hpp>

#include <charconv>

namespace supactl::docker {

namespace {

struct RunStateName {
  RunState state;
  std::string_view name;
};

constexpr RunStateName k_run_states[] = {
    {RunState::created, "created"},   {RunState::running, "running"},
    {RunState::paused, "paused"},     {RunState::restarting, "restarting"},
    {RunState::removing, "removing"}, {RunState::exited, "exited"},
    {RunState::dead, "dead"},
};

}  // namespace

RunState parse_run_state(std::string_view word) {
  for (const RunStateName& s : k_run_states) {
    if (s.name == word) return s.state;
  }
  return RunState::unknown;
}

std::string_view to_string(RunState state) {
  for (const RunStateName& s : k_run_states) {
    if (s.state == state) return s.name;
  }
  return "unknown";
}

Health parse_health(std::string_view word) {
  if (word == "healthy") return Health::healthy;
  if (word == "unhealthy") return Health::unhealthy;
  if (word == "starting") return Health::starting;
  return Health::none;
}

std::string_view to_string(Health health) {
  switch (health) {
    case Health::starting: return "starting";
    case Health::healthy: return "healthy";
    case Health::unhealthy: return "unhealthy";
    case Health::none: break;
  }
  return "";
}

Health health_in_status_text(std::string_view status) {
  if (status.find("(healthy)") != std::string_view::npos) return Health::healthy;
  if (status.find("(unhealthy)") != std::string_view::npos) return Health::unhealthy;
  if (status.find("(health: starting)") != std::string_view::npos) return Health::starting;
  return Health::none;
}

int exit_code_in_status_text(std::string_view status) {
  constexpr std::string_view k_exited = "Exited (";
  if (status.substr(0, k_exited.size()) != k_exited) return -1;
  status.remove_prefix(k_exited.size());
  int code = -1;
  const auto [end, ec] = std::from_chars(status.data(), status.data() + status.size(), code);
  if (ec != std::errc() || end == status.data() + status.size() || *end != ')') return -1;
  return code;
}

}  // namespace supactl::docker

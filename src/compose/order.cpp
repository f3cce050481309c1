// SPDX-License-Identifier: Apache-2.0
//
// Dependency order of a project's services: Kahn's algorithm with an ordered ready set, so
// independent services come out alphabetically and the order is the same on every run. A
// cycle is named in full ("a -> b -> a") so the user can see which depends_on to cut.

#include <supactl/compose/model.hpp>
#include <supactl/core/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

namespace supactl::compose {
namespace {

/// Dependencies of each service, restricted to services of the project.
std::map<std::string, std::set<std::string>> dependency_graph(const Project& project) {
  std::map<std::string, std::set<std::string>> graph;
  for (const auto& [name, service] : project.services) {
    std::set<std::string>& deps = graph[name];
    for (const Dependency& d : service.depends_on) {
      if (project.services.count(d.service) != 0) deps.insert(d.service);
    }
  }
  return graph;
}

/// Follows dependencies from `start` among `remaining` until a service repeats.
std::vector<std::string> trace_cycle(const std::map<std::string, std::set<std::string>>& graph,
                                     const std::set<std::string>& remaining, const std::string& start) {
  std::vector<std::string> path{start};
  while (true) {
    const std::set<std::string>& deps = graph.at(path.back());
    auto next = std::find_if(deps.begin(), deps.end(), [&](const std::string& d) { return remaining.count(d) != 0; });
    auto seen = std::find(path.begin(), path.end(), *next);
    if (seen != path.end()) {
      std::vector<std::string> cycle(seen, path.end());
      cycle.push_back(*next);
      return cycle;
    }
    path.push_back(*next);
  }
}

}  // namespace

std::vector<std::string> topological_order(const Project& project) {
  std::map<std::string, std::set<std::string>> graph = dependency_graph(project);
  std::map<std::string, size_t> waiting;
  std::map<std::string, std::vector<std::string>> dependents;
  std::set<std::string> ready;
  for (const auto& [name, deps] : graph) {
    waiting[name] = deps.size();
    for (const std::string& d : deps) dependents[d].push_back(name);
    if (deps.empty()) ready.insert(name);
  }
  std::vector<std::string> order;
  while (!ready.empty()) {
    std::string next = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(next);
    for (const std::string& dependent : dependents[next]) {
      if (--waiting[dependent] == 0) ready.insert(dependent);
    }
  }
  if (order.size() != graph.size()) {
    std::set<std::string> remaining;
    for (const auto& [name, count] : waiting) {
      if (count != 0) remaining.insert(name);
    }
    std::vector<std::string> cycle = trace_cycle(graph, remaining, *remaining.begin());
    std::string text;
    for (const std::string& name : cycle) text += (text.empty() ? "" : " -> ") + name;
    throw Error(fmt::format("dependency cycle between services: {}", text), ExitCode::usage,
                "remove one of the depends_on entries in the cycle");
  }
  return order;
}

}  // namespace supactl::compose

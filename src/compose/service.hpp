// SPDX-License-Identifier: Apache-2.0
#pragma once

// Typing one merged, interpolated service mapping into a compose::Service.

#include "compose/interpolate.hpp"
#include "compose/tree.hpp"
#include "compose/values.hpp"

#include <supactl/compose/model.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace supactl::compose::detail {

/// What a service needs to know about the rest of the project.
struct ServiceContext {
  std::filesystem::path working_dir;
  const std::map<std::string, Volume>& volumes;
  const std::map<std::string, Network>& networks;  ///< declared ones; `default` is always valid
  const Variables& variables;
};

/// A typed service plus where its references were written, for project-level checks.
struct ReadService {
  Service service;
  Location where;
  std::map<std::string, Location> dependency_lines;
  Location container_name_line;
};

/// Reports problems of one service, network or volume: errors at a node's line, warnings for ignored keys.
class Reporter {
 public:
  /// `subject` opens every message, e.g. "service db" or "network backend".
  Reporter(std::string subject, Diagnostics& diagnostics) : m_subject(std::move(subject)), m_diagnostics(diagnostics) {}

  void error(const Node& at, const std::string& message);
  void unsupported(const std::string& key);
  void warning(const std::string& message);
  /// The scalar text of `node`, or an error naming `what` (nullptr when not a scalar).
  const std::string* scalar(const Node& node, const std::string& what);
  /// The items of a sequence of scalars (a lone scalar counts as one item), else an error.
  std::vector<std::string> strings(const Node& node, const std::string& what);
  /// Runs `parse`, turning a ValueError into an error at `at` prefixed with `what`.
  template <typename Parse>
  void guarded(const Node& at, const std::string& what, Parse parse);

 private:
  std::string m_subject;
  Diagnostics& m_diagnostics;
};

// Parts of a service, in service_parts.cpp.
void read_ports(const Node& node, docker::ContainerSpec& spec, Reporter& report);
void read_expose(const Node& node, docker::ContainerSpec& spec, Reporter& report);
void read_volumes(const Node& node, const ServiceContext& context, docker::ContainerSpec& spec, Reporter& report);
void read_tmpfs(const Node& node, docker::ContainerSpec& spec, Reporter& report);
void read_healthcheck(const Node& node, docker::ContainerSpec& spec, Reporter& report);

/// Types `node` (the service `name`). Problems go to `diagnostics`; unsupported keys become
/// warnings.
ReadService read_service(const std::string& name, const Node& node, const ServiceContext& context,
                         Diagnostics& diagnostics);

// --- Inline implementations ---

template <typename Parse>
void Reporter::guarded(const Node& at, const std::string& what, Parse parse) {
  try {
    parse();
  } catch (const ValueError& e) {
    error(at, what + ": " + e.what());
  }
}

}  // namespace supactl::compose::detail

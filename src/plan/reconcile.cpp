// SPDX-License-Identifier: Apache-2.0
//
// The reconciler: compares the compose model with the observed Engine state and writes down
// every operation needed, with its cause and its dependencies, as a Plan. It makes every
// decision of `up` and `down` and performs none: the executor only walks the DAG.
//
// Ordering rules encoded here:
//   - every pull finishes before any container is created;
//   - a container is created after the networks and volumes it needs;
//   - a container starts after its dependencies satisfy their depends_on condition
//     (started → their start op, healthy → their WaitReady, completed → their WaitCompleted);
//   - a recreate creates the new container under a temporary name first, then stops, removes
//     and renames, so the old one keeps serving until its replacement exists;
//   - `down` stops dependents before their dependencies (reverse order from the labels).
#include <supactl/plan/reconcile.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <map>
#include <set>

namespace supactl::plan {
namespace {

using compose::DependsCondition;

/// The ops other services wait on, per service.
struct ServiceOps {
  std::vector<int> started;
  std::vector<int> ready;
  std::vector<int> completed;
};

bool is_ours(const docker::Labels& labels, const std::string& project) {
  return docker::label_of(labels, compose::k_label_project) == project;
}

bool is_oneoff(const docker::Labels& labels) { return docker::label_of(labels, compose::k_label_oneoff) == "True"; }

int container_number(const docker::ContainerSummary& c) {
  return std::atoi(docker::label_of(c.labels, compose::k_label_number).c_str());
}

bool has_health_test(const compose::Service& s) {
  return s.spec.healthcheck && !s.spec.healthcheck->test.empty() && s.spec.healthcheck->test.front() != "NONE";
}

std::vector<int> concat(std::vector<int> a, const std::vector<int>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

/// An operation on one container of `service` (replica `number`).
Operation container_op(OpType type, const std::string& service, int number, const std::string& target,
                       std::vector<int> deps, const std::string& cause) {
  Operation op;
  op.type = type;
  op.service = service;
  op.number = number;
  op.target = target;
  op.deps = std::move(deps);
  op.cause = cause;
  return op;
}

/// Step 1. Images: every missing one is pulled. Returns the pull ids.
std::vector<int> plan_images(Plan& plan, const compose::Project& project, const ObservedState& observed) {
  std::set<std::string> refs;
  for (const auto& [name, s] : project.services) refs.insert(s.spec.image);
  std::vector<int> ids;
  for (const std::string& ref : refs) {
    if (observed.image_ids.count(ref) != 0) continue;
    Operation op;
    op.type = OpType::pull_image;
    op.target = ref;
    op.cause = "not present locally";
    ids.push_back(plan.add(std::move(op)));
  }
  return ids;
}

/// Step 2. Networks and volumes the project declares and the Engine lacks. Returns their ids.
std::vector<int> plan_infrastructure(Plan& plan, const compose::Project& project, const ObservedState& observed) {
  std::vector<int> ids;
  std::set<std::string> have_networks;
  for (const docker::NetworkInfo& n : observed.networks) have_networks.insert(n.name);
  for (const auto& [key, net] : project.networks) {
    if (net.external || have_networks.count(net.name) != 0) continue;
    Operation op;
    op.type = OpType::create_network;
    op.target = net.name;
    op.cause = "missing";
    op.network = docker::NetworkSpec{.name = net.name,
                                     .driver = net.driver,
                                     .internal = net.internal,
                                     .attachable = net.attachable,
                                     .labels = compose::network_labels(project, net)};
    ids.push_back(plan.add(std::move(op)));
  }
  std::set<std::string> have_volumes;
  for (const docker::VolumeInfo& v : observed.volumes) have_volumes.insert(v.name);
  for (const auto& [key, vol] : project.volumes) {
    if (vol.external || have_volumes.count(vol.name) != 0) continue;
    Operation op;
    op.type = OpType::create_volume;
    op.target = vol.name;
    op.cause = "missing";
    op.volume = docker::VolumeSpec{
        .name = vol.name, .driver = vol.driver, .labels = compose::volume_labels(project, vol), .driver_opts = {}};
    ids.push_back(plan.add(std::move(op)));
  }
  return ids;
}

/// Observed containers of a project, by service and replica number. Normally one each; an
/// interrupted recreate can leave a second one under its temporary name.
using Existing = std::map<std::string, std::map<int, std::vector<const docker::ContainerSummary*>>>;

/// Step 3, for one service: the operations that bring its replicas to the model, after the
/// services it depends on (their ops are in `done`).
class ServicePlanner {
 public:
  ServicePlanner(Plan& plan, const compose::Project& project, const ObservedState& observed, const UpOptions& options,
                 const std::string& name, bool one_shot, const std::map<std::string, ServiceOps>& done,
                 std::vector<int> infra)
      : m_plan(plan),
        m_project(project),
        m_observed(observed),
        m_options(options),
        m_name(name),
        m_service(project.services.at(name)),
        m_one_shot(one_shot),
        m_infra(std::move(infra)) {
    for (const compose::Dependency& d : m_service.depends_on) {
      auto dep_it = done.find(d.service);
      const ServiceOps dep = dep_it == done.end() ? ServiceOps{} : dep_it->second;
      switch (d.condition) {
        case DependsCondition::started: m_start_deps = concat(m_start_deps, dep.started); break;
        case DependsCondition::healthy: m_start_deps = concat(m_start_deps, dep.ready); break;
        case DependsCondition::completed_successfully: m_start_deps = concat(m_start_deps, dep.completed); break;
      }
    }
    auto timeout_it = options.service_wait_timeout_s.find(name);
    m_wait_timeout = timeout_it == options.service_wait_timeout_s.end() ? options.wait_timeout_s : timeout_it->second;
    m_hash = compose::config_hash(m_service);
  }

  /// Plans every replica, then the scale-down; returns what dependents wait on.
  ServiceOps plan(const std::map<int, std::vector<const docker::ContainerSummary*>>& have) {
    for (int n = 1; n <= m_service.replicas; ++n) {
      auto found = have.find(n);
      plan_replica(n, found == have.end() ? std::vector<const docker::ContainerSummary*>{} : found->second);
    }
    // Scale down: the highest numbers go first.
    for (auto it = have.rbegin(); it != have.rend(); ++it) {
      if (it->first <= m_service.replicas) continue;
      for (const docker::ContainerSummary* c : it->second) {
        const int stopped = add_container_op(OpType::stop_container, c->name, {}, "scale down", it->first);
        add_container_op(OpType::remove_container, c->name, {stopped}, "scale down", it->first);
      }
    }
    return m_ops;
  }

 private:
  void add_wait(const std::string& cname, std::vector<int> deps, const std::string& cause, int number) {
    Operation op = container_op(m_one_shot ? OpType::wait_completed : OpType::wait_ready, m_name, number, cname,
                                std::move(deps), cause);
    op.health = m_service.spec.healthcheck;
    op.timeout_s = m_wait_timeout;
    const int id = m_plan.add(std::move(op));
    (m_one_shot ? m_ops.completed : m_ops.ready).push_back(id);
  }

  void add_start(const std::string& cname, std::vector<int> deps, const std::string& cause, int number) {
    const int id = m_plan.add(
        container_op(OpType::start_container, m_name, number, cname, concat(std::move(deps), m_start_deps), cause));
    m_ops.started.push_back(id);
    add_wait(cname, {id}, "started", number);
  }

  int add_container_op(OpType type, const std::string& target, std::vector<int> deps, const std::string& cause,
                       int number) {
    Operation op = container_op(type, m_name, number, target, std::move(deps), cause);
    op.timeout_s = m_options.stop_timeout_s;
    return m_plan.add(std::move(op));
  }

  int add_create(docker::ContainerSpec spec, std::vector<int> deps, const std::string& cause, int number) {
    Operation op = container_op(OpType::create_container, m_name, number, spec.name, std::move(deps), cause);
    op.container = std::move(spec);
    return m_plan.add(std::move(op));
  }

  /// Removes a container of this service (stopping it first when it runs); returns the
  /// removal's op id.
  int remove_one(const docker::ContainerSummary& c, const std::string& cause, int number) {
    std::vector<int> deps;
    if (c.run_state() == docker::RunState::running || c.run_state() == docker::RunState::restarting) {
      deps.push_back(add_container_op(OpType::stop_container, c.name, {}, cause, number));
    }
    return add_container_op(OpType::remove_container, c.name, std::move(deps), cause, number);
  }

  /// Why an existing, up-to-date-looking container must be replaced; empty when it need not.
  std::string recreate_cause(const docker::ContainerSummary& c) const {
    if (m_options.recreate == Recreate::never) return {};
    if (m_options.recreate == Recreate::force) return "--force-recreate";
    if (docker::label_of(c.labels, compose::k_label_config_hash) != m_hash) return "config hash changed";
    auto img = m_observed.image_ids.find(m_service.spec.image);
    if (img == m_observed.image_ids.end()) return "image will be pulled";
    if (!c.image_id.empty() && c.image_id != img->second) return "image changed";
    return {};
  }

  void plan_replica(int n, const std::vector<const docker::ContainerSummary*>& found) {
    docker::ContainerSpec spec = compose::container_spec(m_project, m_service, n);
    const std::string cname = spec.name;
    // The replica under its own name; any other container of this replica is what an
    // interrupted recreate left behind (its new container, not yet renamed): it goes, and
    // only then is a container created, so a recreate's temporary name is free again.
    const docker::ContainerSummary* current = nullptr;
    std::vector<int> cleared = m_infra;
    for (const docker::ContainerSummary* c : found) {
      if (c->name == cname && current == nullptr) {
        current = c;
      } else {
        cleared.push_back(remove_one(*c, "left by an interrupted recreate", n));
      }
    }
    if (current == nullptr) {
      const int id = add_create(std::move(spec), cleared, "no existing container", n);
      add_start(cname, {id}, "created", n);
      return;
    }
    const docker::ContainerSummary& c = *current;
    if (const std::string why = recreate_cause(c); !why.empty()) {
      // compose's order: the replacement under a temporary name, then stop, remove, rename.
      const std::string tmp = c.id.substr(0, 12) + "_" + cname;
      spec.name = tmp;
      const int created = add_create(std::move(spec), cleared, why, n);
      const int stopped = add_container_op(OpType::stop_container, c.name, {created}, "replaced", n);
      const int removed = add_container_op(OpType::remove_container, c.name, {stopped}, "replaced", n);
      Operation rename =
          container_op(OpType::rename_container, m_name, n, tmp, {removed}, "replaces the old container");
      rename.new_name = cname;
      const int renamed = m_plan.add(std::move(rename));
      add_start(cname, {renamed}, "recreated", n);
      return;
    }
    switch (c.run_state()) {
      case docker::RunState::running:
        if (c.health() != docker::Health::healthy && has_health_test(m_service)) {
          add_wait(cname, {}, "running, not yet healthy", n);
        }
        return;
      case docker::RunState::restarting: add_wait(cname, {}, "restarting", n); return;
      case docker::RunState::exited:
        if (m_one_shot && c.exit_code() == 0) return;  // a job that already completed
        break;
      default: break;
    }
    add_start(cname, {}, fmt::format("was {}", c.state), n);
  }

  Plan& m_plan;
  const compose::Project& m_project;
  const ObservedState& m_observed;
  const UpOptions& m_options;
  const std::string m_name;
  const compose::Service& m_service;
  const bool m_one_shot;
  const std::vector<int> m_infra;
  std::vector<int> m_start_deps;
  int m_wait_timeout = 0;
  std::string m_hash;
  ServiceOps m_ops;
};

/// Step 4. Orphans: containers of the project whose service is no longer in the model
/// (removed with --remove-orphans, else a warning).
void plan_orphans(Plan& plan, const compose::Project& project, const ObservedState& observed,
                  const UpOptions& options) {
  for (const docker::ContainerSummary& c : observed.containers) {
    if (!is_ours(c.labels, project.name)) continue;
    const std::string svc = docker::label_of(c.labels, compose::k_label_service);
    if (project.services.count(svc) != 0 && !is_oneoff(c.labels)) continue;
    if (!options.remove_orphans) {
      plan.warnings.push_back(
          fmt::format("container {} (service {}) is not in the model; --remove-orphans removes it", c.name, svc));
      continue;
    }
    Operation stop = container_op(OpType::stop_container, svc, container_number(c), c.name, {}, "orphan");
    stop.timeout_s = options.stop_timeout_s;
    const int stopped = plan.add(stop);
    Operation rm = stop;
    rm.type = OpType::remove_container;
    rm.deps = {stopped};
    plan.add(std::move(rm));
  }
}

}  // namespace

int exit_code_from_status(const std::string& status) { return docker::exit_code_in_status_text(status); }

Plan reconcile_up(const compose::Project& project, const ObservedState& observed, const UpOptions& options) {
  Plan plan;
  // Every create waits for all pulls and for the networks and volumes.
  std::vector<int> infra = plan_images(plan, project, observed);  // pulls first: ids in plan order
  infra = concat(std::move(infra), plan_infrastructure(plan, project, observed));

  // Services that others wait on with service_completed_successfully run once and exit.
  std::set<std::string> one_shot;
  for (const auto& [name, s] : project.services) {
    for (const compose::Dependency& d : s.depends_on) {
      if (d.condition == DependsCondition::completed_successfully) one_shot.insert(d.service);
    }
  }
  Existing existing;
  for (const docker::ContainerSummary& c : observed.containers) {
    if (!is_ours(c.labels, project.name) || is_oneoff(c.labels)) continue;
    existing[docker::label_of(c.labels, compose::k_label_service)][container_number(c)].push_back(&c);
  }

  // Step 3. Containers, dependencies first.
  std::map<std::string, ServiceOps> done;
  for (const std::string& name : compose::topological_order(project)) {
    ServicePlanner planner(plan, project, observed, options, name, one_shot.count(name) != 0, done, infra);
    done[name] = planner.plan(existing[name]);
  }
  plan_orphans(plan, project, observed, options);
  return plan;
}

Plan reconcile_down(const ObservedState& observed, const DownOptions& options) {
  Plan plan;
  // Which services each service depends on, from the containers' own labels.
  std::map<std::string, std::set<std::string>> deps_of;
  for (const docker::ContainerSummary& c : observed.containers) {
    const std::string svc = docker::label_of(c.labels, compose::k_label_service);
    const std::string list = docker::label_of(c.labels, compose::k_label_depends_on);
    size_t start = 0;
    while (start < list.size()) {
      size_t end = list.find(',', start);
      if (end == std::string::npos) end = list.size();
      std::string item = list.substr(start, end - start);
      std::string dep = item.substr(0, item.find(':'));
      if (!dep.empty()) deps_of[svc].insert(dep);
      start = end + 1;
    }
  }
  // Stop order: a service stops once every service depending on it has stopped. Visit
  // services so that dependents come first (reverse topological order over the labels).
  std::vector<const docker::ContainerSummary*> sorted;
  for (const docker::ContainerSummary& c : observed.containers) sorted.push_back(&c);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->name < b->name; });

  std::map<std::string, std::vector<int>> stop_ops;  // service -> its stop/remove-ready ops
  std::set<std::string> visited;
  std::vector<int> removals;
  std::function<void(const std::string&)> visit = [&](const std::string& svc) {
    if (!visited.insert(svc).second) return;
    std::vector<int> after;  // stops of services that depend on svc
    for (const auto& [other, deps] : deps_of) {
      if (other != svc && deps.count(svc) != 0) {
        visit(other);
        after = concat(after, stop_ops[other]);
      }
    }
    for (const docker::ContainerSummary* c : sorted) {
      if (docker::label_of(c->labels, compose::k_label_service) != svc) continue;
      int last = 0;
      Operation op;
      op.service = svc;
      op.number = container_number(*c);
      op.target = c->name;
      op.timeout_s = options.stop_timeout_s;
      if (c->run_state() == docker::RunState::running || c->run_state() == docker::RunState::restarting ||
          c->run_state() == docker::RunState::paused) {
        op.type = OpType::stop_container;
        op.deps = after;
        op.cause = "down";
        last = plan.add(op);
        stop_ops[svc].push_back(last);
      }
      op.type = OpType::remove_container;
      op.deps = last != 0 ? std::vector<int>{last} : after;
      op.cause = "down";
      int rm = plan.add(op);
      if (last == 0) stop_ops[svc].push_back(rm);
      removals.push_back(rm);
    }
  };
  std::set<std::string> services;
  for (const docker::ContainerSummary* c : sorted)
    services.insert(docker::label_of(c->labels, compose::k_label_service));
  for (const std::string& svc : services) visit(svc);

  for (const docker::NetworkInfo& n : observed.networks) {
    Operation op;
    op.type = OpType::remove_network;
    op.target = n.name;
    op.deps = removals;
    op.cause = "down";
    plan.add(std::move(op));
  }
  if (options.remove_volumes) {
    for (const docker::VolumeInfo& v : observed.volumes) {
      Operation op;
      op.type = OpType::remove_volume;
      op.target = v.name;
      op.deps = removals;
      op.cause = "down --volumes";
      plan.add(std::move(op));
    }
  }
  return plan;
}

ObservedState observe(docker::Engine& engine, const std::string& project, const std::vector<std::string>& image_refs) {
  ObservedState state;
  docker::Filters by_project;
  by_project.label(compose::k_label_project, project);
  state.containers = engine.list_containers(by_project, /*all=*/true);
  state.networks = engine.list_networks(by_project);
  state.volumes = engine.list_volumes(by_project);
  if (!image_refs.empty()) {
    std::set<std::string> wanted(image_refs.begin(), image_refs.end());
    for (const docker::ImageInfo& img : engine.list_images({})) {
      for (const std::string& tag : img.repo_tags) {
        if (wanted.count(tag) != 0) state.image_ids[tag] = img.id;
        // Docker Hub names are listed without the implicit "docker.io/library/" prefix.
        if (wanted.count("docker.io/" + tag) != 0) state.image_ids["docker.io/" + tag] = img.id;
      }
    }
  }
  // Deterministic order for the reconciler and its golden tests.
  std::sort(state.containers.begin(), state.containers.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  std::sort(state.networks.begin(), state.networks.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  std::sort(state.volumes.begin(), state.volumes.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return state;
}

}  // namespace supactl::plan

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
#include <map>
#include <functional>
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

std::string label_or(const docker::Labels& labels, const std::string& key) {
  auto it = labels.find(key);
  return it == labels.end() ? std::string() : it->second;
}

bool is_ours(const docker::Labels& labels, const std::string& project) {
  return label_or(labels, compose::k_label_project) == project;
}

bool is_oneoff(const docker::Labels& labels) {
  return label_or(labels, compose::k_label_oneoff) == "True";
}

int container_number(const docker::ContainerSummary& c) {
  return std::atoi(label_or(c.labels, compose::k_label_number).c_str());
}

bool has_health_test(const compose::Service& s) {
  return s.spec.healthcheck && !s.spec.healthcheck->test.empty() &&
         s.spec.healthcheck->test.front() != "NONE";
}

/// Why an existing, up-to-date-looking container must be replaced; empty when it need not.
std::string recreate_cause(const compose::Service& s, const std::string& hash,
                           const docker::ContainerSummary& c, const ObservedState& observed,
                           Recreate policy) {
  if (policy == Recreate::never) return {};
  if (policy == Recreate::force) return "--force-recreate";
  if (label_or(c.labels, compose::k_label_config_hash) != hash) return "config hash changed";
  auto img = observed.image_ids.find(s.spec.image);
  if (img == observed.image_ids.end()) return "image will be pulled";
  if (!c.image_id.empty() && c.image_id != img->second) return "image changed";
  return {};
}

std::vector<int> concat(std::vector<int> a, const std::vector<int>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

int exit_code_from_status(const std::string& status) {
  // "Exited (137) 2 minutes ago"
  if (status.rfind("Exited (", 0) != 0) return -1;
  return std::atoi(status.c_str() + 8);
}

Plan reconcile_up(const compose::Project& project, const ObservedState& observed,
                  const UpOptions& options) {
  Plan plan;

  // 1. Images: every missing one is pulled, and every create waits for all pulls.
  std::set<std::string> refs;
  for (const auto& [name, s] : project.services) refs.insert(s.spec.image);
  std::vector<int> infra;
  for (const std::string& ref : refs) {
    if (observed.image_ids.count(ref) != 0) continue;
    Operation op;
    op.type = OpType::pull_image;
    op.target = ref;
    op.cause = "not present locally";
    infra.push_back(plan.add(std::move(op)));
  }

  // 2. Networks and volumes the project declares and the Engine lacks.
  std::set<std::string> have_networks;
  for (const docker::NetworkInfo& n : observed.networks) have_networks.insert(n.name);
  for (const auto& [key, net] : project.networks) {
    if (net.external || have_networks.count(net.name) != 0) continue;
    Operation op;
    op.type = OpType::create_network;
    op.target = net.name;
    op.cause = "missing";
    docker::NetworkSpec spec{.name = net.name,
                             .driver = net.driver,
                             .internal = net.internal,
                             .attachable = net.attachable,
                             .labels = compose::network_labels(project, net)};
    op.network = std::move(spec);
    infra.push_back(plan.add(std::move(op)));
  }
  std::set<std::string> have_volumes;
  for (const docker::VolumeInfo& v : observed.volumes) have_volumes.insert(v.name);
  for (const auto& [key, vol] : project.volumes) {
    if (vol.external || have_volumes.count(vol.name) != 0) continue;
    Operation op;
    op.type = OpType::create_volume;
    op.target = vol.name;
    op.cause = "missing";
    docker::VolumeSpec spec{
        .name = vol.name, .driver = vol.driver, .labels = compose::volume_labels(project, vol), .driver_opts = {}};
    op.volume = std::move(spec);
    infra.push_back(plan.add(std::move(op)));
  }

  // Services that others wait on with service_completed_successfully run once and exit.
  std::set<std::string> one_shot;
  for (const auto& [name, s] : project.services) {
    for (const compose::Dependency& d : s.depends_on) {
      if (d.condition == DependsCondition::completed_successfully) one_shot.insert(d.service);
    }
  }

  // Observed containers of this project, by service and replica number. Normally one each;
  // an interrupted recreate can leave a second one under its temporary name.
  std::map<std::string, std::map<int, std::vector<const docker::ContainerSummary*>>> existing;
  for (const docker::ContainerSummary& c : observed.containers) {
    if (!is_ours(c.labels, project.name) || is_oneoff(c.labels)) continue;
    existing[label_or(c.labels, compose::k_label_service)][container_number(c)].push_back(&c);
  }

  // 3. Containers, dependencies first.
  std::map<std::string, ServiceOps> done;
  for (const std::string& name : compose::topological_order(project)) {
    const compose::Service& s = project.services.at(name);
    std::vector<int> start_deps;
    for (const compose::Dependency& d : s.depends_on) {
      const ServiceOps& dep = done[d.service];
      switch (d.condition) {
        case DependsCondition::started: start_deps = concat(start_deps, dep.started); break;
        case DependsCondition::healthy: start_deps = concat(start_deps, dep.ready); break;
        case DependsCondition::completed_successfully:
          start_deps = concat(start_deps, dep.completed);
          break;
      }
    }
    const std::string hash = compose::config_hash(s);
    auto timeout_it = options.service_wait_timeout_s.find(name);
    const int wait_timeout =
        timeout_it == options.service_wait_timeout_s.end() ? options.wait_timeout_s : timeout_it->second;
    ServiceOps& mine = done[name];
    const auto& have = existing[name];

    auto add_wait = [&](const std::string& cname, std::vector<int> deps, const std::string& cause,
                        int number) {
      Operation op;
      op.type = one_shot.count(name) != 0 ? OpType::wait_completed : OpType::wait_ready;
      op.service = name;
      op.number = number;
      op.target = cname;
      op.deps = std::move(deps);
      op.cause = cause;
      op.health = s.spec.healthcheck;
      op.timeout_s = wait_timeout;
      int id = plan.add(std::move(op));
      (one_shot.count(name) != 0 ? mine.completed : mine.ready).push_back(id);
    };
    auto add_start = [&](const std::string& cname, std::vector<int> deps, const std::string& cause,
                         int number) {
      Operation op;
      op.type = OpType::start_container;
      op.service = name;
      op.number = number;
      op.target = cname;
      op.deps = concat(std::move(deps), start_deps);
      op.cause = cause;
      int id = plan.add(std::move(op));
      mine.started.push_back(id);
      add_wait(cname, {id}, "started", number);
    };
    auto add_container_op = [&](OpType type, const std::string& target, std::vector<int> deps,
                                const std::string& cause, int number) {
      Operation op;
      op.type = type;
      op.service = name;
      op.number = number;
      op.target = target;
      op.deps = std::move(deps);
      op.cause = cause;
      op.timeout_s = options.stop_timeout_s;
      return plan.add(std::move(op));
    };

    // Removes a container of this service (stopping it first when it runs); returns the
    // removal's op id.
    auto remove_one = [&](const docker::ContainerSummary& c, const std::string& cause, int number) {
      std::vector<int> deps;
      if (c.state == "running" || c.state == "restarting") {
        deps.push_back(add_container_op(OpType::stop_container, c.name, {}, cause, number));
      }
      return add_container_op(OpType::remove_container, c.name, std::move(deps), cause, number);
    };

    for (int n = 1; n <= s.replicas; ++n) {
      docker::ContainerSpec spec = compose::container_spec(project, s, n);
      const std::string cname = spec.name;
      // The replica under its own name; any other container of this replica is what an
      // interrupted recreate left behind (its new container, not yet renamed): it goes, and
      // only then is a container created, so a recreate's temporary name is free again.
      const docker::ContainerSummary* current = nullptr;
      std::vector<int> cleared = infra;
      if (auto found = have.find(n); found != have.end()) {
        for (const docker::ContainerSummary* c : found->second) {
          if (c->name == cname && current == nullptr) {
            current = c;
          } else {
            cleared.push_back(remove_one(*c, "left by an interrupted recreate", n));
          }
        }
      }
      if (current == nullptr) {
        Operation create;
        create.type = OpType::create_container;
        create.service = name;
        create.number = n;
        create.target = cname;
        create.deps = cleared;
        create.cause = "no existing container";
        create.container = std::move(spec);
        int id = plan.add(std::move(create));
        add_start(cname, {id}, "created", n);
        continue;
      }
      const docker::ContainerSummary& c = *current;
      std::string why = recreate_cause(s, hash, c, observed, options.recreate);
      if (!why.empty()) {
        const std::string tmp = c.id.substr(0, 12) + "_" + cname;
        spec.name = tmp;
        Operation create;
        create.type = OpType::create_container;
        create.service = name;
        create.number = n;
        create.target = tmp;
        create.deps = cleared;
        create.cause = why;
        create.container = std::move(spec);
        int created = plan.add(std::move(create));
        int stopped = add_container_op(OpType::stop_container, c.name, {created}, "replaced", n);
        int removed = add_container_op(OpType::remove_container, c.name, {stopped}, "replaced", n);
        Operation rename;
        rename.type = OpType::rename_container;
        rename.service = name;
        rename.number = n;
        rename.target = tmp;
        rename.new_name = cname;
        rename.deps = {removed};
        rename.cause = "replaces the old container";
        int renamed = plan.add(std::move(rename));
        add_start(cname, {renamed}, "recreated", n);
        continue;
      }
      if (c.state == "running") {
        bool healthy = c.status.find("(healthy)") != std::string::npos;
        if (!healthy && has_health_test(s)) add_wait(cname, {}, "running, not yet healthy", n);
        continue;
      }
      if (c.state == "restarting") {
        add_wait(cname, {}, "restarting", n);
        continue;
      }
      if (c.state == "exited" && one_shot.count(name) != 0 && exit_code_from_status(c.status) == 0) {
        continue;  // a job that already completed
      }
      add_start(cname, {}, fmt::format("was {}", c.state), n);
    }

    // Scale down: the highest numbers go first.
    for (auto it = have.rbegin(); it != have.rend(); ++it) {
      if (it->first <= s.replicas) continue;
      for (const docker::ContainerSummary* c : it->second) {
        int stopped = add_container_op(OpType::stop_container, c->name, {}, "scale down", it->first);
        add_container_op(OpType::remove_container, c->name, {stopped}, "scale down", it->first);
      }
    }
  }

  // 4. Orphans: containers of the project whose service is no longer in the model.
  for (const docker::ContainerSummary& c : observed.containers) {
    if (!is_ours(c.labels, project.name)) continue;
    const std::string svc = label_or(c.labels, compose::k_label_service);
    if (project.services.count(svc) != 0 && !is_oneoff(c.labels)) continue;
    if (!options.remove_orphans) {
      plan.warnings.push_back(fmt::format(
          "container {} (service {}) is not in the model; --remove-orphans removes it", c.name, svc));
      continue;
    }
    Operation stop;
    stop.type = OpType::stop_container;
    stop.service = svc;
    stop.number = container_number(c);
    stop.target = c.name;
    stop.cause = "orphan";
    stop.timeout_s = options.stop_timeout_s;
    int stopped = plan.add(stop);
    Operation rm = stop;
    rm.type = OpType::remove_container;
    rm.deps = {stopped};
    plan.add(std::move(rm));
  }
  return plan;
}

Plan reconcile_down(const ObservedState& observed, const DownOptions& options) {
  Plan plan;
  // Which services each service depends on, from the containers' own labels.
  std::map<std::string, std::set<std::string>> deps_of;
  for (const docker::ContainerSummary& c : observed.containers) {
    const std::string svc = label_or(c.labels, compose::k_label_service);
    const std::string list = label_or(c.labels, compose::k_label_depends_on);
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
      if (label_or(c->labels, compose::k_label_service) != svc) continue;
      int last = 0;
      Operation op;
      op.service = svc;
      op.number = container_number(*c);
      op.target = c->name;
      op.timeout_s = options.stop_timeout_s;
      if (c->state == "running" || c->state == "restarting" || c->state == "paused") {
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
  for (const docker::ContainerSummary* c : sorted) services.insert(label_or(c->labels, compose::k_label_service));
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

ObservedState observe(docker::Engine& engine, const std::string& project,
                      const std::vector<std::string>& image_refs) {
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
  std::sort(state.networks.begin(), state.networks.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  std::sort(state.volumes.begin(), state.volumes.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return state;
}

}  // namespace supactl::plan

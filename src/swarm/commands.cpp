// SPDX-License-Identifier: Apache-2.0
//
// `up`, `down` and `status` of a swarm project. `up` sequences load → observe → desired →
// reconcile → execute like stack::up; `down` and `status` work from labels alone.
#include <supactl/swarm/swarm.hpp>

#include <supactl/core/error.hpp>
#include <supactl/core/log.hpp>

#include "docker/transport.hpp"
#include "swarm/query.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

namespace supactl::swarm {
namespace {

using nlohmann::json;

using detail::filters_query;
using detail::namespace_query;
using detail::remove_patiently;

std::vector<std::string> strings_of(const json& j) {
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const json& s : j) {
    if (s.is_string()) out.push_back(s.get<std::string>());
  }
  return out;
}

/// Entrypoint and command of each image the project uses; pulls those this Engine lacks
/// (unless `pull` is false: a dry run then goes on without them).
void read_image_commands(docker::Engine& engine, const compose::Project& project, bool pull, Options& options) {
  for (const auto& [name, s] : project.services) {
    const std::string& ref = s.spec.image;
    if (options.image_commands.count(ref) != 0) continue;
    const std::string path = "/images/" + ref + "/json";
    json image;
    try {
      image = engine.call_json("GET", path, nullptr, "inspect image " + ref);
    } catch (const docker::EngineError& e) {
      if (e.kind() != docker::ErrorKind::not_found || !pull) continue;
      core::PhaseTimer t("pull " + ref);
      engine.pull_image(ref, {});
      image = engine.call_json("GET", path, nullptr, "inspect image " + ref);
    }
    const json config = image.value("Config", json::object());
    options.image_commands[ref] = {strings_of(config.value("Entrypoint", json())),
                                   strings_of(config.value("Cmd", json()))};
  }
}

/// The project's objects of `kind` (services, networks, configs, secrets) as (id, name).
std::vector<std::pair<std::string, std::string>> list_named(docker::Engine& engine, const std::string& kind,
                                                            const std::string& project) {
  std::vector<std::pair<std::string, std::string>> out;
  const json list = engine.call_json("GET", "/" + kind + "?" + namespace_query(project), nullptr, "list " + kind);
  for (const json& item : list) {
    const std::string id = item.value("ID", item.value("Id", ""));
    out.emplace_back(id, item.contains("Spec") ? item["Spec"].value("Name", id) : item.value("Name", id));
  }
  return out;
}

/// The project's volumes on the node of `engine` (found by the compose project label).
std::vector<docker::VolumeInfo> volumes_here(docker::Engine& engine, const std::string& project) {
  docker::Filters f;
  f.add("label", std::string(compose::k_label_project) + "=" + project);
  return engine.list_volumes(f);
}

/// Deletes what `list` returns (by id) with `remove`, retrying for up to `seconds` while the
/// Engine still says it is in use (task containers go away a moment after their service).
std::vector<std::string> remove_all(docker::Engine& engine, const std::string& kind, const std::string& project,
                                    int seconds) {
  std::vector<std::string> removed;
  for (const auto& named : list_named(engine, kind, project)) {
    const std::string& id = named.first;
    const std::string& name = named.second;
    if (remove_patiently(
            [&] {
              engine.call_json("DELETE", "/" + kind + "/" + id, nullptr, fmt::format("remove {} {}", kind, name));
            },
            seconds)) {
      removed.push_back(fmt::format("{} {}", kind, name));
    }
  }
  return removed;
}

/// The image of `project`'s db service ("" when there is none): it has sh and curl, which the
/// volume removal job needs.
std::string db_image(docker::Engine& engine, const std::string& project) {
  for (const json& s :
       engine.call_json("GET", "/services?" + namespace_query(project), nullptr, "list services of " + project)) {
    const json spec = s.value("Spec", json::object());
    if (spec.value("Labels", json::object()).value(k_label_service, "") == "db") {
      return spec.value("/TaskTemplate/ContainerSpec/Image"_json_pointer, std::string());
    }
  }
  return {};
}

/// Runs the volume removal job until its task on every node that runs one has ended (or 120
/// s), then reads what they printed and removes the job. Returns the volumes removed.
std::vector<std::string> remove_volumes_everywhere(docker::Engine& engine, const std::string& project,
                                                   const std::string& image) {
  const json spec = volume_removal_job(project, image);
  const std::string name = spec.value("Name", "");
  const std::string id =
      engine.call_json("POST", "/services/create", spec, "create service " + name).value("ID", std::string());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  std::vector<std::string> unfinished;
  std::vector<std::string> failed;
  for (;;) {
    unfinished.clear();
    failed.clear();
    const json tasks =
        engine.call_json("GET", "/tasks?" + filters_query({{"service", {id}}}), nullptr, "list the tasks of " + name);
    for (const json& t : tasks) {
      const std::string state = t.value("/Status/State"_json_pointer, std::string());
      const std::string node = t.value("NodeID", std::string()).substr(0, 12);
      if (state == "failed" || state == "rejected") {
        failed.push_back(fmt::format("{} ({})", node, t.value("/Status/Err"_json_pointer, state)));
      } else if (state != "complete" && state != "shutdown") {
        unfinished.push_back(node);
      }
    }
    if ((!tasks.empty() && unfinished.empty()) || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  std::string printed;
  try {
    docker::LogOptions logs;
    engine.service_logs(id, logs, [&](docker::StreamKind, std::string_view chunk) {
      printed.append(chunk);
      return true;
    });
  } catch (const Error& e) {
    spdlog::warn("what {} printed could not be read: {}", name, e.what());
  }
  remove_patiently([&] { engine.call_json("DELETE", "/services/" + id, nullptr, "remove service " + name); }, 30);
  std::vector<std::string> removed;
  std::vector<std::string> kept;
  std::istringstream in(printed);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("removed ", 0) == 0) removed.push_back("volumes " + line.substr(8));
    if (line.rfind("kept ", 0) == 0) kept.push_back(line.substr(5));
  }
  for (const std::string& node : unfinished) {
    spdlog::warn(
        "node {} did not remove the volumes of {} within 120 s (is it down?); run `supactl down {} "
        "--volumes --yes` again once it is up",
        node, project, project);
  }
  if (!kept.empty() || !failed.empty()) {
    std::string what;
    for (const std::string& k : kept) what += (what.empty() ? "" : "; ") + k;
    for (const std::string& f : failed) what += (what.empty() ? "" : "; ") + ("node " + f);
    throw Error(
        fmt::format("some volumes of {} were not removed: {}", project, what), ExitCode::failure,
        fmt::format("see `docker volume ls` on those nodes; `supactl down {} --volumes --yes` tries again", project));
  }
  return removed;
}

}  // namespace

std::string volume_removal_script(const std::string& project) {
  const std::string filters =
      docker::url_encode(json{{"label", {std::string(k_label_namespace) + "=" + project}}}.dump());
  // First the stack's containers that Swarm left behind when their services went (one-shot
  // jobs', relay jobs': exited, with their logs and anonymous volumes): they may hold a volume.
  const std::string left = docker::url_encode(
      json{{"label", {std::string(k_label_namespace) + "=" + project}}, {"status", {"exited", "dead"}}}.dump());
  return "api() { curl -sS --unix-socket /var/run/docker.sock \"$@\"; }\n"
         "for c in $(api 'http://localhost/containers/json?all=1&filters=" +
         left +
         "' | grep -o '\"Id\":\"[0-9a-f]*\"' | cut -d'\"' -f4); do\n"
         "  api -o /dev/null -X DELETE \"http://localhost/containers/$c?v=1&force=1\" || true\n"
         "done\n"
         "list=$(api 'http://localhost/volumes?filters=" +
         filters +
         "') || {\n"
         "  echo \"kept the volumes of one node: no Docker Engine answers at its /var/run/docker.sock (a rootless "
         "Engine?)\"\n"
         "  exit 1\n"
         "}\n"
         "status=0\n"
         "for v in $(printf '%s\\n' \"$list\" | grep -o '\"Name\":\"[^\"]*\"' | cut -d'\"' -f4); do\n"
         "  tries=0\n"
         "  while :; do\n"
         "    code=$(api -o /tmp/supactl-answer -w '%{http_code}' -X DELETE \"http://localhost/volumes/$v\")\n"
         "    [ \"$code\" = 409 ] && [ \"$tries\" -lt 60 ] || break\n"
         "    tries=$((tries + 1))\n"
         "    sleep 1\n"
         "  done\n"
         "  case \"$code\" in\n"
         "    204) echo \"removed $v\" ;;\n"
         "    404) ;;\n"
         "    *) echo \"kept $v: $code $(cat /tmp/supactl-answer 2>/dev/null)\"; status=1 ;;\n"
         "  esac\n"
         "done\n"
         "exit \"$status\"\n";
}

std::string rendered_db_image(const std::filesystem::path& instance_dir) {
  try {
    const YAML::Node compose = YAML::LoadFile((instance_dir / "rendered" / "compose.yml").string());
    const YAML::Node image = compose["services"]["db"]["image"];
    if (image && image.IsScalar()) return image.as<std::string>();
  } catch (const std::exception& e) {
    spdlog::debug("no db image from the rendered compose file of {}: {}", instance_dir.string(), e.what());
  }
  return {};
}

json volume_removal_job(const std::string& project, const std::string& image) {
  const json labels = {
      {k_label_namespace, project}, {"dev.supactl.instance", project}, {k_label_service, "supactl-volume-removal"}};
  return {{"Name", project + "_supactl-volume-removal"},
          {"Labels", labels},
          {"Mode", {{"GlobalJob", json::object()}}},
          {"TaskTemplate",
           {{"ContainerSpec",
             {{"Image", image},
              {"Command", {"sh", "-c", volume_removal_script(project)}},
              {"User", "0"},
              {"Labels", labels},
              {"Mounts", job_mounts()}}},
            {"RestartPolicy", {{"Condition", "none"}}}}}};
}

json job_mounts() {
  // The node's Engine; and a tmpfs where the db image declares a VOLUME, so that the job's
  // container leaves no anonymous volume behind.
  return json::array({{{"Type", "bind"}, {"Source", "/var/run/docker.sock"}, {"Target", "/var/run/docker.sock"}},
                      {{"Type", "tmpfs"}, {"Target", "/var/lib/postgresql/data"}}});
}

std::string manager_node_id(const json& info) {
  if (!info.value("/Swarm/ControlAvailable"_json_pointer, false)) return {};
  return info.value("/Swarm/NodeID"_json_pointer, std::string());
}

std::string task_node_elsewhere(docker::Engine& engine, const std::string& project, const std::string& service) {
  try {
    const std::string self = manager_node_id(engine.info());
    if (self.empty()) return {};
    const json tasks = engine.call_json(
        "GET", "/tasks?" + filters_query({{"service", {project + "_" + service}}, {"desired-state", {"running"}}}),
        nullptr, "list the tasks of " + project + "_" + service);
    for (const json& task : tasks) {
      const std::string node = task.value("NodeID", std::string());
      if (node.empty() || node == self || task.value("/Status/State"_json_pointer, std::string()) != "running") {
        continue;
      }
      const json n = engine.call_json("GET", "/nodes/" + node, nullptr, "inspect node " + node);
      const std::string host = n.value("/Description/Hostname"_json_pointer, std::string());
      return fmt::format("{} ({})", host.empty() ? std::string("?") : host, node.substr(0, 12));
    }
  } catch (const Error& e) {
    spdlog::debug("where the tasks of {}_{} run is not known: {}", project, service, e.what());
  }
  return {};
}

int force_update(docker::Engine& engine, const std::string& service) {
  const std::string path = "/services/" + docker::url_encode(service);
  const json current = engine.call_json("GET", path, nullptr, "inspect service " + service);
  json spec = current.value("Spec", json::object());
  json& task = spec["TaskTemplate"];
  task["ForceUpdate"] = task.value("ForceUpdate", 0) + 1;
  const int64_t version = current.value("/Version/Index"_json_pointer, int64_t{0});
  engine.call_json("POST", path + "/update?version=" + std::to_string(version), spec, "update service " + service);
  return spec.value("/Mode/Replicated/Replicas"_json_pointer, 1);
}

UpResult up(docker::Engine& engine, const UpRequest& request, plan::Progress& progress) {
  UpResult result;
  const uint64_t before = engine.request_count();
  {
    core::PhaseTimer t("load compose model");
    result.project = compose::load(request.compose);
  }
  for (const std::string& w : result.project.warnings) spdlog::warn("{}", w);
  Observed observed;
  {
    core::PhaseTimer t("observe swarm");
    observed = observe(engine, result.project.name);
  }
  if (!observed.manager) {
    throw Error(fmt::format("instance {} runs on Docker Swarm (engine.mode: swarm), and this Docker Engine is not a "
                            "swarm manager; nothing was changed",
                            result.project.name),
                ExitCode::usage,
                "run `docker swarm init` (or point DOCKER_HOST at a manager), or set engine.mode: standalone");
  }
  Options options = request.options;
  options.project = result.project.name;
  if (!request.compose.stands_for.empty() && !request.compose.files.empty()) {
    options.files_from = request.compose.stands_for;
    options.files_at = request.compose.files.front().parent_path();
  }
  read_image_commands(engine, result.project, !request.dry_run, options);
  Desired want;
  {
    core::PhaseTimer t("desired swarm objects");
    want = desired(result.project, options);
  }
  std::set<std::string> stateful;
  for (const auto& [name, s] : want.services) {
    if (s.stateful) stateful.insert(name);
  }
  ReconcileOptions reconcile_options;
  reconcile_options.wait_timeout_s = request.wait_timeout_s;
  reconcile_options.placement = resolve_placement(observed, stateful, request.placement);
  {
    core::PhaseTimer t("reconcile swarm");
    result.plan = reconcile(want, observed, reconcile_options);
  }
  if (!request.dry_run) {
    core::PhaseTimer t("execute");
    plan::ExecuteOptions execute = request.execute;
    execute.project.clear();  // no container events to follow: waits read tasks
    result.report = plan::execute(engine, result.plan, progress, execute);
  }
  result.engine_requests = engine.request_count() - before;
  return result;
}

std::vector<std::string> down_preview(docker::Engine& engine, const std::string& project, bool remove_volumes) {
  std::vector<std::string> out;
  for (const char* kind : {"services", "networks", "configs", "secrets"}) {
    for (const auto& named : list_named(engine, kind, project)) out.push_back(fmt::format("{} {}", kind, named.second));
  }
  if (remove_volumes) {
    for (const docker::VolumeInfo& v : volumes_here(engine, project)) out.push_back("volumes " + v.name);
  }
  return out;
}

std::vector<std::string> down(docker::Engine& engine, const std::string& project, bool remove_volumes,
                              const std::string& image_hint) {
  // The image for the volume removal job on the other nodes, read while the db service exists.
  std::string job_image = remove_volumes ? db_image(engine, project) : std::string();
  if (job_image.empty()) job_image = image_hint;
  std::vector<std::string> removed = remove_all(engine, "services", project, 10);
  // Networks, configs and secrets stay in use until the tasks' containers are gone.
  for (const char* kind : {"networks", "configs", "secrets"}) {
    for (std::string& r : remove_all(engine, kind, project, 60)) removed.push_back(std::move(r));
  }
  // The Engine forgets a removed network, and removes the tasks' containers, a moment later:
  // `down` returns when nothing of the project is left here. A one-shot job's exited container
  // is kept by Swarm after its service went: it is removed here, with its anonymous volumes.
  const auto settle = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    docker::Filters f;
    f.add("label", std::string(k_label_namespace) + "=" + project);
    bool left = false;
    for (const docker::ContainerSummary& c : engine.list_containers(f, true)) {
      left = true;
      if (c.state != "exited" && c.state != "dead") continue;
      try {
        engine.remove_container(c.id, true, true);
      } catch (const docker::EngineError& e) {
        spdlog::debug("container {} of {}: {}", c.id.substr(0, 12), project, e.what());
      }
    }
    left = left || !engine.call_json("GET", "/networks?" + namespace_query(project), nullptr, "list networks").empty();
    if (!left || std::chrono::steady_clock::now() >= settle) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  if (remove_volumes) {
    for (const docker::VolumeInfo& v : volumes_here(engine, project)) {
      if (remove_patiently([&] { engine.remove_volume(v.name, false); }, 60)) removed.push_back("volumes " + v.name);
    }
    if (job_image.empty()) {
      spdlog::warn(
          "{} has no db service nor rendered compose file to take an image from: its volumes on other nodes "
          "than this one were not removed (`docker volume rm` them there)",
          project);
    } else {
      // Those of this node are gone already: what the job removed was on the other nodes.
      for (std::string& r : remove_volumes_everywhere(engine, project, job_image)) removed.push_back(std::move(r));
    }
  }
  return removed;
}

void stop_services(docker::Engine& engine, const std::string& project, const std::vector<std::string>& keep,
                   int timeout_s) {
  json stopped = json::array();
  for (const json& s :
       engine.call_json("GET", "/services?" + namespace_query(project), nullptr, "list services of " + project)) {
    json spec = s["Spec"];
    const std::string key = spec.value("Labels", json::object()).value(k_label_service, "");
    const bool job = spec.contains("Mode") && spec["Mode"].contains("ReplicatedJob");
    if (job || std::find(keep.begin(), keep.end(), key) != keep.end()) continue;
    spec["Mode"]["Replicated"]["Replicas"] = 0;
    spec["Labels"][k_label_spec_hash] = "stopped";
    const std::string name = spec.value("Name", "");
    engine.call_json("POST",
                     fmt::format("/services/{}/update?version={}", s.value("ID", ""), s["Version"].value("Index", 0)),
                     spec, "stop service " + name);
    stopped.push_back(name);
  }
  if (stopped.empty()) return;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  for (;;) {
    bool running = false;
    for (const json& t : engine.call_json("GET", "/tasks?" + filters_query({{"service", stopped}}), nullptr,
                                          "list tasks of " + project)) {
      const std::string state = t["Status"].value("State", "");
      running = running || state == "running" || state == "starting" || state == "preparing";
    }
    if (!running) return;
    if (std::chrono::steady_clock::now() >= deadline) {
      throw Error(fmt::format("the services of {} did not stop within {} s", project, timeout_s), ExitCode::failure,
                  fmt::format("`supactl status {}` shows what still runs", project));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

InstanceStatus status(docker::Engine& engine, const std::string& project) {
  InstanceStatus out;
  out.instance = project;
  const json services = engine.call_json("GET", "/services?status=true&" + namespace_query(project), nullptr,
                                         "list services of " + project);
  std::map<std::string, std::string> hostnames;
  std::set<std::string> down_nodes;
  for (const json& n : engine.call_json("GET", "/nodes", nullptr, "list swarm nodes")) {
    hostnames[n.value("ID", "")] = n.contains("Description") ? n["Description"].value("Hostname", "") : "";
    if (n.contains("Status") && n["Status"].value("State", "") != "ready") down_nodes.insert(n.value("ID", ""));
  }
  json names = json::array();
  for (const json& s : services) names.push_back(s["Spec"].value("Name", ""));
  std::map<std::string, std::vector<TaskStatus>> tasks;
  if (!names.empty()) {
    const json list =
        engine.call_json("GET", "/tasks?" + filters_query({{"service", names}}), nullptr, "list tasks of " + project);
    for (const json& t : list) {
      TaskStatus task;
      task.id = t.value("ID", "");
      task.slot = t.value("Slot", 0);
      task.node = t.value("NodeID", "");
      task.node_hostname = hostnames[task.node];
      task.state = t["Status"].value("State", "");
      task.error = t["Status"].value("Err", "");
      task.desired_state = t.value("DesiredState", "");
      if (t["Status"].contains("ContainerStatus")) {
        task.container = t["Status"]["ContainerStatus"].value("ContainerID", "");
      }
      // The tasks meant to run; for a job, its completed ones too (the rest is history).
      const bool job_done = task.state == "complete" && t.contains("JobIteration");
      if (task.desired_state != "running" && !job_done) continue;
      // A task on a node that is down still says "running": nobody is there to say otherwise.
      if (down_nodes.count(task.node) != 0 && task.state == "running") task.state = "unknown (node down)";
      tasks[t.value("ServiceID", "")].push_back(std::move(task));
    }
  }
  out.healthy = !services.empty();
  for (const json& s : services) {
    ServiceStatus st;
    const json& spec = s["Spec"];
    st.name = spec.value("Name", "");
    st.service = spec.value("Labels", json::object()).value(k_label_service, st.name);
    st.job = spec.contains("Mode") && spec["Mode"].contains("ReplicatedJob");
    if (s.contains("ServiceStatus")) st.desired = s["ServiceStatus"].value("DesiredTasks", 0);
    if (s.contains("UpdateStatus")) st.update_state = s["UpdateStatus"].value("State", "");
    st.tasks = tasks[s.value("ID", "")];
    st.running = static_cast<int>(
        std::count_if(st.tasks.begin(), st.tasks.end(), [](const TaskStatus& t) { return t.state == "running"; }));
    if (st.job) {
      st.ok = std::any_of(st.tasks.begin(), st.tasks.end(), [](const TaskStatus& t) { return t.state == "complete"; });
    } else {
      st.ok = st.desired > 0 && st.running >= st.desired && st.update_state != "updating";
    }
    out.healthy = out.healthy && st.ok;
    out.services.push_back(std::move(st));
  }
  std::sort(out.services.begin(), out.services.end(),
            [](const ServiceStatus& a, const ServiceStatus& b) { return a.service < b.service; });
  return out;
}

void logs(docker::Engine& engine, const std::string& project, const std::vector<std::string>& services,
          const docker::LogOptions& options, const std::function<void(std::string_view)>& out) {
  const json list =
      engine.call_json("GET", "/services?" + namespace_query(project), nullptr, "list services of " + project);
  std::vector<std::pair<std::string, std::string>> chosen;  // service key, Engine name
  for (const json& s : list) {
    const std::string name = s["Spec"].value("Name", "");
    const std::string key = s["Spec"].value("Labels", json::object()).value(k_label_service, name);
    if (services.empty() || std::find(services.begin(), services.end(), key) != services.end()) {
      chosen.emplace_back(key, name);
    }
  }
  if (chosen.empty()) {
    throw Error(fmt::format("no service of {} matches", project), ExitCode::not_found,
                fmt::format("`supactl status {}` lists its services", project));
  }
  std::sort(chosen.begin(), chosen.end());
  std::mutex mutex;
  auto follow_one = [&](const std::string& key, const std::string& name) {
    std::string pending;
    engine.service_logs(name, options, [&](docker::StreamKind, std::string_view chunk) {
      pending.append(chunk);
      for (size_t nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
        const std::string line = fmt::format("{} | {}\n", key, std::string_view(pending).substr(0, nl));
        pending.erase(0, nl + 1);
        std::lock_guard<std::mutex> lock(mutex);
        out(line);
      }
      return true;
    });
    if (!pending.empty()) out(fmt::format("{} | {}\n", key, pending));
  };
  if (!options.follow) {
    for (const auto& [key, name] : chosen) follow_one(key, name);
    return;
  }
  std::vector<std::thread> threads;
  threads.reserve(chosen.size());
  for (const auto& [key, name] : chosen) threads.emplace_back([&, key = key, name = name] { follow_one(key, name); });
  for (std::thread& t : threads) t.join();
}

nlohmann::json to_json(const InstanceStatus& status) {
  json services = json::array();
  for (const ServiceStatus& s : status.services) {
    json tasks = json::array();
    for (const TaskStatus& t : s.tasks) {
      tasks.push_back({{"id", t.id},
                       {"slot", t.slot},
                       {"node", t.node},
                       {"node_hostname", t.node_hostname},
                       {"state", t.state},
                       {"desired_state", t.desired_state},
                       {"error", t.error}});
    }
    services.push_back({{"service", s.service},
                        {"name", s.name},
                        {"desired", s.desired},
                        {"running", s.running},
                        {"job", s.job},
                        {"ok", s.ok},
                        {"update_state", s.update_state},
                        {"tasks", tasks}});
  }
  return {{"instance", status.instance}, {"mode", "swarm"}, {"healthy", status.healthy}, {"services", services}};
}

}  // namespace supactl::swarm

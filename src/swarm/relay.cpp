// SPDX-License-Identifier: Apache-2.0
//
// One-shot Swarm jobs that run an Engine call on another node's Engine (see relay.hpp).
#include <supactl/swarm/relay.hpp>

#include <supactl/compose/model.hpp>
#include <supactl/core/base64.hpp>
#include <supactl/core/error.hpp>
#include <supactl/core/fd.hpp>
#include <supactl/docker/tar.hpp>
#include <supactl/secrets/random.hpp>
#include <supactl/swarm/swarm.hpp>

#include "docker/json_codec.hpp"
#include "docker/streams.hpp"
#include "docker/transport.hpp"
#include "swarm/query.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

namespace supactl::swarm {
namespace {

using nlohmann::json;

constexpr const char* k_exit_line = "supactl-relay-exit ";
constexpr const char* k_error_line = "supactl-relay-error ";

/// The value of the one `dev.supactl.instance=` label term, when every term is a label.
std::string instance_of(const docker::Filters& filters) {
  std::string project;
  for (const auto& [term, values] : filters.terms) {
    if (term != "label") return {};
    for (const std::string& v : values) {
      const std::string prefix = std::string(compose::k_label_instance) + "=";
      if (v.rfind(prefix, 0) == 0) project = v.substr(prefix.size());
    }
  }
  return project;
}

/// Whether `labels` has every `key` or `key=value` of the filter's label terms.
bool labels_match(const docker::Filters& filters, const json& labels) {
  const auto it = filters.terms.find("label");
  if (it == filters.terms.end()) return true;
  for (const std::string& term : it->second) {
    const size_t eq = term.find('=');
    const std::string key = term.substr(0, eq);
    if (!labels.contains(key)) return false;
    if (eq != std::string::npos && labels.value(key, std::string()) != term.substr(eq + 1)) return false;
  }
  return true;
}

}  // namespace

std::string relay_script() {
  // POSIX sh. Answers go to stdout as base64 lines, then one status line; curl's own
  // complaints go to stderr (the logs' other stream, shown by `supactl -v`).
  return R"sh(set -u
api() { curl -sS --unix-socket /var/run/docker.sock "$@"; }
fail() { echo "supactl-relay-error $*"; exit 0; }
t="$SUPACTL_RELAY_CONTAINER"
in=/run/secrets
if [ -f "$in/supactl-relay-archive.tar" ]; then
  code=$(api -o /tmp/answer -w '%{http_code}' -X PUT -H 'Content-Type: application/x-tar' \
    --data-binary "@$in/supactl-relay-archive.tar" "http://localhost/containers/$t/archive?path=$SUPACTL_RELAY_PATH") ||
    fail "the Engine of this node did not answer"
  [ "$code" = 200 ] || fail "copying into the container: $code $(cat /tmp/answer)"
fi
case "$SUPACTL_RELAY_MODE" in
exec)
  created=$(api -X POST -H 'Content-Type: application/json' --data-binary "@$in/supactl-relay-exec.json" \
    "http://localhost/containers/$t/exec") || fail "the Engine of this node did not answer"
  id=$(printf '%s' "$created" | sed -n 's/.*"Id":"\([0-9a-f]*\)".*/\1/p')
  [ -n "$id" ] || fail "creating the exec: $created"
  api -X POST -H 'Content-Type: application/json' -d '{"Detach":false,"Tty":false}' \
    "http://localhost/exec/$id/start" | base64
  rc=$(api "http://localhost/exec/$id/json" | sed -n 's/.*"ExitCode":\(-\{0,1\}[0-9]*\).*/\1/p')
  if [ -f "$in/supactl-relay-cleanup.json" ]; then
    done_id=$(api -X POST -H 'Content-Type: application/json' --data-binary "@$in/supactl-relay-cleanup.json" \
      "http://localhost/containers/$t/exec" | sed -n 's/.*"Id":"\([0-9a-f]*\)".*/\1/p')
    [ -z "$done_id" ] || api -X POST -H 'Content-Type: application/json' -d '{"Detach":false,"Tty":false}' \
      "http://localhost/exec/$done_id/start" >/dev/null
  fi
  [ -n "$rc" ] || fail "the exec's exit code is not known"
  echo "supactl-relay-exit $rc"
  ;;
call)
  { api -f -X "$SUPACTL_RELAY_METHOD" "http://localhost$SUPACTL_RELAY_URL"; echo $? >/tmp/rc; } | base64
  [ "$(cat /tmp/rc)" = 0 ] || fail "$SUPACTL_RELAY_METHOD $SUPACTL_RELAY_URL failed (curl exit $(cat /tmp/rc))"
  echo "supactl-relay-exit 0"
  ;;
put) echo "supactl-relay-exit 0" ;;
sweep)
  # The containers of this command's jobs on this node (their logs hold what they answered,
  # and each has an anonymous volume), and earlier sweeps' own containers.
  for c in $SUPACTL_RELAY_REMOVE $(api "http://localhost/containers/json?all=1&$SUPACTL_RELAY_SWEPT" |
    grep -o '"Id":"[0-9a-f]*"' | cut -d'"' -f4); do
    api -o /dev/null -X DELETE "http://localhost/containers/$c?v=1&force=1" || echo "kept $c" >&2
  done
  echo "supactl-relay-exit 0"
  ;;
*) fail "unknown mode $SUPACTL_RELAY_MODE" ;;
esac
)sh";
}

int decode_relay_output(std::string_view printed, const std::function<void(std::string_view)>& out) {
  size_t pos = 0;
  while (pos < printed.size()) {
    size_t end = printed.find('\n', pos);
    if (end == std::string_view::npos) end = printed.size();
    std::string_view line = printed.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (line.rfind(k_exit_line, 0) == 0) {
      const std::string code(line.substr(std::string_view(k_exit_line).size()));
      try {
        return std::stoi(code);
      } catch (const std::exception&) {
        throw Error(fmt::format("the relay job printed an exit code that is no number: {}", code));
      }
    }
    if (line.rfind(k_error_line, 0) == 0) {
      throw Error(fmt::format("the relay job failed: {}", line.substr(std::string_view(k_error_line).size())));
    }
    const std::optional<std::string> bytes = core::base64_decode(line, core::Base64Alphabet::standard);
    if (!bytes) throw Error("the relay job printed a line that is no base64: " + std::string(line.substr(0, 80)));
    out(*bytes);
  }
  throw Error("the relay job ended without its exit line (stopped, or its node went away)", ExitCode::failure,
              "run the command again, or against that node's Engine with `supactl --host ...`");
}

std::optional<NodeRelay::Remote> NodeRelay::remote(const std::string& id) {
  const std::lock_guard<std::mutex> lock(m_mutex);
  const auto it = m_remote.find(id);
  if (it == m_remote.end()) return std::nullopt;
  return it->second;
}

// A long-lived process (`metrics serve`) keeps one relay: what it learnt is asked again after
// a while, in case an instance changed mode or this node its role.
constexpr auto k_relay_cache_ttl = std::chrono::seconds(30);

std::string NodeRelay::relay_image(const std::string& project) {
  const auto now = std::chrono::steady_clock::now();
  {
    const std::lock_guard<std::mutex> lock(m_mutex);
    const auto it = m_images.find(project);
    if (it != m_images.end() && now - it->second.at < k_relay_cache_ttl) return it->second.value;
  }
  std::string image = m_relay_image(project);  // reads the instance's files
  const std::lock_guard<std::mutex> lock(m_mutex);
  m_images[project] = Cached{image, now};
  return image;
}

std::string NodeRelay::manager_node() {
  const auto now = std::chrono::steady_clock::now();
  {
    const std::lock_guard<std::mutex> lock(m_mutex);
    if (m_self && now - m_self->at < k_relay_cache_ttl) return m_self->value;
  }
  std::string self;
  try {
    self = manager_node_id(m_inner.info());
  } catch (const docker::EngineError& e) {
    spdlog::debug("no swarm information: {}", e.what());
  }
  const std::lock_guard<std::mutex> lock(m_mutex);
  m_self = Cached{self, now};
  return self;
}

std::vector<docker::ContainerSummary> NodeRelay::list_containers(const docker::Filters& filters, bool all) {
  std::vector<docker::ContainerSummary> out = m_inner.list_containers(filters, all);
  const std::string project = instance_of(filters);
  if (project.empty() || relay_image(project).empty()) return out;
  const std::string self = manager_node();
  if (self.empty()) return out;
  json ids = json::array();
  std::map<std::string, std::string> service_names;
  for (const json& s : m_inner.call_json("GET", "/services?" + detail::namespace_query(project), nullptr,
                                         "list the services of " + project)) {
    ids.push_back(s.value("ID", std::string()));
    service_names[s.value("ID", std::string())] = s.value("/Spec/Name"_json_pointer, std::string());
  }
  if (ids.empty()) return out;
  const json tasks =
      m_inner.call_json("GET", "/tasks?" + detail::filters_query({{"service", ids}, {"desired-state", {"running"}}}),
                        nullptr, "list the tasks of " + project);
  for (const json& t : tasks) {
    const std::string node = t.value("NodeID", std::string());
    const std::string container = t.value("/Status/ContainerStatus/ContainerID"_json_pointer, std::string());
    if (node.empty() || node == self || container.empty() ||
        t.value("/Status/State"_json_pointer, std::string()) != "running") {
      continue;
    }
    const json labels = t.value("/Spec/ContainerSpec/Labels"_json_pointer, json::object());
    if (!labels_match(filters, labels)) continue;
    docker::ContainerSummary c;
    c.id = container;
    // The name the node gave the task's container: SERVICE.SLOT.TASK (SERVICE.NODE.TASK for
    // a global service).
    const int slot = t.value("Slot", 0);
    c.name = fmt::format("{}.{}.{}", service_names[t.value("ServiceID", std::string())],
                         slot > 0 ? std::to_string(slot) : node, t.value("ID", std::string()));
    c.image = t.value("/Spec/ContainerSpec/Image"_json_pointer, std::string());
    c.state = "running";
    c.status = "Up (on node " + node.substr(0, 12) + ")";
    for (const auto& [key, value] : labels.items()) {
      if (value.is_string()) c.labels[key] = value.get<std::string>();
    }
    c.labels["com.docker.swarm.service.name"] = service_names[t.value("ServiceID", std::string())];
    {
      const std::lock_guard<std::mutex> lock(m_mutex);
      m_remote[container] = Remote{node, project};
      m_remote[c.name] = Remote{node, project};
    }
    out.push_back(std::move(c));
  }
  return out;
}

void NodeRelay::refuse(const Remote& where, const std::string& what) {
  throw Error(
      fmt::format("{} cannot go through the swarm manager: the task runs on node {}", what, where.node.substr(0, 12)),
      ExitCode::failure,
      "run the command against that node's Engine: `supactl --host ...` or DOCKER_HOST (docs/DEPLOYMENT.md, "
      "\"Backups on a swarm\")");
}

int NodeRelay::relay(const Remote& where, const std::string& container,
                     const std::map<std::string, std::string>& secrets, const std::vector<std::string>& env,
                     const std::function<void(std::string_view)>& out) {
  const std::string image = relay_image(where.project);
  const std::string tag = secrets::random_hex(10);
  const std::string name = where.project + "_supactl-relay-" + tag;
  const bool sweep = std::find(env.begin(), env.end(), "SUPACTL_RELAY_MODE=sweep") != env.end();
  json labels = {{"com.docker.stack.namespace", where.project},
                 {compose::k_label_instance, where.project},
                 {"dev.supactl.relay", "true"}};
  if (sweep) labels[k_sweep_label] = "true";
  std::vector<std::string> secret_ids;
  std::string service_id;
  std::string job_container;  // the task's, once it has one
  // Whatever happens, the job and its secrets go (they hold the call's input). Its container
  // stays on its node, with its logs, after the job is removed: finish() removes it.
  const core::ScopeExit cleanup([&] {
    if (!sweep && !job_container.empty()) {
      const std::lock_guard<std::mutex> lock(m_mutex);
      Leftovers& left = m_leftovers[where.node];
      left.where = where;
      left.containers.push_back(job_container);
    }
    try {
      if (!service_id.empty()) {
        detail::remove_patiently(
            [&] { m_inner.call_json("DELETE", "/services/" + service_id, nullptr, "remove the relay job"); }, 30);
      }
      for (const std::string& id : secret_ids) {
        detail::remove_patiently(
            [&] { m_inner.call_json("DELETE", "/secrets/" + id, nullptr, "remove a relay secret"); }, 30);
      }
    } catch (const std::exception& e) {
      spdlog::warn("the relay job {} was not removed completely: {}", service_id, e.what());
    }
  });

  json mounts = json::array();
  for (const auto& [file, data] : secrets) {
    const std::string secret_name = fmt::format("{}_supactl-relay-{}-{}", where.project, tag, file);
    const json created = m_inner.call_json("POST", "/secrets/create",
                                           {{"Name", secret_name},
                                            {"Labels", labels},
                                            {"Data", core::base64_encode(data, core::Base64Alphabet::standard, true)}},
                                           "create secret " + secret_name);
    secret_ids.push_back(created.value("ID", std::string()));
    mounts.push_back({{"SecretID", secret_ids.back()},
                      {"SecretName", secret_name},
                      {"File", {{"Name", "supactl-relay-" + file}, {"UID", "0"}, {"GID", "0"}, {"Mode", 0400}}}});
  }
  std::vector<std::string> job_env = env;
  job_env.push_back("SUPACTL_RELAY_CONTAINER=" + container);
  const json spec = {{"Name", name},
                     {"Labels", labels},
                     {"Mode", {{"ReplicatedJob", {{"MaxConcurrent", 1}, {"TotalCompletions", 1}}}}},
                     {"TaskTemplate",
                      {{"ContainerSpec",
                        {{"Image", image},
                         {"Command", {"sh", "-c", relay_script()}},
                         {"User", "0"},
                         {"Env", job_env},
                         {"Labels", labels},
                         {"Secrets", mounts},
                         {"Mounts", job_mounts()}}},
                       {"Placement", {{"Constraints", {"node.id==" + where.node}}}},
                       {"RestartPolicy", {{"Condition", "none"}}}}}};
  service_id = m_inner.call_json("POST", "/services/create", spec, "create service " + name).value("ID", std::string());
  spdlog::info("running {} on node {} through job {}", container.substr(0, 12), where.node.substr(0, 12), name);

  // Until its task ends. A task the node never starts (it is down, or cannot get the image)
  // fails the call after two minutes; a started one may run as long as its command does.
  const auto start_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  for (;;) {
    const json tasks = m_inner.call_json("GET", "/tasks?" + detail::filters_query({{"service", {service_id}}}), nullptr,
                                         "list the tasks of " + name);
    std::string state;
    std::string err;
    for (const json& t : tasks) {
      state = t.value("/Status/State"_json_pointer, std::string());
      err = t.value("/Status/Err"_json_pointer, std::string());
      const std::string id = t.value("/Status/ContainerStatus/ContainerID"_json_pointer, std::string());
      if (!id.empty()) job_container = id;
    }
    if (state == "complete") break;
    if (state == "failed" || state == "rejected" || state == "orphaned") {
      throw Error(fmt::format("the relay job on node {} {}: {}", where.node.substr(0, 12), state, err),
                  ExitCode::failure, "check that node: `docker node ps " + where.node.substr(0, 12) + "`");
    }
    const bool started = state == "running" || state == "complete";
    if (!started && std::chrono::steady_clock::now() >= start_deadline) {
      throw Error(fmt::format("node {} did not start the relay job within 120 s (state {})", where.node.substr(0, 12),
                              state.empty() ? "none" : state),
                  ExitCode::failure, "is the node down, or without image " + image + "? `docker node ls`");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::string printed;
  std::string complaints;
  docker::LogOptions options;
  m_inner.service_logs(service_id, options, [&](docker::StreamKind k, std::string_view chunk) {
    (k == docker::StreamKind::stderr_ ? complaints : printed).append(chunk);
    return true;
  });
  if (!complaints.empty()) spdlog::debug("the relay job {} said on stderr: {}", name, complaints);
  return decode_relay_output(printed, out);
}

void NodeRelay::finish() {
  std::map<std::string, Leftovers> leftovers;
  {
    const std::lock_guard<std::mutex> lock(m_mutex);
    leftovers.swap(m_leftovers);
  }
  for (const auto& [node, left] : leftovers) {
    std::string ids;
    for (const std::string& id : left.containers) ids += (ids.empty() ? "" : " ") + id;
    try {
      relay(left.where, {}, {},
            {"SUPACTL_RELAY_MODE=sweep", "SUPACTL_RELAY_REMOVE=" + ids,
             "SUPACTL_RELAY_SWEPT=" +
                 detail::filters_query({{"label", {std::string(k_sweep_label) + "=true"}}, {"status", {"exited"}}})},
            [](std::string_view) {});
    } catch (const std::exception& e) {
      spdlog::warn("the relay jobs' containers on node {} were not removed: {} (`docker container prune` there)",
                   node.substr(0, 12), e.what());
    }
  }
}

docker::ExecResult NodeRelay::exec(const std::string& id, const docker::ExecSpec& spec, const docker::OutputSink& sink,
                                   const std::optional<std::string>& stdin_data) {
  const std::optional<Remote> where = remote(id);
  if (!where) return m_inner.exec(id, spec, sink, stdin_data);
  if (spec.tty) refuse(*where, "a terminal");
  std::map<std::string, std::string> secrets;
  std::vector<std::string> env{"SUPACTL_RELAY_MODE=exec", "SUPACTL_RELAY_PATH=/tmp"};
  std::vector<std::string> cmd = spec.cmd;
  if (stdin_data) {
    if (stdin_data->size() > k_relay_max_input) refuse(*where, fmt::format("input of {} bytes", stdin_data->size()));
    // The input goes into a folder of its own in the container, read from there, and removed.
    const std::string folder = "supactl-relay-" + secrets::random_hex(12);
    secrets["archive.tar"] = docker::make_tar({{.path = folder + "/", .content = {}, .mode = 0777},
                                               {.path = folder + "/stdin", .content = *stdin_data, .mode = 0644}});
    cmd = {"sh", "-c", "\"$@\" < /tmp/" + folder + "/stdin", "sh"};
    cmd.insert(cmd.end(), spec.cmd.begin(), spec.cmd.end());
    secrets["cleanup.json"] = json{
        {"Cmd", {"rm", "-rf", "/tmp/" + folder}},
        {"User", "0"},
        {"AttachStdout", true},
        {"AttachStderr", true}}.dump();
  }
  json create = {{"Cmd", cmd}, {"AttachStdout", true}, {"AttachStderr", true}, {"Tty", false}};
  if (!spec.env.empty()) create["Env"] = spec.env;
  if (!spec.user.empty()) create["User"] = spec.user;
  if (!spec.working_dir.empty()) create["WorkingDir"] = spec.working_dir;
  secrets["exec.json"] = create.dump();

  docker::ExecResult result;
  docker::FrameDemuxer demux([&](docker::StreamKind k, std::string_view data) {
    if (sink) return sink(k, data);
    (k == docker::StreamKind::stderr_ ? result.err : result.out).append(data);
    return true;
  });
  result.exit_code = relay(*where, id, secrets, env, [&](std::string_view bytes) { demux.feed(bytes); });
  return result;
}

int NodeRelay::exec_attached(const std::string& id, const docker::ExecSpec& spec, int input_fd,
                             const docker::OutputSink& sink, unsigned rows, unsigned cols) {
  const std::optional<Remote> where = remote(id);
  if (where) refuse(*where, "an interactive session");
  return m_inner.exec_attached(id, spec, input_fd, sink, rows, cols);
}

void NodeRelay::put_archive(const std::string& id, const std::string& path, const std::string& archive) {
  const std::optional<Remote> where = remote(id);
  if (!where) return m_inner.put_archive(id, path, archive);
  if (archive.size() > k_relay_max_input) refuse(*where, fmt::format("copying {} bytes", archive.size()));
  const int code =
      relay(*where, id, {{"archive.tar", archive}},
            {"SUPACTL_RELAY_MODE=put", "SUPACTL_RELAY_PATH=" + docker::url_encode(path)}, [](std::string_view) {});
  if (code != 0) throw Error(fmt::format("copying into {} on node {} failed", path, where->node.substr(0, 12)));
}

void NodeRelay::put_archive_file(const std::string& id, const std::string& path, const std::filesystem::path& tar) {
  const std::optional<Remote> where = remote(id);
  if (!where) return m_inner.put_archive_file(id, path, tar);
  std::error_code ec;
  const auto size = std::filesystem::file_size(tar, ec);
  if (ec || size > k_relay_max_input) refuse(*where, fmt::format("copying {}", tar.string()));
  std::ifstream in(tar, std::ios::binary);
  put_archive(id, path, std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()));
}

void NodeRelay::get_archive(const std::string& id, const std::string& path,
                            const std::function<void(std::string_view)>& out) {
  const std::optional<Remote> where = remote(id);
  if (!where) return m_inner.get_archive(id, path, out);
  call(*where, "GET", "/containers/" + id + "/archive?path=" + docker::url_encode(path), out);
}

void NodeRelay::call(const Remote& where, const std::string& method, const std::string& url,
                     const std::function<void(std::string_view)>& out) {
  relay(where, {}, {}, {"SUPACTL_RELAY_MODE=call", "SUPACTL_RELAY_METHOD=" + method, "SUPACTL_RELAY_URL=" + url}, out);
}

docker::ContainerInfo NodeRelay::inspect_container(const std::string& id) {
  const std::optional<Remote> where = remote(id);
  if (!where) return m_inner.inspect_container(id);
  std::string answer;
  call(*where, "GET", "/containers/" + id + "/json", [&](std::string_view chunk) { answer.append(chunk); });
  return docker::decode_container_info(json::parse(answer));
}

void NodeRelay::restart_container(const std::string& id, int timeout_s) {
  const std::optional<Remote> where = remote(id);
  if (!where) return m_inner.restart_container(id, timeout_s);
  call(*where, "POST", "/containers/" + id + "/restart" + (timeout_s >= 0 ? "?t=" + std::to_string(timeout_s) : ""),
       [](std::string_view) {});
}

}  // namespace supactl::swarm
